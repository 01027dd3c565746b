"""Use cases of step 4 (家园共建): reporting issues, answering them against deadlines, the
committee's decisions, escalation, routing, and reading lists and figures.

Each function changes the session only; the caller commits once (or rolls back on DomainError).
Photos are stored before the commit: when a submission fails the caller deletes them with
core.uploads.delete_stored (`stored_names` lists them); `report` cleans up after itself when a
photo is refused. Every staff and committee action is audited; the reporter hears of every
change in the inbox.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import FileStorage

from ..core import audit, notify
from ..core.errors import DomainError
from ..core.models import Building, Community, Entrance, Membership, Role
from ..core.notify import N_
from ..core.timeutil import aware, utcnow
from ..core.uploads import UploadError, delete_stored, save_image
from ..extensions import db, parse_id
from . import rules, workflow
from .models import Issue, IssueEvent, IssueMeToo, IssuePhoto, IssueRoute, PartyMember

MAX_PHOTOS = 3
DESCRIPTION_MAX = 2000
SPOT_MAX = 100
REASON_MAX = 300
PHOTO_SUBDIR = "issues"

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean(text: Any, limit: int | None = None) -> str:
    text = "" if text is None else str(text)
    text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n")).strip()
    return text[:limit] if limit else text


def _cid(community: Community | int) -> int:
    return getattr(community, "id", community)


def _link(issue: Issue) -> str:
    code = db.session.scalar(select(Community.code).where(Community.id == issue.community_id))
    return url_for("build.issue", code=code, issue_id=issue.id)


# ---------------------------------------------------------------------------------------------
# Routing and parties


def staff_party(user_id: int, community_id: int | None) -> str:
    party = db.session.scalar(
        select(PartyMember.party).where(
            PartyMember.user_id == user_id, PartyMember.community_id == community_id
        )
    )
    return party or rules.PROPERTY


def routes(community: Community | int) -> dict[str, IssueRoute | None]:
    rows = db.session.scalars(
        select(IssueRoute).where(IssueRoute.community_id == _cid(community))
    ).all()
    by_category = {r.category: r for r in rows}
    return {c: by_category.get(c) for c in rules.CATEGORIES}


def route_for(community: Community | int, category: str) -> tuple[str, IssueRoute | None]:
    row = db.session.scalar(
        select(IssueRoute).where(
            IssueRoute.community_id == _cid(community), IssueRoute.category == category
        )
    )
    return (row.party if row else rules.DEFAULT_ROUTES[category]), row


def _hours(value: Any) -> int | None:
    if value in (None, ""):
        return None
    try:
        hours = int(str(value).strip())
    except ValueError:
        raise DomainError(_("Enter the hours as a whole number.")) from None
    if not 1 <= hours <= rules.MAX_HOURS:
        raise DomainError(_("Deadlines are between 1 hour and %(max)d hours.", max=rules.MAX_HOURS))
    return hours


def set_route(
    actor: Any,
    community: Community,
    category: str,
    party: str,
    ack_normal: Any = None,
    resolve_normal: Any = None,
    ack_emergency: Any = None,
    resolve_emergency: Any = None,
) -> IssueRoute:
    if category not in rules.CATEGORIES:
        raise DomainError(_("Choose a kind of problem."))
    if party not in rules.PARTIES:
        raise DomainError(_("Choose who answers."))
    hours = [_hours(v) for v in (ack_normal, resolve_normal, ack_emergency, resolve_emergency)]
    for ack, resolve in ((hours[0], hours[1]), (hours[2], hours[3])):
        if ack is not None and resolve is not None and ack > resolve:
            raise DomainError(_("The answer deadline cannot be later than the fix deadline."))
    row = route_for(community, category)[1]
    if row is None:
        row = IssueRoute(community_id=community.id, category=category)
        db.session.add(row)
    row.party = party
    (
        row.ack_hours_normal,
        row.resolve_hours_normal,
        row.ack_hours_emergency,
        row.resolve_hours_emergency,
    ) = hours
    db.session.flush()
    audit.record(
        actor,
        "issue.route",
        community_id=community.id,
        target=row,
        category=category,
        party=party,
        hours=",".join("" if h is None else str(h) for h in hours),
    )
    return row


def set_staff_party(actor: Any, community: Community, user_id: int, party: str) -> None:
    if party not in (rules.PROPERTY, rules.CONTRACTOR):
        raise DomainError(_("Choose who answers."))
    is_staff = db.session.scalar(
        select(Membership.id).where(
            Membership.user_id == user_id,
            Membership.community_id == community.id,
            Membership.role == Role.PROPERTY,
        )
    )
    if not is_staff:
        raise DomainError(_("This account is not property staff of this community."))
    row = db.session.scalar(
        select(PartyMember).where(
            PartyMember.user_id == user_id, PartyMember.community_id == community.id
        )
    )
    if row is None:
        row = PartyMember(community_id=community.id, user_id=user_id, party=party)
        db.session.add(row)
    row.party = party
    db.session.flush()
    audit.record(actor, "issue.staff_party", community_id=community.id, user=user_id, party=party)


def property_staff(community: Community | int) -> list[tuple[Any, str]]:
    """(user, party) of the community's property-role accounts."""
    from ..core.models import User

    rows = db.session.execute(
        select(User, PartyMember.party)
        .join(Membership, Membership.user_id == User.id)
        .outerjoin(
            PartyMember,
            and_(
                PartyMember.user_id == User.id,
                PartyMember.community_id == Membership.community_id,
            ),
        )
        .where(Membership.community_id == _cid(community), Membership.role == Role.PROPERTY)
        .order_by(User.id)
    ).all()
    return [(user, party or rules.PROPERTY) for user, party in rows]


def party_user_ids(community_id: int, party: str) -> list[int]:
    if party == rules.COMMITTEE:
        return notify.staff_user_ids(community_id, Role.COMMITTEE)
    return [user.id for user, p in property_staff(community_id) if p == party]


# ---------------------------------------------------------------------------------------------
# Reporting


def similar_open(
    community: Community | int,
    category: str | None,
    building_id: int | None,
    entrance_id: int | None = None,
    *,
    limit: int = 5,
) -> list[Issue]:
    """Open issues of the same kind at the same place: offered as "me too" before a report.
    The same building, and the same entrance when both name one."""
    if not category or building_id is None:
        return []
    query = select(Issue).where(
        Issue.community_id == _cid(community),
        Issue.category == category,
        Issue.building_id == building_id,
        Issue.status.in_(workflow.OPEN),
    )
    if entrance_id is not None:
        query = query.where(or_(Issue.entrance_id == entrance_id, Issue.entrance_id.is_(None)))
    query = query.options(selectinload(Issue.building), selectinload(Issue.entrance))
    return list(db.session.scalars(query.order_by(Issue.created_at.desc()).limit(limit)))


def _place(community: Community, building_id: Any, entrance_id: Any) -> tuple[int | None, ...]:
    def as_id(value: Any) -> int | None:
        if value in (None, ""):
            return None
        number = parse_id(value)
        if number is None:
            raise DomainError(_("Choose a building from the list."), "building")
        return number

    bid, eid = as_id(building_id), as_id(entrance_id)
    if bid is not None:
        building = db.session.get(Building, bid)
        if building is None or building.community_id != community.id:
            raise DomainError(_("Choose a building from the list."), "building")
    if eid is not None:
        entrance = db.session.get(Entrance, eid)
        if entrance is None or bid is None or entrance.building_id != bid:
            raise DomainError(_("Choose an entrance of that building."), "entrance")
    return bid, eid


def _coordinate(value: Any, bound: int) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    if not number.is_finite() or abs(number) > bound:
        return None
    return number.quantize(Decimal("0.0001"))


def _photos(files: list[FileStorage] | None) -> list[FileStorage]:
    return [f for f in (files or []) if f is not None and f.filename]


def _store_photos(files: list[FileStorage]) -> list[Any]:
    """Store every photo or none: on a refusal the ones already stored are deleted."""
    stored: list[Any] = []
    try:
        for file in files:
            stored.append(save_image(file, PHOTO_SUBDIR))
    except UploadError as err:
        delete_stored([n for s in stored for n in (s.name, s.thumb)])
        raise DomainError(err.message, "photos") from err
    return stored


def stored_names(issue: Issue) -> list[str]:
    return [n for p in issue.photos for n in (p.name, p.thumb)]


def _event(issue: Issue, actor: Any, kind: str, at: datetime, note: str = "", detail: str = ""):
    event = IssueEvent(
        issue=issue,
        actor_id=getattr(actor, "id", None),
        kind=kind,
        status=issue.status,
        at=at,
        note=note,
        detail=detail,
    )
    db.session.add(event)
    return event


def _tell_reporter(issue: Issue, msgid: str, **params: Any) -> None:
    notify.send(
        [issue.reporter_id],
        msgid,
        link=_link(issue),
        community_id=issue.community_id,
        params={"id": issue.id, **params},
    )


def report(
    actor: Any,
    community: Community,
    *,
    category: str,
    urgency: str,
    description: str,
    building_id: Any = None,
    entrance_id: Any = None,
    floor: str = "",
    spot: str = "",
    photos: list[FileStorage] | None = None,
    private: bool = False,
    latitude: Any = None,
    longitude: Any = None,
    now: datetime | None = None,
) -> Issue:
    """A resident's report. Fields are checked before any photo is stored."""
    now = now or utcnow()
    if category not in rules.CATEGORIES:
        raise DomainError(_("Choose what kind of problem it is."), "category")
    if urgency not in rules.URGENCIES:
        raise DomainError(_("Say whether it is an emergency."), "urgency")
    description = clean(description)
    if not description:
        raise DomainError(_("Please describe the problem in a few words."), "description")
    if len(description) > DESCRIPTION_MAX:
        raise DomainError(
            _("Please keep the description under %(n)d characters.", n=DESCRIPTION_MAX),
            "description",
        )
    bid, eid = _place(community, building_id, entrance_id)
    files = _photos(photos)
    if len(files) > MAX_PHOTOS:
        raise DomainError(_("At most %(n)d photos per report.", n=MAX_PHOTOS), "photos")
    party, route = route_for(community, category)
    due = rules.deadlines(now, urgency, category, route.override(urgency) if route else None)
    stored = _store_photos(files)
    issue = Issue(
        community_id=community.id,
        reporter_id=actor.id,
        category=category,
        urgency=urgency,
        party=party,
        status=workflow.SUBMITTED,
        building_id=bid,
        entrance_id=eid,
        floor=clean(floor, 10),
        spot=clean(spot, SPOT_MAX),
        latitude=_coordinate(latitude, 90),
        longitude=_coordinate(longitude, 180),
        description=description,
        photos_private=bool(private) and bool(stored),
        created_at=now,
        ack_due=due.acknowledge,
        resolve_due=due.resolve,
    )
    db.session.add(issue)
    for s in stored:
        issue.photos.append(
            IssuePhoto(
                kind="report",
                name=s.name,
                thumb=s.thumb,
                width=s.width,
                height=s.height,
                created_at=now,
            )
        )
    _event(issue, actor, "submitted", now, detail=party)
    db.session.flush()
    _tell_reporter(issue, N_("Your report #%(id)s was received"))
    msgid = (
        N_("Emergency report #%(id)s: please answer within 2 hours")
        if urgency == rules.EMERGENCY
        else N_("New report #%(id)s for you to answer")
    )
    notify.send(
        party_user_ids(community.id, party),
        msgid,
        link=_link(issue),
        community_id=community.id,
        params={"id": issue.id},
    )
    return issue


def me_too(actor: Any, issue: Issue, now: datetime | None = None) -> bool:
    """Add the actor's voice to an open issue; False when they had already."""
    if issue.reporter_id == actor.id:
        raise DomainError(_("This is your own report."))
    if issue.status not in workflow.OPEN:
        raise DomainError(
            _("This report is no longer open. Report the problem again if it is back.")
        )
    exists = db.session.scalar(
        select(IssueMeToo.id).where(IssueMeToo.issue_id == issue.id, IssueMeToo.user_id == actor.id)
    )
    if exists:
        return False
    now = now or utcnow()
    db.session.add(IssueMeToo(issue_id=issue.id, user_id=actor.id, created_at=now))
    db.session.execute(
        update(Issue).where(Issue.id == issue.id).values(me_too_count=Issue.me_too_count + 1)
    )
    db.session.flush()
    db.session.refresh(issue)
    _event(issue, actor, "me_too", now)
    return True


def has_me_too(user: Any, issue_ids: list[int]) -> set[int]:
    if not issue_ids or not getattr(user, "is_authenticated", False):
        return set()
    return set(
        db.session.scalars(
            select(IssueMeToo.issue_id).where(
                IssueMeToo.user_id == user.id, IssueMeToo.issue_id.in_(issue_ids)
            )
        )
    )


# ---------------------------------------------------------------------------------------------
# Transitions


def _refused(issue: Issue, action: str) -> DomainError:
    messages = {
        workflow.CLOSED: _("This report is closed: nothing more can be done on it."),
        workflow.REJECTED: _("This report was rejected: nothing more can be done on it."),
        workflow.MERGED: _("This report was merged into another one: follow that one instead."),
    }
    if issue.status in messages:
        return DomainError(messages[issue.status])
    return DomainError(_("This cannot be done now: the report has moved on. Reload the page."))


def _move(issue: Issue, action: str) -> str:
    try:
        return workflow.next_state(issue.status, action)
    except workflow.TransitionRefused:
        raise _refused(issue, action) from None


def _require(actor: Any, action: str, issue: Issue) -> None:
    from ..core import permissions

    if not permissions.can(actor, action, issue.community_id, issue):
        raise DomainError(_("Your account may not do this on this report."))


def _staff_step(actor: Any, issue: Issue, action: str, now: datetime | None) -> datetime:
    _require(actor, "issue.handle", issue)
    now = now or utcnow()
    issue.status = _move(issue, action)
    if issue.acknowledged_at is None:
        issue.acknowledged_at = now
    return now


def acknowledge(actor: Any, issue: Issue, note: str = "", now: datetime | None = None) -> None:
    now = _staff_step(actor, issue, "acknowledge", now)
    note = clean(note, REASON_MAX)
    _event(issue, actor, "acknowledged", now, note)
    audit.record(actor, "issue.acknowledge", community_id=issue.community_id, target=issue)
    _tell_reporter(issue, N_("Your report #%(id)s was seen and will be dealt with"))


def start(actor: Any, issue: Issue, note: str = "", now: datetime | None = None) -> None:
    now = _staff_step(actor, issue, "start", now)
    _event(issue, actor, "started", now, clean(note, REASON_MAX))
    audit.record(actor, "issue.start", community_id=issue.community_id, target=issue)
    _tell_reporter(issue, N_("Work has started on your report #%(id)s"))


def resolve(
    actor: Any,
    issue: Issue,
    note: str,
    photo: FileStorage | None = None,
    now: datetime | None = None,
) -> None:
    note = clean(note, DESCRIPTION_MAX)
    if not note:
        raise DomainError(_("Say in a few words what was done."), "note")
    _move(issue, "resolve")  # refuse before storing a photo
    _require(actor, "issue.handle", issue)
    files = _photos([photo] if photo is not None else [])
    stored = _store_photos(files)
    now = _staff_step(actor, issue, "resolve", now)
    issue.resolved_at = now
    issue.resolution_note = note
    for s in stored:
        issue.photos.append(
            IssuePhoto(
                kind="after",
                name=s.name,
                thumb=s.thumb,
                width=s.width,
                height=s.height,
                created_at=now,
            )
        )
    _event(issue, actor, "resolved", now, note)
    audit.record(actor, "issue.resolve", community_id=issue.community_id, target=issue)
    _tell_reporter(issue, N_("Your report #%(id)s is fixed: please confirm or reopen it"))
    followers = db.session.scalars(
        select(IssueMeToo.user_id).where(IssueMeToo.issue_id == issue.id)
    )
    notify.send(
        list(followers),
        N_("A problem you also reported (#%(id)s) is fixed"),
        link=_link(issue),
        community_id=issue.community_id,
        params={"id": issue.id},
    )


def confirm(actor: Any, issue: Issue, now: datetime | None = None) -> None:
    _require(actor, "issue.reporter", issue)
    now = now or utcnow()
    issue.status = _move(issue, "confirm")
    issue.closed_at = now
    _event(issue, actor, "confirmed", now)


def reopen(actor: Any, issue: Issue, reason: str, now: datetime | None = None) -> None:
    reason = clean(reason, REASON_MAX)
    _require(actor, "issue.reporter", issue)
    if not reason:
        raise DomainError(_("Please say what is still wrong."), "reason")
    now = now or utcnow()
    issue.status = _move(issue, "reopen")
    issue.reopen_count += 1
    route = route_for(issue.community_id, issue.category)[1]
    issue.resolve_due = rules.resolve_after_reopen(
        now, issue.urgency, issue.category, route.override(issue.urgency) if route else None
    )
    issue.resolve_escalated_at = None  # the new deadline may be escalated again
    _event(issue, actor, "reopened", now, reason)
    notify.send(
        party_user_ids(issue.community_id, issue.party),
        N_("Report #%(id)s was reopened by the resident"),
        link=_link(issue),
        community_id=issue.community_id,
        params={"id": issue.id},
    )


def reassign(actor: Any, issue: Issue, party: str, note: str = "", now=None) -> None:
    _require(actor, "issue.manage", issue)
    if party not in rules.PARTIES:
        raise DomainError(_("Choose who answers."), "party")
    if party == issue.party:
        raise DomainError(_("The report is already with them."), "party")
    _move(issue, "reassign")
    now = now or utcnow()
    before, issue.party = issue.party, party
    _event(issue, actor, "reassigned", now, clean(note, REASON_MAX), party)
    audit.record(
        actor,
        "issue.reassign",
        community_id=issue.community_id,
        target=issue,
        before=before,
        after=party,
    )
    notify.send(
        party_user_ids(issue.community_id, party),
        N_("Report #%(id)s was passed to you to answer"),
        link=_link(issue),
        community_id=issue.community_id,
        params={"id": issue.id},
    )


def reject(actor: Any, issue: Issue, reason: str, now: datetime | None = None) -> None:
    _require(actor, "issue.manage", issue)
    reason = clean(reason, REASON_MAX)
    if not reason:
        raise DomainError(_("Please give the reason: the resident will read it."), "reason")
    now = now or utcnow()
    issue.status = _move(issue, "reject")
    issue.reject_reason = reason
    issue.closed_at = now
    _event(issue, actor, "rejected", now, reason)
    audit.record(
        actor, "issue.reject", community_id=issue.community_id, target=issue, reason=reason
    )
    _tell_reporter(issue, N_("Your report #%(id)s was not taken up: see the reason"))


def merge(actor: Any, issue: Issue, into_id: Any, now: datetime | None = None) -> Issue:
    """Merge a duplicate into another open issue of the community: its reporter and me-toos
    follow the other one (as me-toos), and the reporter is told where to look."""
    _require(actor, "issue.manage", issue)
    try:
        target = db.session.get(Issue, int(str(into_id).strip().lstrip("#")))
    except ValueError:
        target = None
    if target is None or target.community_id != issue.community_id:
        raise DomainError(_("Enter the number of another report of this community."), "into")
    if target.id == issue.id:
        raise DomainError(_("A report cannot be merged into itself."), "into")
    if target.status not in workflow.OPEN:
        raise DomainError(_("Merge only into a report that is still open."), "into")
    now = now or utcnow()
    issue.status = _move(issue, "merge")
    issue.merged_into_id = target.id
    issue.closed_at = now
    voices = set(
        db.session.scalars(select(IssueMeToo.user_id).where(IssueMeToo.issue_id == issue.id))
    ) | {issue.reporter_id}
    already = set(
        db.session.scalars(select(IssueMeToo.user_id).where(IssueMeToo.issue_id == target.id))
    ) | {target.reporter_id}
    new = sorted(voices - already)
    for uid in new:
        db.session.add(IssueMeToo(issue_id=target.id, user_id=uid, created_at=now))
    target.me_too_count += len(new)
    _event(issue, actor, "merged", now, detail=str(target.id))
    _event(target, actor, "merged_in", now, detail=str(issue.id))
    audit.record(
        actor, "issue.merge", community_id=issue.community_id, target=issue, into=target.id
    )
    _tell_reporter(
        issue, N_("Your report #%(id)s was merged into report #%(into)s"), into=target.id
    )
    return target


def apply(actor: Any, issue: Issue, action: str, **fields: Any) -> Any:
    """One entry point for the views: `action` names a transition."""
    handlers = {
        "acknowledge": lambda: acknowledge(actor, issue, fields.get("note", "")),
        "start": lambda: start(actor, issue, fields.get("note", "")),
        "resolve": lambda: resolve(actor, issue, fields.get("note", ""), fields.get("photo")),
        "confirm": lambda: confirm(actor, issue),
        "reopen": lambda: reopen(actor, issue, fields.get("reason", "")),
        "reassign": lambda: reassign(actor, issue, fields.get("party", ""), fields.get("note", "")),
        "reject": lambda: reject(actor, issue, fields.get("reason", "")),
        "merge": lambda: merge(actor, issue, fields.get("into", "")),
    }
    if action not in handlers:
        raise DomainError(_("This cannot be done now: the report has moved on. Reload the page."))
    return handlers[action]()


# ---------------------------------------------------------------------------------------------
# Deadlines: escalation and closing (run by `flask --app app process-issue-deadlines`)


@dataclass
class DeadlineReport:
    escalated: list[tuple[int, str]]
    closed: list[int]


_STAGE_MSG = {
    "acknowledge": N_("Report #%(id)s is overdue: nobody answered it in time"),
    "resolve": N_("Report #%(id)s is overdue: it was not fixed in time"),
}


def process_deadlines(now: datetime | None = None) -> DeadlineReport:
    """Escalate each missed deadline to the committee's inbox once, and close resolved issues
    the reporter left unconfirmed for AUTO_CLOSE_DAYS. Safe to run as often as wanted."""
    now = now or utcnow()
    report_ = DeadlineReport([], [])
    candidates = db.session.scalars(
        select(Issue)
        .where(
            Issue.status.in_(workflow.OPEN),
            or_(
                and_(
                    Issue.status == workflow.SUBMITTED,
                    Issue.ack_due < now,
                    Issue.ack_escalated_at.is_(None),
                ),
                and_(Issue.resolve_due < now, Issue.resolve_escalated_at.is_(None)),
            ),
        )
        .order_by(Issue.id)
    ).all()
    committees: dict[int, list[int]] = {}
    for issue in candidates:
        done = set()
        if issue.ack_escalated_at is not None:
            done.add("acknowledge")
        if issue.resolve_escalated_at is not None:
            done.add("resolve")
        stages = rules.escalations(
            now, issue.status, aware(issue.ack_due), aware(issue.resolve_due), done
        )
        for stage in stages:
            if stage == "acknowledge":
                issue.ack_escalated_at = now
            else:
                issue.resolve_escalated_at = now
            _event(issue, None, "escalated", now, detail=stage)
            audit.record(
                None, "issue.escalate", community_id=issue.community_id, target=issue, stage=stage
            )
            if issue.community_id not in committees:
                committees[issue.community_id] = notify.staff_user_ids(
                    issue.community_id, Role.COMMITTEE
                )
            notify.send(
                committees[issue.community_id],
                _STAGE_MSG[stage],
                link=_link(issue),
                community_id=issue.community_id,
                params={"id": issue.id},
            )
            report_.escalated.append((issue.id, stage))
    stale = db.session.scalars(
        select(Issue).where(Issue.status == workflow.RESOLVED).order_by(Issue.id)
    ).all()
    for issue in stale:
        resolved_at = aware(issue.resolved_at) if issue.resolved_at else None
        if not rules.auto_close_due(now, issue.status, resolved_at):
            continue
        issue.status = workflow.next_state(issue.status, "auto_close")
        issue.closed_at = now
        _event(issue, None, "auto_closed", now)
        _tell_reporter(
            issue,
            N_("Your report #%(id)s was closed %(days)d days after the fix"),
            days=rules.AUTO_CLOSE_DAYS,
        )
        report_.closed.append(issue.id)
    db.session.flush()
    return report_


# ---------------------------------------------------------------------------------------------
# Reading


def load_issue(community: Community, issue_id: int) -> Issue | None:
    issue = db.session.scalar(
        select(Issue)
        .where(Issue.id == issue_id, Issue.community_id == community.id)
        .options(
            selectinload(Issue.photos),
            selectinload(Issue.events),
            selectinload(Issue.building),
            selectinload(Issue.entrance),
        )
    )
    return issue


def issue_list(
    community: Community | int,
    *,
    status: str = "open",
    building_id: int | None = None,
    party: str | None = None,
    category: str | None = None,
    mine_of: int | None = None,
    order: str = "recent",
    limit: int = 200,
) -> list[Issue]:
    """Issues of a community with their building and entrance loaded (two extra queries for
    the whole list, never one per row). status: open, overdue, resolved, done, all or a state."""
    query = select(Issue).where(Issue.community_id == _cid(community))
    now = utcnow()
    if status == "open":
        query = query.where(Issue.status.in_(workflow.OPEN))
    elif status == "overdue":
        query = query.where(
            Issue.status.in_(workflow.OPEN),
            or_(
                and_(Issue.status == workflow.SUBMITTED, Issue.ack_due < now),
                Issue.resolve_due < now,
            ),
        )
    elif status == "done":
        query = query.where(Issue.status.in_(workflow.FINAL))
    elif status in workflow.STATES:
        query = query.where(Issue.status == status)
    if building_id:
        query = query.where(Issue.building_id == building_id)
    if party:
        query = query.where(Issue.party == party)
    if category:
        query = query.where(Issue.category == category)
    if mine_of is not None:
        query = query.where(Issue.reporter_id == mine_of)
    if order == "deadline":
        # The deadline worked to next: the acknowledge one while nobody has answered.
        due = case(
            (Issue.status == workflow.SUBMITTED, Issue.ack_due),
            (Issue.status.in_(workflow.OPEN), Issue.resolve_due),
            else_=Issue.closed_at,
        )
        query = query.order_by(due, Issue.id)
    else:
        query = query.order_by(Issue.created_at.desc(), Issue.id.desc())
    query = query.options(selectinload(Issue.building), selectinload(Issue.entrance)).limit(limit)
    return list(db.session.scalars(query))


def first_photos(issue_ids: list[int], viewer_sees_private: dict[int, bool]) -> dict[int, Any]:
    """The first report photo of each issue the viewer may see, in one query."""
    if not issue_ids:
        return {}
    rows = db.session.scalars(
        select(IssuePhoto)
        .where(IssuePhoto.issue_id.in_(issue_ids), IssuePhoto.kind == "report")
        .order_by(IssuePhoto.issue_id, IssuePhoto.id)
    )
    out: dict[int, Any] = {}
    for photo in rows:
        if photo.issue_id not in out and viewer_sees_private.get(photo.issue_id, True):
            out[photo.issue_id] = photo
    return out


def status_counts(community: Community | int) -> dict[str, int]:
    rows = db.session.execute(
        select(Issue.status, func.count(Issue.id))
        .where(Issue.community_id == _cid(community))
        .group_by(Issue.status)
    ).all()
    counts = defaultdict(int, {s: n for s, n in rows})
    return {s: counts[s] for s in workflow.STATES}
