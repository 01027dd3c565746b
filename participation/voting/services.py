"""Voting use cases: one function per use case; the caller commits (or rolls back on
DomainError). Committee actions are audited; residents' own ballots are recorded in the ballot
log instead.

Life of a vote
--------------
1. `create_vote` (draft) → `update_vote` / `delete_draft_vote` while draft; `record_proxy`.
2. `open_vote`: refused before the topic's notice period is over (topic.posted_at +
   topic.notice_days) and unless the remaining period is within VOTE_MIN_DAYS..VOTE_MAX_DAYS
   (5..60 by default). Freezes the electorate with one INSERT … SELECT … GROUP BY owner and
   announces the vote on the notice board and in every inbox of the community. A draft with
   `auto_open` opens by itself at opens_at (`refresh_vote` / `process_due_votes`).
3. While open: `cast_ballot` (owners and proxies), `enter_paper_ballot` /
   `import_paper_ballots` (committee), `send_reminders` (CLI `remind-votes`).
4. `close_vote`: by the committee (early: a reason is required) or by the system at closes_at
   (`refresh_vote` when a vote is viewed, `process_due_votes` from `flask close-due-votes`).
   Closing tallies, stores the result snapshot, seals the ballot log (hash chain, see
   receipts.py) and announces the result (公示 for `result_notice_days`).
5. Reading: `tally`, `public_result`, `result_notice`, `check_seal`, `cast_options`,
   `my_ballots`, `ballot_history`, `find_receipt`, `electorate_preview`, `scope_units`,
   `opening_refusal` (why a draft cannot be opened now).

Concurrency
-----------
One ballot per owner is enforced by UNIQUE(vote_id, owner_id); a cast is one
INSERT … ON CONFLICT (vote_id, owner_id) DO UPDATE (PostgreSQL and SQLite), so a double tap or
two phones yield one ballot and two log events. Casting reads the vote row FOR KEY SHARE and
closing locks it FOR UPDATE, so no ballot can slip in between the tally and the seal.

Configuration (app.config, with defaults): VOTE_MIN_DAYS 5, VOTE_MAX_DAYS 60,
VOTE_REMIND_HOURS 48, RESULT_NOTICE_DAYS 7.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context, has_request_context
from flask_babel import force_locale
from flask_babel import gettext as _gettext
from sqlalchemy import (
    BigInteger,
    DateTime,
    Integer,
    String,
    and_,
    bindparam,
    case,
    cast,
    delete,
    func,
    literal,
    literal_column,
    null,
    select,
    text,
    true,
    union,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from ..consult.models import Topic, TopicStatus
from ..core import audit, notify
from ..core.errors import DomainError
from ..core.models import (
    Building,
    Community,
    Entrance,
    Owner,
    Relation,
    Residency,
    ResidencyStatus,
    Unit,
    User,
)
from ..core.services.community import post_notice
from ..core.timeutil import aware, utcnow
from ..extensions import db
from . import ballot_import, receipts, rules
from .models import (
    Ballot,
    BallotEvent,
    Channel,
    ScopeKind,
    Vote,
    VoteElector,
    VoteProxy,
    VoteStatus,
    cents_to_area,
)
from .rules import Choice, Comparison, RuleKind, Totals

N_ = notify.N_

DEFAULTS = {
    "VOTE_MIN_DAYS": 5,
    "VOTE_MAX_DAYS": 60,
    "VOTE_REMIND_HOURS": 48,
    "RESULT_NOTICE_DAYS": 7,
}
CHOICES = tuple(c.value for c in Choice)


def _(msgid: str, **params: Any) -> str:
    """gettext that also works outside a request (CLI, cron, tests), in the default locale."""
    if has_request_context():
        return _gettext(msgid, **params)
    with force_locale(_default_locale()):
        return _gettext(msgid, **params)


def _default_locale() -> str:
    return current_app.config.get("BABEL_DEFAULT_LOCALE", "zh_Hans")


def config(name: str) -> Any:
    if has_app_context():
        return current_app.config.get(name, DEFAULTS[name])
    return DEFAULTS[name]


def vote_path(vote: Vote) -> str:
    """Where a vote's page lives (links in inbox messages and notices)."""
    return f"/c/{vote.community.code}/votes/{vote.id}"


def _now(now: datetime | None) -> datetime:
    return aware(now) if now is not None else utcnow()


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def _insert(model: Any):
    return (postgresql.insert if _dialect() == "postgresql" else sqlite.insert)(model)


def _local(dt: datetime) -> str:
    """A neutral 2026-05-01 18:00 in the app's zone, for params and notice texts."""
    zone = ZoneInfo(config_tz())
    return aware(dt).astimezone(zone).strftime("%Y-%m-%d %H:%M")


def config_tz() -> str:
    if has_app_context():
        return current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Asia/Shanghai")
    return "Asia/Shanghai"


def _board(msgid: str, **params: Any) -> str:
    """Notice-board text in the community's language (the default locale): the board is one
    text for everybody, unlike inbox messages, which are translated for each reader."""
    with force_locale(_default_locale()):
        return _gettext(msgid, **params)


# ---------------------------------------------------------------------------------------------
# Creating and editing a vote


@dataclass(frozen=True)
class CustomRule:
    """The committee's own rule: approval share of participants or of the whole electorate,
    "at least" or "more than"; optionally a quorum. Fractions may be given as text ("2/3")."""

    approval: Fraction | str
    approval_comparison: str = Comparison.AT_LEAST
    base: str = rules.Base.PARTICIPANTS
    quorum: Fraction | str | None = None
    quorum_comparison: str = Comparison.AT_LEAST


def parse_fraction(value: Fraction | str | int | Decimal) -> Fraction:
    """'2/3', '0.75', '75%', '1' → Fraction; DomainError when not a share between 0 and 1."""
    try:
        if isinstance(value, str):
            text = value.strip().replace("％", "%").replace("／", "/")
            result = Fraction(text[:-1]) / 100 if text.endswith("%") else Fraction(text)
        else:
            result = Fraction(value)
    except (ValueError, ZeroDivisionError, TypeError) as exc:
        raise DomainError(
            _("Shares are fractions between 0 and 1, such as 2/3 or 75%."), "rule"
        ) from exc
    if not 0 <= result <= 1:
        raise DomainError(_("Shares are fractions between 0 and 1, such as 2/3 or 75%."), "rule")
    return result


FIELDS = (
    "title",
    "question",
    "rule",
    "custom",
    "scope_kind",
    "scope_ids",
    "opens_at",
    "closes_at",
    "turnout_public",
    "auto_open",
    "result_notice_days",
)


def _validate_and_apply(vote: Vote, values: dict[str, Any], topic: Topic) -> None:
    title = (values["title"] or "").strip()
    question = (values["question"] or "").strip()
    if not title:
        raise DomainError(_("Please give the vote a title."), "title")
    if len(title) > 200:
        raise DomainError(_("The title is too long (200 characters at most)."), "title")
    if not question:
        raise DomainError(_("Please write the question the owners answer."), "question")
    rule = values["rule"]
    if rule not in {k.value for k in RuleKind}:
        raise DomainError(_("Please choose a rule."), "rule")
    custom_cols: dict[str, Any] = dict.fromkeys(
        (
            "quorum_num",
            "quorum_den",
            "quorum_cmp",
            "approval_num",
            "approval_den",
            "approval_cmp",
            "approval_base",
        )
    )
    if rule == RuleKind.CUSTOM:
        custom = values.get("custom")
        if custom is None:
            raise DomainError(_("A custom rule needs its approval share, such as 2/3."), "rule")
        approval = parse_fraction(custom.approval)
        quorum = None if custom.quorum in (None, "") else parse_fraction(custom.quorum)
        try:
            spec = rules.Rule.custom(
                approval, custom.approval_comparison, custom.base, quorum, custom.quorum_comparison
            )
        except (rules.RuleError, ValueError) as exc:
            raise DomainError(
                _("This custom rule cannot work: check its shares and comparisons."), "rule"
            ) from exc
        custom_cols.update(
            approval_num=spec.approval.fraction.numerator,
            approval_den=spec.approval.fraction.denominator,
            approval_cmp=spec.approval.comparison.value,
            approval_base=spec.base.value,
        )
        if spec.quorum is not None:
            custom_cols.update(
                quorum_num=spec.quorum.fraction.numerator,
                quorum_den=spec.quorum.fraction.denominator,
                quorum_cmp=spec.quorum.comparison.value,
            )
    scope_kind = values["scope_kind"]
    scope_ids = sorted({int(i) for i in (values["scope_ids"] or ())})
    if scope_kind == ScopeKind.COMMUNITY:
        scope_ids = []
    elif scope_kind == ScopeKind.BUILDINGS:
        if not scope_ids:
            raise DomainError(_("Please choose at least one building."), "scope")
        found = db.session.scalar(
            select(func.count(Building.id)).where(
                Building.id.in_(scope_ids), Building.community_id == topic.community_id
            )
        )
        if found != len(scope_ids):
            raise DomainError(_("A chosen building is not in this community."), "scope")
    elif scope_kind == ScopeKind.ENTRANCE:
        if len(scope_ids) != 1:
            raise DomainError(_("Please choose one entrance."), "scope")
        found = db.session.scalar(
            select(func.count(Entrance.id))
            .join(Building, Building.id == Entrance.building_id)
            .where(Entrance.id == scope_ids[0], Building.community_id == topic.community_id)
        )
        if not found:
            raise DomainError(_("The chosen entrance is not in this community."), "scope")
    else:
        raise DomainError(
            _("Please choose who votes: the whole community, buildings or an entrance."), "scope"
        )
    opens_at, closes_at = values["opens_at"], values["closes_at"]
    if opens_at is None or closes_at is None:
        raise DomainError(_("Please set when the vote opens and closes."), "opens_at")
    opens_at, closes_at = aware(opens_at), aware(closes_at)
    if closes_at <= opens_at:
        raise DomainError(_("The vote must close after it opens."), "closes_at")
    _check_period(opens_at, closes_at, "closes_at")
    ends = topic.notice_ends_at
    if ends is not None and opens_at < ends:
        raise DomainError(
            _(
                "The topic's notice period ends on %(date)s; the vote cannot open earlier.",
                date=_local(ends),
            ),
            "opens_at",
        )
    notice_days = values["result_notice_days"]
    notice_days = config("RESULT_NOTICE_DAYS") if notice_days is None else int(notice_days)
    if not 1 <= notice_days <= 365:
        raise DomainError(_("The result is posted for 1 to 365 days."), "result_notice_days")

    vote.title = title
    vote.question = question
    vote.rule = rule
    for name, value in custom_cols.items():
        setattr(vote, name, value)
    vote.scope_kind = scope_kind
    vote.scope_ids = scope_ids
    vote.opens_at = opens_at
    vote.closes_at = closes_at
    vote.turnout_public = bool(values["turnout_public"])
    vote.auto_open = bool(values["auto_open"])
    vote.result_notice_days = notice_days


def period_days(opens_at: datetime, closes_at: datetime) -> int:
    """The voting period in calendar days of the app's zone, as committees count it: opening on
    1 May and closing on 6 May is 5 days, whatever the hours."""
    zone = ZoneInfo(config_tz())
    return (aware(closes_at).astimezone(zone).date() - aware(opens_at).astimezone(zone).date()).days


def _check_period(opens_at: datetime, closes_at: datetime, field_name: str) -> None:
    low, high = config("VOTE_MIN_DAYS"), config("VOTE_MAX_DAYS")
    if not low <= period_days(opens_at, closes_at) <= high:
        raise DomainError(
            _(
                "The voting period must be between %(min)d and %(max)d days.",
                min=low,
                max=high,
            ),
            field_name,
        )


def create_vote(
    actor: Any,
    topic: Topic,
    *,
    title: str,
    question: str,
    rule: str,
    opens_at: datetime,
    closes_at: datetime,
    scope_kind: str = ScopeKind.COMMUNITY,
    scope_ids: Iterable[int] = (),
    custom: CustomRule | None = None,
    turnout_public: bool = False,
    auto_open: bool = False,
    result_notice_days: int | None = None,
) -> Vote:
    """A draft vote on `topic`. Refuses an opening time before the topic's notice period ends
    (when the topic is already posted) and a period outside VOTE_MIN_DAYS..VOTE_MAX_DAYS."""
    if topic.status == TopicStatus.CLOSED:
        raise DomainError(_("This topic is closed; votes can no longer be added to it."))
    vote = Vote(
        community_id=topic.community_id,
        topic_id=topic.id,
        status=VoteStatus.DRAFT,
        created_by_id=getattr(actor, "id", None),
        created_at=utcnow(),
        updated_at=utcnow(),
    )
    _validate_and_apply(
        vote,
        {
            "title": title,
            "question": question,
            "rule": rule,
            "custom": custom,
            "scope_kind": scope_kind,
            "scope_ids": scope_ids,
            "opens_at": opens_at,
            "closes_at": closes_at,
            "turnout_public": turnout_public,
            "auto_open": auto_open,
            "result_notice_days": result_notice_days,
        },
        topic,
    )
    db.session.add(vote)
    db.session.flush()
    audit.record(
        actor,
        "vote.create",
        community_id=vote.community_id,
        target=vote,
        title=vote.title,
        rule=vote.rule,
        scope=vote.scope_kind,
    )
    return vote


def _custom_of(vote: Vote) -> CustomRule | None:
    if vote.rule != RuleKind.CUSTOM:
        return None
    return CustomRule(
        approval=Fraction(vote.approval_num, vote.approval_den),
        approval_comparison=vote.approval_cmp,
        base=vote.approval_base,
        quorum=Fraction(vote.quorum_num, vote.quorum_den) if vote.quorum_num is not None else None,
        quorum_comparison=vote.quorum_cmp or Comparison.AT_LEAST,
    )


def update_vote(actor: Any, vote: Vote, **changes: Any) -> Vote:
    """Change a draft: any keyword of create_vote (custom=CustomRule for a custom rule)."""
    unknown = set(changes) - set(FIELDS)
    if unknown:
        raise TypeError(f"unknown fields {sorted(unknown)}")
    if vote.status != VoteStatus.DRAFT:
        raise DomainError(
            _("Only a draft can be edited. An open vote can only be closed early, with a reason.")
        )
    current = {name: getattr(vote, name) for name in FIELDS if name != "custom"}
    current["custom"] = _custom_of(vote)
    values = {**current, **changes}
    _validate_and_apply(vote, values, vote.topic)
    vote.updated_at = utcnow()
    changed = sorted(k for k in changes if changes[k] != current.get(k))
    audit.record(
        actor,
        "vote.edit",
        community_id=vote.community_id,
        target=vote,
        fields=",".join(changed),
    )
    return vote


def delete_draft_vote(actor: Any, vote: Vote) -> None:
    if vote.status != VoteStatus.DRAFT:
        raise DomainError(_("Only a draft can be deleted."))
    db.session.execute(delete(VoteProxy).where(VoteProxy.vote_id == vote.id))
    audit.record(
        actor, "vote.delete", community_id=vote.community_id, target=vote, title=vote.title
    )
    db.session.delete(vote)


# ---------------------------------------------------------------------------------------------
# The electorate


def _scope_clause(community_id: int, scope_kind: str, scope_ids: Sequence[int]):
    clause = Unit.community_id == community_id
    if scope_kind == ScopeKind.BUILDINGS:
        clause = and_(
            clause,
            Unit.entrance_id.in_(
                select(Entrance.id).where(Entrance.building_id.in_(list(scope_ids)))
            ),
        )
    elif scope_kind == ScopeKind.ENTRANCE:
        clause = and_(clause, Unit.entrance_id == scope_ids[0])
    return clause


def _unit_cents():
    # Areas are Numeric(10, 2); ROUND(area * 100) is exact on PostgreSQL and corrects SQLite's
    # binary floating point, so per-owner sums in integer cents are exact everywhere.
    return cast(func.round(Unit.area * 100), BigInteger)


def electorate_preview(
    community: Community, scope_kind: str, scope_ids: Sequence[int] = ()
) -> Totals:
    """Live totals of a scope (owners, units, area), e.g. while the committee drafts a vote.
    The frozen electorate of an open vote is `vote.electorate`."""
    per_owner = (
        select(
            Unit.owner_id,
            func.count(Unit.id).label("units"),
            func.sum(_unit_cents()).label("cents"),
        )
        .where(_scope_clause(community.id, scope_kind, scope_ids))
        .group_by(Unit.owner_id)
        .subquery()
    )
    owners, units, cents = db.session.execute(
        select(
            func.count(per_owner.c.owner_id),
            func.coalesce(func.sum(per_owner.c.units), 0),
            func.coalesce(func.sum(per_owner.c.cents), 0),
        )
    ).one()
    return Totals(int(owners), cents_to_area(cents), int(units))


def _freeze_electorate(vote: Vote) -> Totals:
    """One INSERT … SELECT … GROUP BY owner: each owner with the area (cents) and units they
    hold inside the scope. Developer units share one Owner row, so they count as one head."""
    unit_ids = (
        func.json_agg(Unit.id) if _dialect() == "postgresql" else func.json_group_array(Unit.id)
    )
    query = (
        select(
            literal(vote.id, Integer),
            Unit.owner_id,
            func.sum(_unit_cents()),
            func.count(Unit.id),
            unit_ids,
        )
        .where(_scope_clause(vote.community_id, vote.scope_kind, vote.scope_ids))
        .group_by(Unit.owner_id)
    )
    db.session.execute(
        VoteElector.__table__.insert().from_select(
            ["vote_id", "owner_id", "area_cents", "units", "unit_ids"], query
        )
    )
    owners, units, cents = db.session.execute(
        select(
            func.count(VoteElector.owner_id),
            func.coalesce(func.sum(VoteElector.units), 0),
            func.coalesce(func.sum(VoteElector.area_cents), 0),
        ).where(VoteElector.vote_id == vote.id)
    ).one()
    vote.electorate_owners = int(owners)
    vote.electorate_units = int(units)
    vote.electorate_area_cents = int(cents)
    return Totals(int(owners), cents_to_area(cents), int(units))


def scope_label(vote: Vote) -> str:
    """Who votes, in words: the whole community, buildings 1, 3, or entrance 2-1."""
    if vote.scope_kind == ScopeKind.BUILDINGS:
        names = db.session.scalars(
            select(Building.name)
            .where(Building.id.in_(vote.scope_ids))
            .order_by(Building.sort_key, Building.name)
        ).all()
        return _("Buildings %(names)s", names=", ".join(names))
    if vote.scope_kind == ScopeKind.ENTRANCE:
        row = db.session.execute(
            select(Building.name, Entrance.name)
            .join(Entrance, Entrance.building_id == Building.id)
            .where(Entrance.id == vote.scope_ids[0])
        ).one_or_none()
        return _("Entrance %(name)s", name="-".join(row) if row else "?")
    return _("The whole community")


def describe_rule(vote: Vote) -> str:
    kind = vote.rule
    if kind == RuleKind.ORDINARY:
        return _(
            "Ordinary decision: owners holding at least 2/3 of the area and at least 2/3 of the "
            "owners take part; it passes with more than half of the participating area and "
            "more than half of the participating owners."
        )
    if kind == RuleKind.SPECIAL:
        return _(
            "Special decision: owners holding at least 2/3 of the area and at least 2/3 of the "
            "owners take part; it passes with at least 3/4 of the participating area and at "
            "least 3/4 of the participating owners."
        )
    if kind == RuleKind.ADVISORY:
        return _("Advisory poll: one voice per home, counts only, no pass or fail.")
    spec = vote.rule_spec
    cmp_text = {
        Comparison.AT_LEAST: _("at least"),
        Comparison.MORE_THAN: _("more than"),
    }
    approval = _(
        "It passes with %(cmp)s %(share)s of the %(base)s, by area and by owners.",
        cmp=cmp_text[spec.approval.comparison],
        share=str(spec.approval.fraction),
        base=_("participants") if spec.base == rules.Base.PARTICIPANTS else _("whole electorate"),
    )
    if spec.quorum is None:
        return _("Custom rule, no quorum. %(approval)s", approval=approval)
    return _(
        "Custom rule: %(cmp)s %(share)s of the area and of the owners take part. %(approval)s",
        cmp=cmp_text[spec.quorum.comparison],
        share=str(spec.quorum.fraction),
        approval=approval,
    )


# ---------------------------------------------------------------------------------------------
# Opening and closing


def open_vote(actor: Any, vote: Vote, now: datetime | None = None) -> Totals:
    """Open a draft now: refused while the topic is unposted or its notice period runs, and
    unless the period left until closes_at is within the allowed bounds. Freezes the electorate
    and announces the vote. Returns the electorate totals."""
    return _open(actor, vote, _now(now), planned=False)


def opening_refusal(
    vote: Vote, now: datetime | None = None, *, planned: bool = False
) -> DomainError | None:
    """Why `open_vote` would refuse this draft now, or None when it would open (the electorate
    aside), without writing anything: the vote page shows it instead of the button."""
    now = _now(now)
    if vote.status != VoteStatus.DRAFT:
        return DomainError(_("This vote is already open or closed."))
    topic = vote.topic
    if topic.status == TopicStatus.DRAFT or topic.posted_at is None:
        return DomainError(
            _("The topic must be posted for its notice period before the vote can open.")
        )
    ends = topic.notice_ends_at
    if now < ends:
        return DomainError(
            _(
                "The topic's notice period ends on %(date)s; the vote cannot open earlier.",
                date=_local(ends),
            )
        )
    closes_at = aware(vote.closes_at)
    if now >= closes_at:
        return DomainError(_("The closing time has passed. Please set a later closing time."))
    if not planned:
        try:
            _check_period(now, closes_at, "closes_at")
        except DomainError as err:
            return err
    return None


def _open(actor: Any, vote: Vote, now: datetime, *, planned: bool) -> Totals:
    db.session.refresh(vote, with_for_update=True)
    refusal = opening_refusal(vote, now, planned=planned)
    if refusal is not None:
        raise refusal
    closes_at = aware(vote.closes_at)
    if not planned:
        vote.opens_at = now
    totals = _freeze_electorate(vote)
    if totals.heads == 0:
        raise DomainError(_("No owner has a home in this vote's scope."))
    vote.status = VoteStatus.OPEN
    vote.opened_at = now
    vote.opened_by_id = getattr(actor, "id", None)
    vote.updated_at = now
    audit.record(
        actor,
        "vote.open",
        community_id=vote.community_id,
        target=vote,
        owners=totals.heads,
        units=totals.units,
        area=str(totals.area),
        automatic=actor is None,
    )
    community = vote.community
    post_notice(
        actor,
        community,
        _board(N_("Vote open: %(title)s"), title=vote.title)[:120],
        _board(
            N_(
                "%(question)s\n\nWho votes: %(scope)s (%(owners)d owners, %(area)s m²).\n"
                "Voting is open until %(closes)s. Vote on the app, or ask the committee for a "
                "paper ballot.\n%(link)s"
            ),
            question=vote.question,
            scope=scope_label(vote),
            owners=totals.heads,
            area=str(totals.area),
            closes=_local(closes_at),
            link=vote_path(vote),
        ),
        kind="vote",
        notify_residents=False,
    )
    notify.send(
        notify.community_user_ids(vote.community_id),
        N_("Vote open until %(closes)s: %(title)s"),
        link=vote_path(vote),
        community_id=vote.community_id,
        params={"title": vote.title, "closes": _local(closes_at)},
    )
    return totals


def close_vote(actor: Any, vote: Vote, reason: str = "", now: datetime | None = None) -> Tally:
    """Close an open vote. Before closes_at this is an early close and needs a reason (the
    system never closes early). Tallies, stores the result snapshot, seals the ballot log and
    announces the result. Returns the final tally."""
    now = _now(now)
    db.session.refresh(vote, with_for_update=True)  # waits for ballots being cast right now
    if vote.status != VoteStatus.OPEN:
        raise DomainError(_("Only an open vote can be closed."))
    early = now < aware(vote.closes_at)
    reason = (reason or "").strip()
    if early and (actor is None or not reason):
        raise DomainError(_("Closing a vote early needs a reason."), "reason")
    vote.status = VoteStatus.CLOSED
    vote.closed_at = now
    vote.closed_by_id = getattr(actor, "id", None)
    vote.closed_early_reason = reason if early else ""
    vote.updated_at = now
    db.session.flush()
    result = tally(vote)
    vote.final_hash = _seal(vote)
    vote.result = result.snapshot(final_hash=vote.final_hash, closed_at=now)
    audit.record(
        actor,
        "vote.close",
        community_id=vote.community_id,
        target=vote,
        early=early,
        reason=reason,
        passed=result.outcome.passed,
        final_hash=vote.final_hash,
    )
    _announce_result(actor, vote, result)
    return result


def _announce_result(actor: Any, vote: Vote, result: Tally) -> None:
    outcome = result.outcome
    if outcome.passed is None:
        verdict_id = N_("Advisory poll: results below.")
    elif outcome.passed:
        verdict_id = N_("The proposal PASSED.")
    else:
        verdict_id = (
            N_("The proposal did NOT pass: not enough owners took part.")
            if not outcome.quorum_met
            else N_("The proposal did NOT pass.")
        )
    p = result.participation
    e = result.electorate
    body = _board(
        N_(
            "%(verdict)s\n\nTook part: %(heads)d of %(eheads)d owners, %(area)s of %(earea)s m². "
            "Agree: %(agree)d owners, %(agree_area)s m². Disagree: %(disagree)d owners, "
            "%(disagree_area)s m². Abstain: %(abstain)d owners, %(abstain_area)s m².\n"
            "Posted for %(days)d days, until %(until)s. Final hash of the ballot log: %(hash)s\n"
            "%(link)s"
        ),
        verdict=_board(verdict_id),
        heads=p.heads,
        eheads=e.heads,
        area=str(p.area),
        earea=str(e.area),
        agree=result.counts.agree.heads,
        agree_area=str(result.counts.agree.area),
        disagree=result.counts.disagree.heads,
        disagree_area=str(result.counts.disagree.area),
        abstain=result.counts.abstain.heads,
        abstain_area=str(result.counts.abstain.area),
        days=vote.result_notice_days,
        until=_local(aware(vote.closed_at) + timedelta(days=vote.result_notice_days)),
        hash=vote.final_hash,
        link=vote_path(vote),
    )
    post_notice(
        actor,
        vote.community,
        _board(N_("Vote result: %(title)s"), title=vote.title)[:120],
        body,
        kind="vote",
        pinned=False,
        notify_residents=False,
    )
    notify.send(
        notify.community_user_ids(vote.community_id),
        N_("The result of “%(title)s” is posted."),
        link=vote_path(vote),
        community_id=vote.community_id,
        params={"title": vote.title},
    )


@dataclass
class DueReport:
    opened: list[int] = field(default_factory=list)
    closed: list[int] = field(default_factory=list)
    failed: list[tuple[int, str]] = field(default_factory=list)


def refresh_vote(vote: Vote, now: datetime | None = None) -> bool:
    """Lazy scheduling, called when a vote is viewed: close it when closes_at has passed, or
    open an auto_open draft whose opens_at has come. Returns True when it changed (the caller
    commits). A scheduled opening that is refused (e.g. the topic is unposted) leaves the draft
    as it is; `process_due_votes` reports why."""
    now = _now(now)
    if vote.status == VoteStatus.OPEN and now >= aware(vote.closes_at):
        with db.session.begin_nested():
            close_vote(None, vote, now=now)
        return True
    if vote.status == VoteStatus.DRAFT and vote.auto_open and now >= aware(vote.opens_at):
        try:
            with db.session.begin_nested():
                _open(None, vote, now, planned=True)
        except DomainError:
            return False
        return True
    return False


def process_due_votes(now: datetime | None = None) -> DueReport:
    """Close every open vote whose closes_at has passed and open every auto_open draft whose
    opens_at has come (`flask close-due-votes`, e.g. from cron). Each vote in its own
    savepoint; the caller commits."""
    now = _now(now)
    report = DueReport()
    due_close = db.session.scalars(
        select(Vote).where(Vote.status == VoteStatus.OPEN, Vote.closes_at <= now).order_by(Vote.id)
    ).all()
    for vote in due_close:
        try:
            with db.session.begin_nested():
                close_vote(None, vote, now=now)
            report.closed.append(vote.id)
        except DomainError as err:
            report.failed.append((vote.id, err.message))
    due_open = db.session.scalars(
        select(Vote)
        .where(Vote.status == VoteStatus.DRAFT, Vote.auto_open.is_(True), Vote.opens_at <= now)
        .order_by(Vote.id)
    ).all()
    for vote in due_open:
        try:
            with db.session.begin_nested():
                _open(None, vote, now, planned=True)
            report.opened.append(vote.id)
        except DomainError as err:
            report.failed.append((vote.id, err.message))
    return report


def send_reminders(now: datetime | None = None) -> int:
    """Once per vote, VOTE_REMIND_HOURS before it closes: a notice on the board and an inbox
    message to every owner account and proxy of an elector who has not voted. Returns the
    number of messages. The caller commits (`flask remind-votes`, e.g. hourly from cron)."""
    now = _now(now)
    window = timedelta(hours=config("VOTE_REMIND_HOURS"))
    votes = db.session.scalars(
        select(Vote)
        .where(
            Vote.status == VoteStatus.OPEN,
            Vote.reminded_at.is_(None),
            Vote.closes_at > now,
            Vote.closes_at <= now + window,
        )
        .order_by(Vote.id)
    ).all()
    sent = 0
    for vote in votes:
        no_ballot = and_(
            Ballot.vote_id == VoteElector.vote_id, Ballot.owner_id == VoteElector.owner_id
        )
        owners = (
            select(Residency.user_id)
            .join(Unit, Unit.id == Residency.unit_id)
            .join(VoteElector, VoteElector.owner_id == Unit.owner_id)
            .outerjoin(Ballot, no_ballot)
            .where(
                VoteElector.vote_id == vote.id,
                Ballot.id.is_(None),
                Residency.status == ResidencyStatus.ACTIVE,
                Residency.relation == Relation.OWNER,
            )
        )
        proxies = (
            select(VoteProxy.proxy_user_id)
            .join(
                VoteElector,
                and_(
                    VoteElector.vote_id == VoteProxy.vote_id,
                    VoteElector.owner_id == VoteProxy.owner_id,
                ),
            )
            .outerjoin(Ballot, no_ballot)
            .where(
                VoteProxy.vote_id == vote.id,
                VoteProxy.revoked_at.is_(None),
                Ballot.id.is_(None),
            )
        )
        user_ids = db.session.scalars(union(owners, proxies)).all()
        closes = _local(vote.closes_at)
        sent += notify.send(
            user_ids,
            N_("Reminder: “%(title)s” closes on %(closes)s and you have not voted yet."),
            link=vote_path(vote),
            community_id=vote.community_id,
            params={"title": vote.title, "closes": closes},
        )
        post_notice(
            None,
            vote.community,
            _board(N_("Vote closes soon: %(title)s"), title=vote.title)[:120],
            _board(
                N_(
                    "Voting on “%(title)s” closes on %(closes)s. Owners who have not voted can "
                    "still vote on the app or ask the committee for a paper ballot.\n%(link)s"
                ),
                title=vote.title,
                closes=closes,
                link=vote_path(vote),
            ),
            kind="vote",
            notify_residents=False,
        )
        vote.reminded_at = now
    return sent


# ---------------------------------------------------------------------------------------------
# Ballots


@dataclass(frozen=True)
class CastResult:
    receipt: str  # stored form, e.g. ABCDEFGH
    owner_id: int
    choice: str
    channel: str
    changed: bool  # True when this replaced an earlier ballot of the owner
    previous_choice: str | None

    @property
    def receipt_display(self) -> str:
        return receipts.format_receipt(self.receipt)


@dataclass(frozen=True)
class CastOption:
    owner_id: int
    via: str  # "owner" (the user is this owner) or "proxy" (recorded proxy for this vote)


def _options_statement(*, lock: bool):
    """One statement: the vote's state and the electors a user may cast for (own owner links to
    any unit of the owner, and active proxies). With lock, the vote row is read FOR KEY SHARE (on
    PostgreSQL): a close (FOR UPDATE) waits for this cast, a cast after a close sees it closed.
    Built once with bind parameters (vote_id, user_id), so each cast only executes it."""
    vote_t, ve, unit, res, proxy = (
        Vote.__table__,
        VoteElector.__table__,
        Unit.__table__,
        Residency.__table__,
        VoteProxy.__table__,
    )
    vote_id, user_id = bindparam("vote_id", type_=Integer), bindparam("user_id", type_=Integer)
    own = (
        select(ve.c.owner_id, literal_column("'owner'").label("via"))
        .select_from(
            res.join(unit, unit.c.id == res.c.unit_id).join(
                ve, and_(ve.c.owner_id == unit.c.owner_id, ve.c.vote_id == vote_id)
            )
        )
        .where(
            res.c.user_id == user_id,
            res.c.status == ResidencyStatus.ACTIVE.value,
            res.c.relation == Relation.OWNER.value,
        )
    )
    proxied = (
        select(proxy.c.owner_id, literal_column("'proxy'").label("via"))
        .select_from(
            proxy.join(ve, and_(ve.c.vote_id == proxy.c.vote_id, ve.c.owner_id == proxy.c.owner_id))
        )
        .where(
            proxy.c.vote_id == vote_id,
            proxy.c.proxy_user_id == user_id,
            proxy.c.revoked_at.is_(None),
        )
    )
    opts = union(own, proxied).cte("opts")
    stmt = (
        select(vote_t.c.status, vote_t.c.closes_at, opts.c.owner_id, opts.c.via)
        .select_from(vote_t.outerjoin(opts, true()))
        .where(vote_t.c.id == vote_id)
    )
    # FOR KEY SHARE: the lock the log event's foreign key to the vote takes anyway; it lets
    # casts run side by side and conflicts with the FOR UPDATE that closing takes.
    return stmt.with_for_update(read=True, key_share=True, of=vote_t) if lock else stmt


_OPTIONS = _options_statement(lock=False)
_OPTIONS_LOCKED = _options_statement(lock=True)


def _options_from(rows: Sequence[Any]) -> list[CastOption]:
    by_owner: dict[int, str] = {}
    for _status, _closes, owner_id, via in rows:
        if owner_id is not None and by_owner.get(owner_id) != "owner":
            by_owner[owner_id] = via  # being the owner beats being their proxy
    return [CastOption(o, v) for o, v in sorted(by_owner.items(), key=lambda x: (x[1], x[0]))]


def cast_options(user: Any, vote: Vote) -> list[CastOption]:
    """The electors `user` may cast for in this vote (one query): owners the user is linked to
    by an active owner link to any of their units, and owners who recorded the user as proxy.
    Empty for a draft (no electorate yet) and for anonymous users."""
    if not getattr(user, "is_authenticated", True) or getattr(user, "id", None) is None:
        return []
    if vote.status == VoteStatus.DRAFT:
        return []
    rows = db.session.execute(_OPTIONS, {"vote_id": vote.id, "user_id": user.id}).all()
    return _options_from(rows)


def _check_open(status: str, closes_at: datetime, now: datetime) -> None:
    if status == VoteStatus.DRAFT:
        raise DomainError(_("This vote has not opened yet."))
    if status == VoteStatus.CLOSED or now >= aware(closes_at):
        raise DomainError(_("This vote has closed."))


def _lock_for_ballots(vote: Vote, now: datetime) -> None:
    """Read the vote's state FOR KEY SHARE (see _options_statement) and refuse unless it is
    open and before closes_at."""
    status, closes_at = db.session.execute(
        select(Vote.status, Vote.closes_at)
        .where(Vote.id == vote.id)
        .with_for_update(read=True, key_share=True)
    ).one()
    _check_open(status, closes_at, now)


def _not_an_elector(user: Any, vote: Vote) -> DomainError:
    links = db.session.execute(
        select(Residency.relation, Residency.status).where(
            Residency.user_id == user.id, Residency.community_id == vote.community_id
        )
    ).all()
    active = {rel for rel, status in links if status == ResidencyStatus.ACTIVE}
    if Relation.OWNER in active:
        return DomainError(
            _("Your home is not in this vote's scope, so you are not in its electorate.")
        )
    if any(rel == Relation.OWNER and s == ResidencyStatus.PENDING for rel, s in links):
        return DomainError(
            _("Your link as owner still waits for the committee's confirmation; then you can vote.")
        )
    if active:
        return DomainError(
            _(
                "Only owners vote. Family members and tenants can vote only when the committee "
                "has recorded them as the owner's proxy for this vote."
            )
        )
    return DomainError(_("You are not an owner in this community, so you cannot vote here."))


def _choice(choice: str) -> str:
    if choice not in CHOICES:
        raise DomainError(_("Please choose agree, disagree or abstain."), "choice")
    return choice


# The whole cast in one PostgreSQL statement: the vote's state read FOR KEY SHARE (a close, FOR
# UPDATE, waits for it; a cast behind a close re-reads the vote, sees it closed and writes
# nothing), the electors the user may cast for (as in _options_statement), the choice of elector
# (as in cast_ballot), the upsert and its log event. It returns no row whenever it did not cast;
# the caller then takes the explained path (cast_ballot's checks), which raises the reason.
# {vote_join} selects the vote by id alone, or by id and community code with the user's account
# checked as the login would (see core.web.session_account); {proxied} adds the owners who
# recorded the user as proxy (the vote page's fast path leaves them to cast_ballot).
_ONE_STATEMENT_CAST = """
WITH v AS (
    SELECT vote.id, vote.community_id FROM vote{vote_join}
    WHERE vote.id = :vote_id AND vote.status = 'open' AND vote.closes_at > :now
    FOR KEY SHARE OF vote
), opts AS (
    SELECT ve.owner_id, 'owner' AS via
    FROM v
    JOIN residency r ON r.user_id = :user_id AND r.community_id = v.community_id
        AND r.status = 'active' AND r.relation = 'owner'
    JOIN unit u ON u.id = r.unit_id
    JOIN vote_elector ve ON ve.vote_id = v.id AND ve.owner_id = u.owner_id{proxied}
), best AS (
    SELECT owner_id, min(via) AS via FROM opts GROUP BY owner_id
), pick AS (
    SELECT min(owner_id) AS owner_id, min(via) AS via FROM best
    WHERE CASE WHEN CAST(:owner_id AS integer) IS NULL
        THEN via = 'owner' OR NOT EXISTS (SELECT 1 FROM best WHERE via = 'owner')
        ELSE owner_id = CAST(:owner_id AS integer) END
    HAVING count(*) = 1
), upserted AS (
    INSERT INTO ballot AS b (vote_id, owner_id, choice, previous_choice, channel,
        cast_by_user_id, reference, receipt, changes, created_at, updated_at)
    SELECT :vote_id, pick.owner_id, :choice, NULL,
        CASE WHEN pick.via = 'proxy' THEN 'proxy' ELSE 'online' END,
        :user_id, '', :receipt, 0, :now, :now
    FROM pick
    ON CONFLICT (vote_id, owner_id) DO UPDATE SET
        previous_choice = b.choice, choice = EXCLUDED.choice, channel = EXCLUDED.channel,
        cast_by_user_id = EXCLUDED.cast_by_user_id, reference = '', changes = b.changes + 1,
        updated_at = EXCLUDED.updated_at
    RETURNING b.owner_id, b.receipt, b.previous_choice, b.changes, b.channel
)
INSERT INTO ballot_event (vote_id, owner_id, receipt, kind, choice, previous_choice, channel,
    actor_id, reference, reason, created_at)
SELECT :vote_id, owner_id, receipt,
    CASE WHEN changes > 0 THEN 'change' ELSE 'cast' END, :choice,
    CASE WHEN changes > 0 THEN previous_choice END, channel, :user_id, '', '', :now
FROM upserted
RETURNING owner_id, receipt, previous_choice, kind, channel
"""
_PROXIED = """
    UNION ALL
    SELECT p.owner_id, 'proxy' AS via
    FROM v
    JOIN vote_proxy p ON p.vote_id = v.id AND p.proxy_user_id = :user_id
        AND p.revoked_at IS NULL
    JOIN vote_elector ve ON ve.vote_id = v.id AND ve.owner_id = p.owner_id"""
_CAST_BY_ID = text(_ONE_STATEMENT_CAST.format(vote_join="", proxied=_PROXIED)).bindparams(
    bindparam("now", type_=DateTime(timezone=True))
)
_CAST_OWN_BY_CODE = text(
    _ONE_STATEMENT_CAST.format(
        vote_join="""
    JOIN community ON community.id = vote.community_id AND community.code = :code
    JOIN "user" account ON account.id = :user_id
        AND account.session_version = :session_version AND account.active""",
        proxied="",
    )
).bindparams(bindparam("now", type_=DateTime(timezone=True)))


def _cast_in_one_statement(
    stmt: Any, params: dict[str, Any], choice: str, now: datetime
) -> CastResult | None:
    """Run a one-statement cast (PostgreSQL); None when it cast nothing. A new receipt code
    that collides with another ballot's in the vote (about 1 in 10^7 per ballot) is drawn
    again, as in cast_ballot: the cast is the transaction's only write, so it starts again."""
    for attempt in range(3):
        values = {**params, "choice": choice, "now": now, "receipt": receipts.new_receipt()}
        try:
            row = db.session.execute(stmt, values).first()
        except IntegrityError as exc:
            db.session.rollback()
            if attempt == 2 or "receipt" not in str(exc.orig):
                raise
            continue
        if row is None:
            return None
        owner_id, receipt, previous, kind, channel = row
        changed = kind == "change"
        return CastResult(
            receipt, owner_id, choice, channel, changed, previous if changed else None
        )
    raise AssertionError("unreachable")


def _pick_option(
    options: list[CastOption], owner_id: int | None, user: Any, vote: Vote
) -> CastOption:
    """The elector this cast is for (as _ONE_STATEMENT_CAST picks it), or the refusal."""
    if not options:
        raise _not_an_elector(user, vote)
    if owner_id is not None:
        picked = [o for o in options if o.owner_id == owner_id]
        if not picked:
            raise DomainError(_("You may not vote for this owner."), "owner")
        return picked[0]
    own = [o for o in options if o.via == "owner"]
    candidates = own or options
    if len(candidates) != 1:
        raise DomainError(_("Please choose which owner you are voting for."), "owner")
    return candidates[0]


def cast_ballot(
    user: Any,
    vote: Vote,
    choice: str,
    owner_id: int | None = None,
    now: datetime | None = None,
) -> CastResult:
    """An owner (or their recorded proxy) casts or changes their ballot online.

    `owner_id` picks the elector when the user may vote for several (own home and a proxy, or
    proxies for two owners); without it the user's own ballot is cast, or their only option.
    Refusals (DomainError): bad choice, vote not open or past closing, the user is not an owner
    in the electorate nor a proxy. The ballot keeps its receipt when changed; every cast adds a
    log event. Changing over a paper ballot is allowed: it is the owner's own latest word.

    Does its own permission check (the same as "vote.cast"): a view need not call
    permissions.require first. One statement on PostgreSQL when the ballot is cast (checks,
    upsert and log event together, see _ONE_STATEMENT_CAST); a refusal then takes one read,
    which explains it. Three statements on SQLite (options under a share lock, upsert, log
    event)."""
    now = _now(now)
    choice = _choice(choice)
    vote_id, user_id = vote.id, user.id
    if _dialect() == "postgresql":
        # The cast is one atomic statement; when it casts nothing, the reads below say why and
        # write nothing. So a cast never spans two statements here, even on a connection in
        # autocommit (benchmarks/vote_cast).
        params = {"vote_id": vote_id, "user_id": user_id, "owner_id": owner_id}
        for _attempt in range(3):
            done = _cast_in_one_statement(_CAST_BY_ID, params, choice, now)
            if done is not None:
                return done
            rows = db.session.execute(_OPTIONS, {"vote_id": vote_id, "user_id": user_id}).all()
            _check_open(rows[0][0], rows[0][1], now)
            _pick_option(_options_from(rows), owner_id, user, vote)
            # Everything holds now: the vote or the user's links changed in between. Again.
        raise DomainError(_("We could not finish this. Nothing was saved. Please try again later."))
    for attempt in range(3):
        rows = db.session.execute(_OPTIONS_LOCKED, {"vote_id": vote_id, "user_id": user_id}).all()
        _check_open(rows[0][0], rows[0][1], now)
        option = _pick_option(_options_from(rows), owner_id, user, vote)
        channel = Channel.PROXY if option.via == "proxy" else Channel.ONLINE
        try:
            return _upsert_ballot(vote_id, option.owner_id, choice, channel, user_id, now)
        except IntegrityError as exc:
            # A new receipt code collided with another ballot's in this vote (about 1 in 10^7
            # per ballot): the cast is this transaction's only write, so start it again.
            db.session.rollback()
            if attempt == 2 or "receipt" not in str(exc.orig):
                raise
    raise AssertionError("unreachable")


def cast_own_ballot(
    user: Any,
    code: str,
    vote_id: int,
    choice: str,
    owner_id: int | None = None,
    now: datetime | None = None,
) -> CastResult | None:
    """The vote page's fast path (PostgreSQL): an owner casts their own ballot in vote
    `vote_id` of the community `code`, in one statement (and one round trip, when the session's
    connection is in autocommit: the statement is atomic on its own). It casts only when
    everything the page would check holds: the account (`user`: a User or a
    core.web.SessionAccount, anything with id and session_version) exists with that session
    version and is active, the vote is of that community, open and before closes_at, and the
    user has an active owner link in the community to an owner of its electorate (so the user
    may view the vote and cast in it), `owner_id` (if given) is that owner, and without
    `owner_id` the user owns exactly one elector.

    Returns None when it cast nothing, on SQLite, or for a bad choice: the caller then loads the
    vote and calls cast_ballot, which casts for proxies and explains every refusal."""
    if choice not in CHOICES or _dialect() != "postgresql":
        return None
    params = {
        "code": code,
        "vote_id": vote_id,
        "user_id": user.id,
        "session_version": user.session_version,
        "owner_id": owner_id,
    }
    return _cast_in_one_statement(_CAST_OWN_BY_CODE, params, choice, _now(now))


_EVENT_COLUMNS = (
    "vote_id",
    "owner_id",
    "receipt",
    "kind",
    "choice",
    "previous_choice",
    "channel",
    "actor_id",
    "reference",
    "reason",
    "created_at",
)


def _upsert_statement(dialect: str):
    """INSERT … ON CONFLICT (vote_id, owner_id) DO UPDATE … RETURNING receipt, previous
    choice, changes. In SET, the table's own columns are the existing row's values, read under
    the row lock: concurrent changes record an exact history."""
    table = Ballot.__table__
    p = {
        "vote_id": bindparam("vote_id", type_=Integer),
        "owner_id": bindparam("owner_id", type_=Integer),
        "choice": bindparam("choice", type_=String),
        "channel": bindparam("channel", type_=String),
        "user_id": bindparam("user_id", type_=Integer),
        "receipt": bindparam("receipt", type_=String),
        "now": bindparam("now", type_=DateTime(timezone=True)),
    }
    insert_fn = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert_fn(table).values(
        vote_id=p["vote_id"],
        owner_id=p["owner_id"],
        choice=p["choice"],
        previous_choice=None,
        channel=p["channel"],
        cast_by_user_id=p["user_id"],
        reference="",
        receipt=p["receipt"],
        changes=0,
        created_at=p["now"],
        updated_at=p["now"],
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.vote_id, table.c.owner_id],
        set_={
            "previous_choice": table.c.choice,
            "choice": stmt.excluded.choice,
            "channel": stmt.excluded.channel,
            "cast_by_user_id": stmt.excluded.cast_by_user_id,
            "reference": "",
            "changes": table.c.changes + 1,
            "updated_at": stmt.excluded.updated_at,
        },
    ).returning(table.c.receipt, table.c.previous_choice, table.c.changes)
    if dialect != "postgresql":
        return stmt
    # PostgreSQL: the log event is written by the same statement (a data-modifying CTE).
    upserted = stmt.cte("upserted")
    changed = upserted.c.changes > 0
    events = BallotEvent.__table__
    rows = select(
        p["vote_id"],
        p["owner_id"],
        upserted.c.receipt,
        case((changed, literal_column("'change'")), else_=literal_column("'cast'")),
        p["choice"],
        case((changed, upserted.c.previous_choice), else_=null()),
        p["channel"],
        p["user_id"],
        literal_column("''"),
        literal_column("''"),
        p["now"],
    )
    return (
        events.insert()
        .from_select(list(_EVENT_COLUMNS), rows)
        .returning(events.c.receipt, events.c.previous_choice, events.c.kind)
    )


_UPSERT: dict[str, Any] = {}


def _upsert_ballot(
    vote_id: int, owner_id: int, choice: str, channel: str, user_id: int, now: datetime
) -> CastResult:
    dialect = _dialect()
    stmt = _UPSERT.get(dialect)
    if stmt is None:
        stmt = _UPSERT[dialect] = _upsert_statement(dialect)
    params = {
        "vote_id": vote_id,
        "owner_id": owner_id,
        "choice": choice,
        "channel": str(channel),
        "user_id": user_id,
        "receipt": receipts.new_receipt(),
        "now": now,
    }
    if dialect == "postgresql":
        receipt, previous, kind = db.session.execute(stmt, params).one()
        changed = kind == "change"
    else:
        receipt, previous, changes = db.session.execute(stmt, params).one()
        changed = changes > 0
        previous = previous if changed else None
        db.session.execute(
            BallotEvent.__table__.insert().values(
                vote_id=vote_id,
                owner_id=owner_id,
                receipt=receipt,
                kind="change" if changed else "cast",
                choice=choice,
                previous_choice=previous,
                channel=str(channel),
                actor_id=user_id,
                reference="",
                reason="",
                created_at=now,
            )
        )
    return CastResult(receipt, owner_id, choice, str(channel), changed, previous)


def _elector_owner(vote: Vote, unit_id: int | None, owner_id: int | None) -> int:
    if unit_id is not None:
        owner_id = db.session.scalar(
            select(Unit.owner_id).where(Unit.id == unit_id, Unit.community_id == vote.community_id)
        )
        if owner_id is None:
            raise DomainError(_("This home is not in the register of this community."), "unit")
    if owner_id is None:
        raise DomainError(_("Please choose the home or owner of this ballot."), "unit")
    if not db.session.scalar(
        select(VoteElector.owner_id).where(
            VoteElector.vote_id == vote.id, VoteElector.owner_id == owner_id
        )
    ):
        raise DomainError(_("This owner has no home in this vote's scope."), "unit")
    return owner_id


def enter_paper_ballot(
    actor: Any,
    vote: Vote,
    choice: str,
    reference: str,
    *,
    unit_id: int | None = None,
    owner_id: int | None = None,
    supersede_reason: str = "",
    now: datetime | None = None,
) -> CastResult:
    """The committee enters one paper ballot (入户征询) for the owner of `unit_id` (or
    `owner_id`), with the number written on it. If the owner already has a ballot (online,
    proxy or an earlier paper one) it is refused with a clear message, unless
    `supersede_reason` is given: then the paper ballot replaces it, audited with the reason."""
    now = _now(now)
    choice = _choice(choice)
    reference = (reference or "").strip()
    if not reference:
        raise DomainError(_("Please enter the number written on the paper ballot."), "reference")
    if len(reference) > 40:
        raise DomainError(_("The ballot reference is longer than 40 characters."), "reference")
    _lock_for_ballots(vote, now)
    owner_id = _elector_owner(vote, unit_id, owner_id)
    clash = db.session.scalar(
        select(Ballot.id).where(
            Ballot.vote_id == vote.id, Ballot.reference == reference, Ballot.owner_id != owner_id
        )
    )
    if clash:
        raise DomainError(
            _("Reference %(ref)s is already used for another ballot in this vote.", ref=reference),
            "reference",
        )
    existing = db.session.scalar(
        select(Ballot)
        .where(Ballot.vote_id == vote.id, Ballot.owner_id == owner_id)
        .with_for_update()
    )
    reason = (supersede_reason or "").strip()
    actor_id = getattr(actor, "id", None)
    if existing is None:
        stmt = (
            _insert(Ballot)
            .values(
                vote_id=vote.id,
                owner_id=owner_id,
                choice=choice,
                channel=Channel.PAPER,
                cast_by_user_id=actor_id,
                reference=reference,
                receipt=receipts.new_receipt(),
                changes=0,
                created_at=now,
                updated_at=now,
            )
            .on_conflict_do_nothing()
            .returning(Ballot.receipt)
        )
        receipt = db.session.scalar(stmt)
        if receipt is None:
            raise DomainError(
                _("This owner has just voted online. Reload and decide whether to supersede.")
            )
        kind, previous = "cast", None
        audit.record(
            actor,
            "vote.paper",
            community_id=vote.community_id,
            target=vote,
            owner=owner_id,
            reference=reference,
        )
    else:
        if not reason:
            if existing.channel == Channel.PAPER:
                message = _(
                    "A paper ballot (reference %(ref)s) is already recorded for this owner. To "
                    "replace it, supersede it and give a reason.",
                    ref=existing.reference,
                )
            else:
                message = _(
                    "This owner already voted online (receipt %(receipt)s). A paper ballot "
                    "replaces it only if you supersede it and give a reason, for example that "
                    "the owner confirmed the paper ballot in person.",
                    receipt=receipts.format_receipt(existing.receipt),
                )
            raise DomainError(message, "supersede_reason")
        previous = existing.choice
        audit.record(
            actor,
            "vote.supersede",
            community_id=vote.community_id,
            target=vote,
            owner=owner_id,
            reference=reference,
            previous_channel=existing.channel,
            previous_reference=existing.reference,
            reason=reason,
        )
        existing.previous_choice = existing.choice
        existing.choice = choice
        existing.channel = Channel.PAPER
        existing.cast_by_user_id = actor_id
        existing.reference = reference
        existing.changes += 1
        existing.updated_at = now
        receipt, kind = existing.receipt, "supersede"
        db.session.flush()
    db.session.execute(
        BallotEvent.__table__.insert().values(
            vote_id=vote.id,
            owner_id=owner_id,
            receipt=receipt,
            kind=kind,
            choice=choice,
            previous_choice=previous,
            channel=Channel.PAPER,
            actor_id=actor_id,
            reference=reference,
            reason=reason[:300] if kind == "supersede" else "",
            created_at=now,
        )
    )
    return CastResult(receipt, owner_id, choice, Channel.PAPER, kind == "supersede", previous)


@dataclass
class ImportReport:
    rows: int  # ballot rows read from the sheet
    created: int  # ballots written (0 on a dry run or when there are errors)
    skipped: int  # rows already recorded identically (re-importing a sheet is harmless)
    errors: list[tuple[int, str]]  # (sheet row number, message); row 0: the file itself
    dry_run: bool

    @property
    def ok(self) -> bool:
        return not self.errors


def _norm(value: str) -> str:
    """Match 3, ３, 3号楼, 3栋, 3幢 and 1单元 to the register's plain names."""
    text = ballot_import.clean(value).replace(" ", "")
    for suffix in ("号楼", "单元", "栋", "幢", "楼", "号", "室"):
        if text.endswith(suffix) and len(text) > len(suffix):
            text = text[: -len(suffix)]
            break
    return text.lower()


def import_paper_sheet(
    actor: Any, vote: Vote, filename: str, data: bytes, *, dry_run: bool = False
) -> ImportReport:
    """Read a sheet (CSV or XLSX, see ballot_import) and import it: all or nothing."""
    parsed = ballot_import.parse_sheet(filename, data)
    parse_errors = [(e.row, _(e.msgid, **e.params)) for e in parsed.errors]
    return import_paper_ballots(
        actor, vote, parsed.rows, dry_run=dry_run, extra_errors=parse_errors
    )


def import_paper_ballots(
    actor: Any,
    vote: Vote,
    rows: Sequence[ballot_import.SheetRow],
    *,
    dry_run: bool = False,
    extra_errors: Sequence[tuple[int, str]] = (),
    now: datetime | None = None,
) -> ImportReport:
    """Check every row against the register, the scope and the ballots already recorded, in a
    fixed number of queries; write them all only when no row has an error and it is not a dry
    run. A row for an owner who already voted (online, by proxy, or a different paper ballot)
    is an error: such ballots are entered one at a time with a supersede reason. A row identical
    to a paper ballot already recorded (same owner, reference and choice) is skipped."""
    now = _now(now)
    _lock_for_ballots(vote, now)
    errors: list[tuple[int, str]] = list(extra_errors)
    units: dict[tuple[str, str, str], tuple[int, int]] = {}
    for unit_id, owner_id, bname, ename, room in db.session.execute(
        select(Unit.id, Unit.owner_id, Building.name, Entrance.name, Unit.room)
        .join(Entrance, Entrance.id == Unit.entrance_id)
        .join(Building, Building.id == Entrance.building_id)
        .where(Unit.community_id == vote.community_id)
    ):
        units[(_norm(bname), _norm(ename), _norm(room))] = (unit_id, owner_id)
    electors = set(
        db.session.scalars(select(VoteElector.owner_id).where(VoteElector.vote_id == vote.id))
    )
    existing = {
        owner_id: (channel, choice, reference)
        for owner_id, channel, choice, reference in db.session.execute(
            select(Ballot.owner_id, Ballot.channel, Ballot.choice, Ballot.reference).where(
                Ballot.vote_id == vote.id
            )
        )
    }
    used_refs = {ref: owner for owner, (_c, _ch, ref) in existing.items() if ref}
    seen_owner: dict[int, int] = {}
    seen_ref: dict[str, int] = {}
    to_write: list[tuple[ballot_import.SheetRow, int]] = []
    skipped = 0
    for row in rows:
        found = units.get((_norm(row.building), _norm(row.entrance), _norm(row.room)))
        if found is None:
            errors.append((row.row, _("No home %(label)s in the register.", label=row.label)))
            continue
        _unit_id, owner_id = found
        if owner_id not in electors:
            errors.append(
                (row.row, _("Home %(label)s is not in this vote's scope.", label=row.label))
            )
            continue
        if row.reference in seen_ref:
            errors.append(
                (
                    row.row,
                    _(
                        "Reference %(ref)s is also on row %(other)d.",
                        ref=row.reference,
                        other=seen_ref[row.reference],
                    ),
                )
            )
            continue
        seen_ref[row.reference] = row.row
        if owner_id in seen_owner:
            errors.append(
                (
                    row.row,
                    _(
                        "The owner of %(label)s is already on row %(other)d: one ballot per "
                        "owner, even with several homes.",
                        label=row.label,
                        other=seen_owner[owner_id],
                    ),
                )
            )
            continue
        seen_owner[owner_id] = row.row
        if owner_id in existing:
            channel, choice, reference = existing[owner_id]
            if channel == Channel.PAPER and reference == row.reference and choice == row.choice:
                skipped += 1
                continue
            if channel == Channel.PAPER:
                message = _(
                    "A different paper ballot (reference %(ref)s) is already recorded for the "
                    "owner of %(label)s. Correct it on its own, with a reason.",
                    ref=reference,
                    label=row.label,
                )
            else:
                message = _(
                    "The owner of %(label)s already voted online. Enter this ballot on its own "
                    "and supersede the online ballot with a reason only if the owner confirms.",
                    label=row.label,
                )
            errors.append((row.row, message))
            continue
        if used_refs.get(row.reference, owner_id) != owner_id:
            errors.append(
                (
                    row.row,
                    _(
                        "Reference %(ref)s is already used for another ballot in this vote.",
                        ref=row.reference,
                    ),
                )
            )
            continue
        to_write.append((row, owner_id))
    errors.sort(key=lambda e: e[0])
    report = ImportReport(len(rows), 0, skipped, errors, dry_run)
    if errors or dry_run or not to_write:
        return report
    actor_id = getattr(actor, "id", None)
    ballots = [
        {
            "vote_id": vote.id,
            "owner_id": owner_id,
            "choice": row.choice,
            "channel": Channel.PAPER.value,
            "cast_by_user_id": actor_id,
            "reference": row.reference,
            "receipt": receipts.new_receipt(),
            "changes": 0,
            "created_at": now,
            "updated_at": now,
        }
        for row, owner_id in to_write
    ]
    written = db.session.execute(
        _insert(Ballot).on_conflict_do_nothing().returning(Ballot.owner_id), ballots
    ).all()
    if len(written) != len(ballots):
        raise DomainError(
            _(
                "Some owners voted while the sheet was being imported. Nothing was saved; please import it again."
            )
        )
    db.session.execute(
        BallotEvent.__table__.insert(),
        [
            {
                "vote_id": vote.id,
                "owner_id": b["owner_id"],
                "receipt": b["receipt"],
                "kind": "cast",
                "choice": b["choice"],
                "previous_choice": None,
                "channel": Channel.PAPER.value,
                "actor_id": actor_id,
                "reference": b["reference"],
                "reason": "",
                "created_at": now,
            }
            for b in ballots
        ],
    )
    audit.record(
        actor,
        "vote.import_paper",
        community_id=vote.community_id,
        target=vote,
        created=len(ballots),
        skipped=skipped,
    )
    report.created = len(ballots)
    return report


# ---------------------------------------------------------------------------------------------
# Proxies


def record_proxy(
    actor: Any,
    vote: Vote,
    owner_id: int,
    proxy_user: User,
    evidence: str,
    now: datetime | None = None,
) -> VoteProxy:
    """The committee records that `proxy_user` may vote for the owner in this vote, with the
    evidence it saw (e.g. "signed 委托书 and ID card seen"). The proxy needs an account linked
    to this community (a family member or tenant usually is). Draft or open votes only."""
    now = _now(now)
    if vote.status == VoteStatus.CLOSED or (
        vote.status == VoteStatus.OPEN and now >= aware(vote.closes_at)
    ):
        raise DomainError(_("This vote has closed."))
    evidence = (evidence or "").strip()
    if not evidence:
        raise DomainError(
            _("Please note the evidence you saw, such as a signed proxy form."), "evidence"
        )
    owner = db.session.get(Owner, owner_id)
    if owner is None or owner.community_id != vote.community_id:
        raise DomainError(_("This owner is not in this community."), "owner")
    if vote.status == VoteStatus.OPEN:
        in_scope = db.session.scalar(
            select(VoteElector.owner_id).where(
                VoteElector.vote_id == vote.id, VoteElector.owner_id == owner_id
            )
        )
    else:
        in_scope = db.session.scalar(
            select(Unit.id)
            .where(
                _scope_clause(vote.community_id, vote.scope_kind, vote.scope_ids),
                Unit.owner_id == owner_id,
            )
            .limit(1)
        )
    if not in_scope:
        raise DomainError(_("This owner has no home in this vote's scope."), "owner")
    links = db.session.execute(
        select(Residency.relation, Unit.owner_id)
        .join(Unit, Unit.id == Residency.unit_id)
        .where(
            Residency.user_id == proxy_user.id,
            Residency.community_id == vote.community_id,
            Residency.status == ResidencyStatus.ACTIVE,
        )
    ).all()
    if not links:
        raise DomainError(
            _(
                "The proxy needs an account linked to a home in this community (as family or tenant)."
            ),
            "proxy",
        )
    if any(rel == Relation.OWNER and oid == owner_id for rel, oid in links):
        raise DomainError(_("This account is the owner's own: it votes without a proxy."), "proxy")
    active = db.session.scalar(
        select(VoteProxy.id).where(
            VoteProxy.vote_id == vote.id,
            VoteProxy.owner_id == owner_id,
            VoteProxy.revoked_at.is_(None),
        )
    )
    if active:
        raise DomainError(
            _("This owner already has a proxy for this vote. Revoke it first."), "owner"
        )
    proxy = VoteProxy(
        vote_id=vote.id,
        owner_id=owner_id,
        proxy_user_id=proxy_user.id,
        evidence=evidence[:2000],
        recorded_by_id=getattr(actor, "id", None),
        created_at=now,
    )
    db.session.add(proxy)
    db.session.flush()
    audit.record(
        actor,
        "vote.proxy",
        community_id=vote.community_id,
        target=vote,
        owner=owner_id,
        proxy_user=proxy_user.id,
        evidence=evidence[:200],
    )
    notify.send(
        [proxy_user.id],
        N_("You may vote in “%(title)s” as the proxy of the owner of %(homes)s."),
        link=vote_path(vote),
        community_id=vote.community_id,
        params={"title": vote.title, "homes": ", ".join(owner_unit_labels(owner_id))},
    )
    return proxy


def revoke_proxy(actor: Any, proxy: VoteProxy, reason: str, now: datetime | None = None) -> None:
    """End a proxy; a ballot it already cast stays (it was cast with authority)."""
    if proxy.revoked_at is not None:
        raise DomainError(_("This proxy is already revoked."))
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Please give a reason."), "reason")
    proxy.revoked_at = _now(now)
    proxy.revoked_by_id = getattr(actor, "id", None)
    proxy.revoke_reason = reason[:300]
    vote = db.session.get(Vote, proxy.vote_id)
    audit.record(
        actor,
        "vote.proxy_revoke",
        community_id=vote.community_id,
        target=vote,
        owner=proxy.owner_id,
        proxy_user=proxy.proxy_user_id,
        reason=reason,
    )


def proxies(vote: Vote, *, include_revoked: bool = False) -> list[VoteProxy]:
    query = select(VoteProxy).where(VoteProxy.vote_id == vote.id).order_by(VoteProxy.id)
    if not include_revoked:
        query = query.where(VoteProxy.revoked_at.is_(None))
    return list(db.session.scalars(query))


# ---------------------------------------------------------------------------------------------
# Reading: what a ballot carries, tally, result


def _labels(unit_ids: Iterable[int]) -> dict[int, str]:
    ids = list(unit_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(Unit.id, Building.name, Entrance.name, Unit.room)
        .join(Entrance, Entrance.id == Unit.entrance_id)
        .join(Building, Building.id == Entrance.building_id)
        .where(Unit.id.in_(ids))
        .order_by(Building.sort_key, Entrance.sort_key, Unit.sort_key)
    )
    return {uid: f"{b}-{e}-{r}" for uid, b, e, r in rows}


def owner_unit_labels(owner_id: int) -> list[str]:
    return list(
        _labels(db.session.scalars(select(Unit.id).where(Unit.owner_id == owner_id))).values()
    )


@dataclass(frozen=True)
class MyBallot:
    """For the vote page: one elector the user may vote for, what their ballot carries, and
    their current ballot (None before they vote)."""

    owner_id: int
    via: str  # owner | proxy
    area: Decimal
    units: int
    unit_labels: list[str]
    choice: str | None
    channel: str | None
    receipt: str | None  # displayed form ABCD-EFGH
    updated_at: datetime | None


_ELECTORS_WITH_BALLOTS: list = []


def _electors_with_ballots():
    """Electors of a vote among `ids`, each with their ballot if any (built once)."""
    if not _ELECTORS_WITH_BALLOTS:
        _ELECTORS_WITH_BALLOTS.append(
            select(VoteElector, Ballot)
            .outerjoin(
                Ballot,
                and_(
                    Ballot.vote_id == VoteElector.vote_id, Ballot.owner_id == VoteElector.owner_id
                ),
            )
            .where(
                VoteElector.vote_id == bindparam("vote_id"),
                VoteElector.owner_id.in_(bindparam("ids", expanding=True)),
            )
        )
    return _ELECTORS_WITH_BALLOTS[0]


def my_ballots(user: Any, vote: Vote) -> list[MyBallot]:
    """Every elector the user may vote for in this vote, with area, homes and current ballot
    (three queries, whatever the number of options: the options, the electors with their
    ballots, the homes' labels)."""
    options = cast_options(user, vote)
    if not options:
        return []
    ids = [o.owner_id for o in options]
    electors, ballots = {}, {}
    for elector, ballot in db.session.execute(
        _electors_with_ballots(), {"vote_id": vote.id, "ids": ids}
    ):
        electors[elector.owner_id] = elector
        if ballot is not None:
            ballots[elector.owner_id] = ballot
    labels = _labels(uid for e in electors.values() for uid in e.unit_ids)
    result = []
    for option in options:
        elector = electors[option.owner_id]
        ballot = ballots.get(option.owner_id)
        result.append(
            MyBallot(
                owner_id=option.owner_id,
                via=option.via,
                area=elector.area,
                units=elector.units,
                unit_labels=[labels[u] for u in sorted(elector.unit_ids) if u in labels],
                choice=ballot.choice if ballot else None,
                channel=ballot.channel if ballot else None,
                receipt=ballot.receipt_display if ballot else None,
                updated_at=aware(ballot.updated_at) if ballot else None,
            )
        )
    return result


def ballot_for(vote: Vote, owner_id: int) -> Ballot | None:
    return db.session.scalar(
        select(Ballot).where(Ballot.vote_id == vote.id, Ballot.owner_id == owner_id)
    )


def ballot_history(vote: Vote, owner_id: int) -> list[BallotEvent]:
    """One owner's events in order (for the owner's own page: "you changed your ballot")."""
    return list(
        db.session.scalars(
            select(BallotEvent)
            .where(BallotEvent.vote_id == vote.id, BallotEvent.owner_id == owner_id)
            .order_by(BallotEvent.id)
        )
    )


@dataclass(frozen=True)
class Shares:
    """Display percentages (Decimal, 2 places, half-up) of a Totals against a whole."""

    heads: Decimal | None
    area: Decimal | None
    units: Decimal | None


def _shares(part: Totals, whole: Totals) -> Shares:
    return Shares(
        rules.percent(part.heads, whole.heads),
        rules.percent(part.area, whole.area),
        rules.percent(part.units, whole.units),
    )


@dataclass(frozen=True)
class Tally:
    vote_id: int
    rule: rules.Rule
    electorate: Totals
    counts: rules.Counts
    outcome: rules.Outcome
    channels: dict[str, int]  # online, paper, proxy: ballots by channel

    @property
    def participation(self) -> Totals:
        return self.counts.participation

    @property
    def participation_shares(self) -> Shares:
        """Participation as a share of the electorate."""
        return _shares(self.participation, self.electorate)

    def choice_shares(self, choice: str) -> Shares:
        """A choice as a share of the participants."""
        return _shares(self.counts.of(choice), self.participation)

    def snapshot(self, **extra: Any) -> dict[str, Any]:
        """JSON-ready: stored in vote.result at closing."""

        def totals(t: Totals) -> dict[str, Any]:
            return {"owners": t.heads, "units": t.units, "area": str(t.area)}

        data: dict[str, Any] = {
            "rule": self.rule.kind.value,
            "electorate": totals(self.electorate),
            "participation": totals(self.participation),
            **{c: totals(self.counts.of(c)) for c in CHOICES},
            "ballots": dict(self.channels),
            "quorum_met": self.outcome.quorum_met,
            "passed": self.outcome.passed,
            "thresholds": [
                {
                    "name": t.name,
                    "measure": t.measure,
                    "base": t.base.value,
                    "required": str(t.required),
                    "comparison": t.comparison.value,
                    "numerator": str(t.numerator),
                    "denominator": str(t.denominator),
                    "percent": None if t.actual_percent is None else str(t.actual_percent),
                    "holds": t.holds,
                }
                for t in self.outcome.thresholds
            ],
        }
        for key, value in extra.items():
            data[key] = value.isoformat() if isinstance(value, datetime) else value
        return data


def tally(vote: Vote) -> Tally:
    """Counts by choice and channel in one SQL aggregate (ballots joined to the frozen
    electorate), then the pure rule evaluation. For an open or closed vote."""
    electorate = vote.electorate
    if electorate is None:
        raise DomainError(_("This vote has not opened yet."))
    rows = db.session.execute(
        select(
            Ballot.choice,
            Ballot.channel,
            func.count(Ballot.id),
            func.coalesce(func.sum(VoteElector.area_cents), 0),
            func.coalesce(func.sum(VoteElector.units), 0),
        )
        .join(
            VoteElector,
            and_(VoteElector.vote_id == Ballot.vote_id, VoteElector.owner_id == Ballot.owner_id),
        )
        .where(Ballot.vote_id == vote.id)
        .group_by(Ballot.choice, Ballot.channel)
    ).all()
    by_choice = {c: [0, 0, 0] for c in CHOICES}
    channels = {c.value: 0 for c in Channel}
    for choice, channel, heads, cents, units in rows:
        acc = by_choice[choice]
        acc[0] += int(heads)
        acc[1] += int(cents)
        acc[2] += int(units)
        channels[channel] += int(heads)
    counts = rules.Counts(
        **{c: Totals(h, cents_to_area(ct), u) for c, (h, ct, u) in by_choice.items()}
    )
    rule = vote.rule_spec
    return Tally(
        vote.id, rule, electorate, counts, rules.evaluate(rule, electorate, counts), channels
    )


def _log_rows(vote: Vote, *, sealed: bool):
    order = BallotEvent.seq if sealed else BallotEvent.id
    return db.session.execute(
        select(
            BallotEvent.id,
            BallotEvent.seq,
            BallotEvent.hash,
            BallotEvent.receipt,
            BallotEvent.kind,
            BallotEvent.choice,
            BallotEvent.channel,
        )
        .where(BallotEvent.vote_id == vote.id)
        .order_by(order)
    ).all()


def _seal(vote: Vote) -> str:
    """Number the log 1..n in write order, chain it, store each event's seq and hash (one
    executemany) and return the final hash."""
    rows = _log_rows(vote, sealed=False)
    lines = [receipts.header_line(vote.id)] + [
        receipts.event_line(i, r.receipt, r.kind, r.choice, r.channel)
        for i, r in enumerate(rows, start=1)
    ]
    hashes = receipts.chain(lines)
    if rows:
        table = BallotEvent.__table__
        db.session.execute(
            table.update()
            .where(table.c.id == bindparam("event_id"))
            .values(seq=bindparam("event_seq"), hash=bindparam("event_hash")),
            [
                {"event_id": r.id, "event_seq": i, "event_hash": hashes[i]}
                for i, r in enumerate(rows, start=1)
            ],
        )
    return hashes[-1]


@dataclass(frozen=True)
class PublicResult:
    """What is published when a vote closes: no names, no rooms."""

    vote_id: int
    final_hash: str
    receipts: list[tuple[str, str]]  # (receipt as stored, choice), sorted by receipt
    log: list[str]  # the hash-chained lines (receipts.py says exactly what is hashed)

    def as_dict(self) -> dict[str, Any]:
        return {
            "vote": self.vote_id,
            "final_hash": self.final_hash,
            "receipts": [{"receipt": r, "choice": c} for r, c in self.receipts],
            "log": self.log,
        }


def public_result(vote: Vote) -> PublicResult:
    if vote.status != VoteStatus.CLOSED or not vote.final_hash:
        raise DomainError(_("The receipts are published when the vote closes."))
    rows = _log_rows(vote, sealed=True)
    log = [receipts.header_line(vote.id)] + [
        receipts.event_line(r.seq, r.receipt, r.kind, r.choice, r.channel) for r in rows
    ]
    codes = db.session.execute(
        select(Ballot.receipt, Ballot.choice)
        .where(Ballot.vote_id == vote.id)
        .order_by(Ballot.receipt)
    ).all()
    return PublicResult(vote.id, vote.final_hash, [(r, c) for r, c in codes], log)


def check_seal(vote: Vote) -> bool:
    """Recompute the chain from the stored log and compare with the published final hash and
    each stored event hash: False means the log or the ballots were edited after closing."""
    result = public_result(vote)
    if not receipts.verify_publication(result.log, dict(result.receipts), vote.final_hash):
        return False
    stored = [r.hash for r in _log_rows(vote, sealed=True)]
    return stored == receipts.chain(result.log)[1:]


def find_receipt(vote: Vote, code: str) -> str | None:
    """The final choice recorded under a receipt code (what an owner checks after closing)."""
    if vote.status != VoteStatus.CLOSED:
        return None
    return db.session.scalar(
        select(Ballot.choice).where(
            Ballot.vote_id == vote.id, Ballot.receipt == receipts.normalise_receipt(code)
        )
    )


@dataclass(frozen=True)
class ResultNotice:
    """Data of the printable result notice (公示), an A4 page with a QR code to the vote."""

    vote: Vote
    tally: Tally
    scope: str
    rule_text: str
    posted_from: datetime
    posted_until: datetime
    final_hash: str
    ballots: int
    closed_early_reason: str
    link: str

    @property
    def passed(self) -> bool | None:
        return self.tally.outcome.passed


def result_notice(vote: Vote) -> ResultNotice:
    if vote.status != VoteStatus.CLOSED:
        raise DomainError(_("The result is posted when the vote closes."))
    result = tally(vote)
    closed_at = aware(vote.closed_at)
    return ResultNotice(
        vote=vote,
        tally=result,
        scope=scope_label(vote),
        rule_text=describe_rule(vote),
        posted_from=closed_at,
        posted_until=closed_at + timedelta(days=vote.result_notice_days),
        final_hash=vote.final_hash or "",
        ballots=sum(result.channels.values()),
        closed_early_reason=vote.closed_early_reason,
        link=vote_path(vote),
    )


def votes_of(community: Community, *, include_drafts: bool = False) -> list[Vote]:
    """A community's votes, newest first (drafts only for the committee's lists)."""
    query = select(Vote).where(Vote.community_id == community.id)
    if not include_drafts:
        query = query.where(Vote.status != VoteStatus.DRAFT)
    return list(db.session.scalars(query.order_by(Vote.opens_at.desc(), Vote.id.desc())))


def votes_of_topic(topic: Topic) -> list[Vote]:
    return list(db.session.scalars(select(Vote).where(Vote.topic_id == topic.id).order_by(Vote.id)))
