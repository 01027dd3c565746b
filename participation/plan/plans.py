"""Use cases of the costed renovation plan (step 2, 方案共谋).

Life of a plan
--------------
1. `create_plan`: the committee starts version 1 (a draft) of the community's plan.
2. `save_plan` (draft only): title, summary, the lines (menu items with a quantity and a cost per
   item; the cost of a line is quantity × cost per item in fen, half up) and the amounts of the
   funding sources (public.FUNDING_SOURCES). Everything is checked before anything is written;
   lines and sources are replaced as a whole. `prefill` estimates a line from the menu item's
   cost estimate: a total → 1 × total, per unit → units × amount, per m² → area × amount.
3. `publish_plan`: posted for comment (公示) through a consult topic whose body links to the plan
   (its comments are the plan's comments) for the notice period (PLAN_NOTICE_DAYS, default 7,
   or the days given). Refused while the sources do not add up to the total.
4. `put_to_vote`: a confirmation vote on the plan's topic through the voting engine (rule
   `special` by default, since the plan alters common parts), opening by itself at `opens_at`
   (never before the notice period ends: the engine refuses it).
5. The vote's sealed result decides: passed → adopted, failed → rejected
   (`effective_state`; `settle` stores it). A rejected plan, or one in its notice period, may be
   `revise`d: version n+1, a draft copy; the predecessor stays visible (superseded, or rejected).

Each function changes the session only; the caller commits once (or rolls back on DomainError).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from flask import current_app, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.orm import joinedload

from ..consult import services as consult
from ..consult.models import Topic
from ..core import audit
from ..core.errors import DomainError
from ..core.models import Building, Community, Entrance, Unit
from ..core.notify import N_
from ..core.services.community import register_gate
from ..core.timeutil import aware, utcnow
from ..extensions import db
from . import permissions as _permissions  # noqa: F401  (registers the plan.* actions)
from .models import CostBasis, MenuItem, Plan, PlanLine, PlanSource, PlanStatus
from .public import FUNDING_SOURCES, RESIDENTS, PlanSummary, summarise
from .shares import split_by_area

FEN = Decimal("0.01")
MAX_AMOUNT = Decimal("1000000000")  # ¥1 billion: anything above is a typing mistake
MAX_QUANTITY = Decimal("10000000")
TITLE_MAX = 200
SUMMARY_MAX = 4000
MAX_LINES = 100
DEFAULT_RULE = "special"
VOTE_DAYS = 14
EDITABLE = (PlanStatus.DRAFT,)

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _clean(text: Any) -> str:
    text = "" if text is None else str(text)
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n")).strip()


def config(name: str, default: Any) -> Any:
    return current_app.config.get(name, default)


# ---------------------------------------------------------------------------------------------
# Status


def effective_state(
    plan: Plan, vote_status: str | None, vote_result: dict | None, vote_closed_at: datetime | None
) -> tuple[str, datetime | None]:
    """The plan's status and adoption time given its vote's state: a plan put to a vote is
    adopted when the vote closed and its sealed result passed, rejected when it closed
    otherwise, and back in its notice period if the (draft) vote was deleted."""
    if plan.status == PlanStatus.VOTING:
        if vote_status is None:
            return PlanStatus.NOTICE, None
        if vote_status == "closed":
            if (vote_result or {}).get("passed") is True:
                return PlanStatus.ADOPTED, aware(vote_closed_at) if vote_closed_at else None
            return PlanStatus.REJECTED, None
        return PlanStatus.VOTING, None
    if plan.status == PlanStatus.ADOPTED:
        return PlanStatus.ADOPTED, aware(plan.decided_at) if plan.decided_at else None
    return PlanStatus(plan.status), None


def _vote_of(plan: Plan):
    from ..voting.models import Vote

    return db.session.get(Vote, plan.vote_id) if plan.vote_id is not None else None


def status_of(plan: Plan) -> tuple[str, datetime | None]:
    vote = _vote_of(plan)
    if vote is None:
        return effective_state(plan, None, None, None)
    return effective_state(plan, vote.status, vote.result, vote.closed_at)


def settle(plan: Plan) -> str:
    """Store the status the vote decided (adopted / rejected); returns the status."""
    status, adopted_at = status_of(plan)
    if status != plan.status:
        plan.status = status
        if status in (PlanStatus.ADOPTED, PlanStatus.REJECTED):
            vote = _vote_of(plan)
            plan.decided_at = adopted_at or (aware(vote.closed_at) if vote else utcnow())
        if status == PlanStatus.NOTICE:
            plan.vote_id = None
        db.session.flush()
    return status


# ---------------------------------------------------------------------------------------------
# Reading


def versions_of(community: Community | int) -> list[Plan]:
    community_id = getattr(community, "id", community)
    return list(
        db.session.scalars(
            select(Plan).where(Plan.community_id == community_id).order_by(Plan.version.desc())
        )
    )


def latest(community: Community | int) -> Plan | None:
    community_id = getattr(community, "id", community)
    return db.session.scalar(
        select(Plan).where(Plan.community_id == community_id).order_by(Plan.version.desc()).limit(1)
    )


def summary_of(plan: Plan) -> PlanSummary:
    status, adopted_at = status_of(plan)
    return summarise(plan, status, adopted_at)


def lines_of(plan: Plan) -> list[PlanLine]:
    return list(
        db.session.scalars(
            select(PlanLine).where(PlanLine.plan_id == plan.id).order_by(PlanLine.position)
        )
    )


def sources_of(plan: Plan) -> dict[str, Decimal]:
    return {
        s.source: Decimal(s.amount)
        for s in db.session.scalars(select(PlanSource).where(PlanSource.plan_id == plan.id))
    }


@dataclass(frozen=True)
class ShareRow:
    unit_id: int
    label: str  # building-entrance-room
    area: Decimal
    share: Decimal


def share_table(plan: Plan) -> list[ShareRow]:
    """Every unit of the community with its area and estimated share of the residents' part,
    in register order: one query for the units, one for the residents' amount."""
    rows = db.session.execute(
        select(Unit.id, Unit.area, Unit.room, Entrance.name, Building.name)
        .join(Entrance, Entrance.id == Unit.entrance_id)
        .join(Building, Building.id == Entrance.building_id)
        .where(Unit.community_id == plan.community_id)
        .order_by(Building.sort_key, Building.id, Entrance.sort_key, Entrance.id, Unit.sort_key)
    ).all()
    residents = db.session.scalar(
        select(PlanSource.amount).where(
            PlanSource.plan_id == plan.id, PlanSource.source == RESIDENTS
        )
    )
    shares = split_by_area(
        Decimal(residents or 0).quantize(FEN), {r[0]: Decimal(r[1] or 0) for r in rows}
    )
    return [ShareRow(r[0], f"{r[4]}-{r[3]}-{r[2]}", Decimal(r[1] or 0), shares[r[0]]) for r in rows]


_HOMES: list[Any] = []


def _homes_query():
    """Built once (with bind parameters): building the statement cost more than running it."""
    if not _HOMES:
        from ..core.models import Relation, Residency, ResidencyStatus

        links = (
            select(Residency.unit_id, Residency.relation)
            .where(
                Residency.user_id == bindparam("user_id"),
                Residency.community_id == bindparam("community_id"),
                Residency.status == ResidencyStatus.ACTIVE,
            )
            .subquery()
        )
        linked = select(links.c.unit_id)
        owned_by = (
            select(Unit.owner_id)
            .join(links, links.c.unit_id == Unit.id)
            .where(links.c.relation == Relation.OWNER)
        )
        _HOMES.append(
            select(Unit)
            .where(
                Unit.community_id == bindparam("community_id"),
                Unit.id.in_(linked) | Unit.owner_id.in_(owned_by),
            )
            .options(joinedload(Unit.entrance).joinedload(Entrance.building))  # for label()
            .order_by(Unit.sort_key, Unit.id)
        )
    return _HOMES[0]


def homes_of(user: Any, community: Community | int) -> list[Unit]:
    """The units whose share `user` sees: those they are linked to (any relation) and, for an
    owner, every other unit of the same owner in the register. One query."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    community_id = getattr(community, "id", community)
    return list(
        db.session.scalars(_homes_query(), {"user_id": user.id, "community_id": community_id})
    )


def my_shares(plan: Plan, units: list[Unit]) -> list[tuple[Unit, Decimal]]:
    """The estimated share of each of `units` (a resident's homes)."""
    if not units:
        return []
    residents = sources_of(plan).get(RESIDENTS, Decimal("0.00"))
    areas = {
        uid: Decimal(area or 0)
        for uid, area in db.session.execute(
            select(Unit.id, Unit.area).where(Unit.community_id == plan.community_id)
        )
    }
    shares = split_by_area(residents.quantize(FEN), areas)
    return [(u, shares.get(u.id, Decimal("0.00"))) for u in units]


# ---------------------------------------------------------------------------------------------
# Amounts


def parse_amount(value: Any, field: str, *, what: str = "amount") -> Decimal:
    """A non-negative number as typed ("1200", "1,200.50", "¥85"), at most 2 decimals; empty
    counts as 0. `what` picks the message: amount (yuan), quantity or cost."""
    if isinstance(value, Decimal):
        number = value
    else:
        text = _clean(value).replace(",", "").replace(",", "").replace(" ", "")
        text = text.removeprefix("¥").removeprefix("¥")
        if not text:
            return Decimal("0.00")
        try:
            number = Decimal(text)
        except (InvalidOperation, ValueError):
            number = Decimal("NaN")
    if not number.is_finite():
        if what == "quantity":
            raise DomainError(_("The quantity must be a number, such as 1 or 120.5."), field)
        raise DomainError(_("The amount must be a number of yuan, such as 1200 or 85.50."), field)
    if number < 0:
        if what == "quantity":
            raise DomainError(_("The quantity cannot be negative."), field)
        raise DomainError(_("The amount cannot be negative."), field)
    limit = MAX_QUANTITY if what == "quantity" else MAX_AMOUNT
    if number > limit:
        raise DomainError(_("The number is too large (at most %(max)s).", max=f"{limit:,}"), field)
    if number != number.quantize(FEN):
        raise DomainError(_("Use at most 2 decimal places."), field)
    return number.quantize(FEN)


def line_cost(quantity: Decimal, unit_cost: Decimal) -> Decimal:
    return (quantity * unit_cost).quantize(FEN, rounding=ROUND_HALF_UP)


def community_totals(community_id: int) -> tuple[int, Decimal]:
    """Number of units and their total floor area."""
    count, area = db.session.execute(
        select(func.count(Unit.id), func.coalesce(func.sum(Unit.area), 0)).where(
            Unit.community_id == community_id
        )
    ).one()
    return int(count or 0), Decimal(area or 0).quantize(FEN)


def prefill(item: MenuItem, units: int, area: Decimal) -> tuple[Decimal, Decimal]:
    """(quantity, cost per item) from the menu's estimate: a total is 1 × total, per unit is
    units × amount, per m² is area × amount; no estimate gives 1 × 0."""
    amount = Decimal(item.cost_amount or 0).quantize(FEN)
    if not item.has_cost:
        return Decimal("1.00"), Decimal("0.00")
    if item.cost_basis == CostBasis.PER_UNIT:
        return Decimal(units).quantize(FEN), amount
    if item.cost_basis == CostBasis.PER_M2:
        return Decimal(area).quantize(FEN), amount
    return Decimal("1.00"), amount


def item_share_estimate(
    item: MenuItem, units: int, area: Decimal, unit_area: Decimal
) -> Decimal | None:
    """What one home of `unit_area` m² would pay for `item` if residents share its cost by
    floor area: the menu's estimate for the community (prefill) × the home's share of the
    area, to the fen. None when residents do not pay for it or there is no estimate."""
    if not item.residents_share or not item.has_cost or not area:
        return None
    quantity, unit_cost = prefill(item, units, area)
    total = line_cost(quantity, unit_cost)
    return (total * Decimal(unit_area) / Decimal(area)).quantize(FEN, rounding=ROUND_HALF_UP)


# ---------------------------------------------------------------------------------------------
# Composing


def _require_editable(plan: Plan) -> None:
    status = settle(plan)
    if status not in EDITABLE:
        raise DomainError(
            _(
                "This version is %(status)s and cannot be changed: residents have seen it as "
                "published. Revise it to make a new version.",
                status=status_label(status),
            )
        )


def status_label(status: str) -> str:
    return {
        PlanStatus.DRAFT: _("a draft"),
        PlanStatus.NOTICE: _("posted for comment"),
        PlanStatus.VOTING: _("put to the vote"),
        PlanStatus.ADOPTED: _("adopted"),
        PlanStatus.REJECTED: _("rejected"),
        PlanStatus.SUPERSEDED: _("superseded"),
    }.get(status, str(status))


def _title(value: Any) -> str:
    title = _clean(value)
    if not title:
        raise DomainError(_("Please give the plan a title."), "title")
    if len(title) > TITLE_MAX:
        raise DomainError(
            _("The title is too long (at most %(n)d characters).", n=TITLE_MAX), "title"
        )
    return title


def create_plan(actor: Any, community: Community, title: Any, summary: Any = "") -> Plan:
    """Version 1, a draft. A community with a plan revises it instead."""
    title = _title(title)
    summary = _clean(summary)
    if len(summary) > SUMMARY_MAX:
        raise DomainError(
            _("The summary is too long (at most %(n)d characters).", n=SUMMARY_MAX), "summary"
        )
    if latest(community) is not None:
        raise DomainError(_("This community already has a plan: open it and revise it instead."))
    plan = Plan(
        community_id=community.id,
        version=1,
        title=title,
        summary=summary,
        status=PlanStatus.DRAFT,
        created_by_id=getattr(actor, "id", None),
        created_at=utcnow(),
        updated_at=utcnow(),
    )
    db.session.add(plan)
    db.session.flush()
    audit.record(actor, "plan.create", community_id=community.id, target=plan, version=1)
    return plan


@dataclass(frozen=True)
class LineInput:
    menu_item_id: int
    quantity: Any
    unit_cost: Any


def save_plan(
    actor: Any,
    plan: Plan,
    *,
    title: Any,
    summary: Any,
    lines: list[LineInput],
    sources: dict[str, Any],
) -> None:
    """Replace the draft's title, summary, lines and funding sources, all checked first."""
    _require_editable(plan)
    title = _title(title)
    summary = _clean(summary)
    if len(summary) > SUMMARY_MAX:
        raise DomainError(
            _("The summary is too long (at most %(n)d characters).", n=SUMMARY_MAX), "summary"
        )
    if len(lines) > MAX_LINES:
        raise DomainError(_("A plan has at most %(n)d items.", n=MAX_LINES))
    try:
        ids = [int(line.menu_item_id) for line in lines]
    except (TypeError, ValueError):
        raise DomainError(_("Choose items from the community's menu.")) from None
    if len(set(ids)) != len(ids):
        raise DomainError(_("Each menu item can be in the plan once."))
    items = {
        i.id: i
        for i in db.session.scalars(
            select(MenuItem).where(MenuItem.id.in_(ids), MenuItem.community_id == plan.community_id)
        )
    }
    if set(ids) - set(items):
        raise DomainError(_("Choose items from the community's menu."))
    rows = []
    for position, line in enumerate(lines, start=1):
        item = items[int(line.menu_item_id)]
        quantity = parse_amount(line.quantity, f"qty-{item.id}", what="quantity")
        unit_cost = parse_amount(line.unit_cost, f"cost-{item.id}", what="cost")
        cost = line_cost(quantity, unit_cost)
        if cost > MAX_AMOUNT:
            raise DomainError(_("The cost of this item is too large."), f"cost-{item.id}")
        rows.append(
            PlanLine(
                plan_id=plan.id,
                menu_item_id=item.id,
                position=position * 10,
                category=item.category,
                name_zh=item.name_zh,
                name_en=item.name_en,
                quantity=quantity,
                unit_cost=unit_cost,
                cost=cost,
            )
        )
    unknown = set(sources) - set(FUNDING_SOURCES)
    if unknown:
        raise DomainError(_("Unknown funding source."))
    amounts = {
        key: parse_amount(sources.get(key), f"source-{key}")
        for key in FUNDING_SOURCES
        if key in sources
    }
    db.session.execute(delete(PlanLine).where(PlanLine.plan_id == plan.id))
    db.session.execute(delete(PlanSource).where(PlanSource.plan_id == plan.id))
    db.session.add_all(rows)
    db.session.add_all(
        PlanSource(plan_id=plan.id, source=key, amount=amount)
        for key, amount in amounts.items()
        if amount > 0
    )
    plan.title, plan.summary, plan.updated_at = title, summary, utcnow()
    db.session.flush()
    total = sum((r.cost for r in rows), Decimal("0.00"))
    audit.record(
        actor,
        "plan.save",
        community_id=plan.community_id,
        target=plan,
        version=plan.version,
        items=len(rows),
        total=str(total),
        residents=str(amounts.get(RESIDENTS, Decimal("0.00"))),
    )


# ---------------------------------------------------------------------------------------------
# Publishing and the confirmation vote


def plan_url(plan: Plan, community: Community, **kw: Any) -> str:
    return url_for("plan.plan_detail", code=community.code, plan_id=plan.id, **kw)


def _board_text(msgid: str, **params: Any) -> str:
    with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "zh_Hans")):
        return _(msgid, **params)


def publish_plan(
    actor: Any, plan: Plan, notice_days: Any = None, now: datetime | None = None
) -> Topic:
    """Post the draft for comment: a consult topic linking to the plan, posted now."""
    _require_editable(plan)
    summary = summary_of(plan)
    if not summary.lines:
        raise DomainError(_("Add at least one item before publishing the plan."))
    if summary.gap != 0:
        raise DomainError(
            _(
                "The funding sources add up to ¥%(sources)s but the plan costs ¥%(total)s. "
                "Make them equal before publishing.",
                sources=f"{summary.sources_total:,.2f}",
                total=f"{summary.total:,.2f}",
            )
        )
    if notice_days in (None, ""):
        notice_days = config("PLAN_NOTICE_DAYS", 7)
    community = db.session.get(Community, plan.community_id)
    link = plan_url(plan, community)
    body = _board_text(
        N_(
            "Renovation plan, version %(version)d: total ¥%(total)s, of which residents pay "
            "¥%(residents)s, shared by floor area. Each household sees its own estimated share "
            "on the plan page. Read the plan and comment here.\n%(link)s"
        ),
        version=plan.version,
        total=f"{summary.total:,.2f}",
        residents=f"{summary.residents_total:,.2f}",
        link=link,
    )
    if plan.summary:
        body = f"{plan.summary}\n\n{body}"
    title = _board_text(
        N_("Renovation plan v%(version)d: %(title)s"), version=plan.version, title=plan.title
    )[: consult.TITLE_MAX]
    topic = consult.create_topic(
        actor, community, title, body[: consult.BODY_MAX], notice_days=notice_days
    )
    consult.post_topic(actor, topic, now=now)
    plan.topic_id = topic.id
    plan.status = PlanStatus.NOTICE
    plan.published_at = aware(topic.posted_at)
    plan.updated_at = utcnow()
    db.session.flush()
    audit.record(
        actor,
        "plan.publish",
        community_id=plan.community_id,
        target=plan,
        version=plan.version,
        topic=topic.id,
        days=topic.notice_days,
    )
    return topic


def notice_ends_at(plan: Plan) -> datetime | None:
    if plan.topic_id is None:
        return None
    topic = db.session.get(Topic, plan.topic_id)
    return topic.notice_ends_at if topic else None


def put_to_vote(
    actor: Any,
    plan: Plan,
    *,
    opens_at: datetime | None = None,
    closes_at: datetime | None = None,
    rule: str = DEFAULT_RULE,
    custom: Any = None,
    now: datetime | None = None,
):
    """A confirmation vote on the plan's topic, opening by itself at `opens_at` (default: when
    the notice period ends, or now if it has ended) and closing at `closes_at` (default
    VOTE_DAYS later). The voting engine refuses an opening inside the notice period."""
    from ..voting import services as voting

    now = aware(now) if now is not None else utcnow()
    status = settle(plan)
    if status != PlanStatus.NOTICE:
        raise DomainError(
            _(
                "Only a plan posted for comment can be put to the vote (this one is %(s)s).",
                s=status_label(status),
            )
        )
    topic = db.session.get(Topic, plan.topic_id)
    ends = topic.notice_ends_at
    if opens_at is None:
        opens_at = max(ends, now + timedelta(minutes=1))
    opens_at = aware(opens_at)
    if closes_at is None:
        closes_at = opens_at + timedelta(days=VOTE_DAYS)
    summary = summary_of(plan)
    community = db.session.get(Community, plan.community_id)
    vote = voting.create_vote(
        actor,
        topic,
        title=_board_text(N_("Confirm the renovation plan v%(version)d"), version=plan.version),
        question=_board_text(
            N_(
                "Do you agree to the renovation plan version %(version)d (%(title)s): total "
                "¥%(total)s, of which residents pay ¥%(residents)s shared by floor area?\n%(link)s"
            ),
            version=plan.version,
            title=plan.title,
            total=f"{summary.total:,.2f}",
            residents=f"{summary.residents_total:,.2f}",
            link=plan_url(plan, community),
        ),
        rule=rule,
        custom=custom,
        opens_at=opens_at,
        closes_at=aware(closes_at),
        auto_open=True,
    )
    plan.vote_id = vote.id
    plan.status = PlanStatus.VOTING
    plan.updated_at = utcnow()
    db.session.flush()
    audit.record(
        actor,
        "plan.vote",
        community_id=plan.community_id,
        target=plan,
        version=plan.version,
        vote=vote.id,
        rule=rule,
    )
    return vote


def revise(actor: Any, plan: Plan) -> Plan:
    """Version n+1, a draft copy of `plan` (its lines and sources). Allowed for the newest
    version while posted for comment (it becomes superseded; its discussion stays readable) or
    once rejected (it stays rejected); also while its vote is still a draft (the draft vote is
    deleted)."""
    from ..voting import services as voting

    status = settle(plan)
    newest = latest(plan.community_id)
    if newest is None or newest.id != plan.id:
        raise DomainError(_("Only the newest version can be revised."))
    if status == PlanStatus.VOTING:
        vote = _vote_of(plan)
        if vote is None or vote.status != "draft":
            raise DomainError(
                _("The confirmation vote is open: wait for its result before revising.")
            )
        plan.vote_id = None
        db.session.flush()
        voting.delete_draft_vote(actor, vote)
        status = PlanStatus.NOTICE
    if status not in (PlanStatus.NOTICE, PlanStatus.REJECTED):
        if status == PlanStatus.DRAFT:
            raise DomainError(_("This version is still a draft: edit it directly."))
        raise DomainError(_("An adopted plan cannot be revised."))
    new = Plan(
        community_id=plan.community_id,
        version=plan.version + 1,
        title=plan.title,
        summary=plan.summary,
        status=PlanStatus.DRAFT,
        predecessor_id=plan.id,
        created_by_id=getattr(actor, "id", None),
        created_at=utcnow(),
        updated_at=utcnow(),
    )
    db.session.add(new)
    db.session.flush()
    db.session.add_all(
        PlanLine(
            plan_id=new.id,
            menu_item_id=line.menu_item_id,
            position=line.position,
            category=line.category,
            name_zh=line.name_zh,
            name_en=line.name_en,
            quantity=line.quantity,
            unit_cost=line.unit_cost,
            cost=line.cost,
        )
        for line in lines_of(plan)
    )
    db.session.add_all(
        PlanSource(plan_id=new.id, source=key, amount=amount)
        for key, amount in sources_of(plan).items()
    )
    if status == PlanStatus.NOTICE:
        plan.status = PlanStatus.SUPERSEDED
    plan.updated_at = utcnow()
    db.session.flush()
    audit.record(
        actor,
        "plan.revise",
        community_id=plan.community_id,
        target=new,
        version=new.version,
        previous=plan.version,
    )
    return new


# ---------------------------------------------------------------------------------------------
# The step gate


def plan_gate(community: Community) -> str | None:
    """Step 2 may finish only with an adopted plan (its confirmation vote passed)."""
    from .public import adopted_plan

    if adopted_plan(community.id) is not None:
        return None
    return _(
        "Step 2 cannot finish yet: the owners have not adopted a renovation plan. Publish the "
        "plan for comment, then put it to a confirmation vote; it must pass."
    )


register_gate("plan", plan_gate)
