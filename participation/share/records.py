"""Exports of other steps' records for the committee's archive: pledges (step 3) and issue
reports with their timelines (step 4), read-only from those steps' tables in a fixed number of
queries (one for pledges, two for issues: the issues, then every timeline event), whatever the
number of rows. None while a step's package is missing.

Personal information (PIPL): homes by their address (3-2-501); people masked as the register
export masks them (张**), except a resident's full name on a pledge they opted into the public
honour roll with. No phone numbers. For the committee only (action export.archive)."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import aliased

from ..core.models import Building, Community, Entrance, Owner, Unit, User
from ..core.privacy import mask_name
from ..core.timeutil import aware, utc_to_wall
from ..extensions import db
from .exports import Table


def pledges_table(community: Community, locale: str) -> Table | None:  # noqa: ARG001
    try:
        from ..pledge.forms import KIND_LABELS, SKILL_LABELS, STATUS_LABELS
        from ..pledge.models import Pledge
    except ModuleNotFoundError:
        return None
    resident = aliased(User)
    rows = db.session.execute(
        select(
            Pledge,
            Building.name,
            Entrance.name,
            Unit.room,
            resident.name,
            Owner.name,
        )
        .join(Unit, Unit.id == Pledge.unit_id)
        .join(Entrance, Entrance.id == Unit.entrance_id)
        .join(Building, Building.id == Entrance.building_id)
        .outerjoin(Owner, Owner.id == Unit.owner_id)
        .outerjoin(resident, resident.id == Pledge.user_id)
        .where(Pledge.community_id == community.id)
        .order_by(Pledge.created_at, Pledge.id)
    ).all()

    def who(p, user_name, owner_name) -> str:
        if p.user_id is None:  # on paper: the household, masked like the register
            return mask_name(owner_name)
        return (user_name or "") if p.honour else mask_name(user_name)

    def ended(p):
        return p.withdrawn_at or p.cancelled_at

    return Table(
        _("Pledges"),
        [
            _("Building"),
            _("Unit"),
            _("Pledged by (masked unless on the honour roll)"),
            _("Type"),
            _("Amount (yuan)"),
            _("Hours"),
            _("Skill"),
            _("Materials"),
            _("Quantity"),
            _("Estimated value (yuan)"),
            _("State"),
            _("Pledged on"),
            _("Received on"),
            _("Value received (yuan)"),
            _("Hours worked"),
            _("Withdrawn or cancelled on"),
            _("Reference"),
            _("Recorded by the committee (paper)"),
        ],
        [
            (
                b,
                f"{b}-{e}-{room}",
                who(p, user_name, owner_name),
                str(KIND_LABELS.get(p.kind, p.kind)),
                p.amount,
                p.hours,
                str(SKILL_LABELS[p.skill]) if p.skill in SKILL_LABELS else p.skill,
                p.item,
                p.quantity,
                p.value,
                str(STATUS_LABELS.get(p.status, p.status)),
                p.created_at,
                p.fulfilled_at,
                p.confirmed_value,
                p.hours_worked,
                ended(p),
                p.reference,
                (_("yes") + (f": {p.evidence}" if p.evidence else ""))
                if getattr(p, "recorded_by_id", None) is not None
                else "",
            )
            for p, b, e, room, user_name, owner_name in rows
        ],
    )


def _event_text(kind: str, status: str, note: str, labels) -> str:
    if kind == "me_too":
        text = _("A neighbour said “me too”")
    elif kind == "escalated":
        text = _("Overdue: sent to the committee")
    else:
        text = str(labels.get(status, status))
    return f"{text}: {note}" if note else text


def issues_table(community: Community, locale: str) -> Table | None:  # noqa: ARG001
    try:
        from ..build.labels import CATEGORY_LABELS, PARTY_LABELS, STATUS_LABELS, URGENCY_LABELS
        from ..build.models import Issue, IssueEvent
    except ModuleNotFoundError:
        return None
    reporter = aliased(User)
    issues = db.session.execute(
        select(Issue, reporter.name, Building.name, Entrance.name)
        .join(reporter, reporter.id == Issue.reporter_id)
        .outerjoin(Building, Building.id == Issue.building_id)
        .outerjoin(Entrance, Entrance.id == Issue.entrance_id)
        .where(Issue.community_id == community.id)
        .order_by(Issue.id)
    ).all()
    timeline: dict[int, list[str]] = {}
    for issue_id, at, kind, status, note in db.session.execute(
        select(
            IssueEvent.issue_id, IssueEvent.at, IssueEvent.kind, IssueEvent.status, IssueEvent.note
        )
        .join(Issue, Issue.id == IssueEvent.issue_id)
        .where(Issue.community_id == community.id)
        .order_by(IssueEvent.issue_id, IssueEvent.at, IssueEvent.id)
    ):
        when = utc_to_wall(aware(at)).strftime("%Y-%m-%d %H:%M")
        timeline.setdefault(issue_id, []).append(
            f"{when} {_event_text(kind, status, note, STATUS_LABELS)}"
        )

    def place(b, e, floor, spot) -> str:
        parts = ["-".join(x for x in (b, e) if x), floor or "", spot or ""]
        return " ".join(p for p in parts if p)

    return Table(
        _("Issues"),
        [
            _("Number"),
            _("Reported by (masked)"),
            _("Category"),
            _("Urgency"),
            _("Place"),
            _("Description"),
            _("Responsible"),
            _("State"),
            _("Reported on"),
            _("Answer due"),
            _("Answered on"),
            _("Fix due"),
            _("Fixed on"),
            _("Closed on"),
            _("Times reopened"),
            _("Neighbours who said “me too”"),
            _("Timeline"),
        ],
        [
            (
                i.id,
                mask_name(name),
                str(CATEGORY_LABELS.get(i.category, i.category)),
                str(URGENCY_LABELS.get(i.urgency, i.urgency)),
                place(b, e, i.floor, i.spot),
                i.description,
                str(PARTY_LABELS.get(i.party, i.party)),
                str(STATUS_LABELS.get(i.status, i.status)),
                i.created_at,
                i.ack_due,
                i.acknowledged_at,
                i.resolve_due,
                i.resolved_at,
                i.closed_at,
                i.reopen_count,
                i.me_too_count,
                "\n".join(timeline.get(i.id, [])),
            )
            for i, name, b, e in issues
        ],
    )
