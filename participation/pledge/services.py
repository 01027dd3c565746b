"""Use cases of step 3 (责任共担): the funding plan, the reward rule, pledges and their lifecycle,
spending entries, and the public ledger.

Residents `make_pledge` (money, labour or materials, for one of their homes) while step 3 is the
current step, and `withdraw` a pledge until it is fulfilled. The committee `confirm`s fulfilment
(money received with its reference, hours worked, items delivered) or `cancel`s with a reason,
records the funding sources (`set_sources`), the community's reward rule (`set_reward_rule`,
`inherit_reward_rule`) and how money was used (`add_spending`). Every change is audited; the
pledge's author is told in the inbox when the committee confirms or cancels it.

A form carries a one-time token (hidden field); the pledge table's UNIQUE(token) makes a double
tap, a resent form or two requests racing each other yield one pledge (`make_pledge` answers the
second with the first).

Each function changes the session only; the caller commits once (or rolls back on DomainError).
Refusals raise DomainError (translated, naming the field) before anything is written.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import current_app, url_for
from flask_babel import format_currency
from flask_babel import gettext as _
from sqlalchemy import case, func, select
from sqlalchemy.exc import IntegrityError

from ..core import audit, notify
from ..core.errors import DomainError
from ..core.models import (
    Building,
    Community,
    Entrance,
    Project,
    ProjectStep,
    Residency,
    ResidencyStatus,
    StepState,
    Unit,
    User,
)
from ..core.notify import N_
from ..core.timeutil import utcnow
from ..extensions import db
from . import reward as rules
from .models import (
    LIVE_STATUSES,
    SKILLS,
    FundingSource,
    Pledge,
    PledgeKind,
    PledgeStatus,
    RewardSetting,
    SpendingEntry,
)

FEN = Decimal("0.01")
ZERO = Decimal("0.00")
HOURS_MIN, HOURS_MAX = Decimal("0.5"), Decimal("500")
TEXT_MAX = 100
REASON_MAX = 300
DEFAULT_MAX_AMOUNT = Decimal("200000")  # ¥200,000 a pledge: anything above is a typing mistake
MAX_SOURCE = Decimal("1000000000")  # ¥1 billion for a funding source
TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")

# The city default rule (app config PLEDGE_REWARD_DEFAULT overrides any of these keys).
CITY_DEFAULT_RULE = {
    "match_ratio": "1",
    "include_in_kind": False,
    "labour_rate": "30",
    "cap_kind": rules.CAP_PER_M2,
    "cap_amount": "20",
    "min_household_share": "0.6",
    "min_per_m2": "5",
}

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _clean(text: Any, limit: int) -> str:
    text = "" if text is None else str(text)
    return _CONTROL.sub("", text.replace("\r", " ").replace("\n", " ")).strip()[:limit]


def _cid(community: Community | int) -> int:
    return getattr(community, "id", community)


def max_amount() -> Decimal:
    return Decimal(str(current_app.config.get("PLEDGE_MAX_AMOUNT", DEFAULT_MAX_AMOUNT)))


def new_token() -> str:
    return secrets.token_urlsafe(24)


def money(value: Any) -> Decimal:
    """A stored or summed amount as Decimal yuan in fen (SQLite sums NUMERIC as floats)."""
    if value is None:
        return ZERO
    return Decimal(str(value)).quantize(FEN)


# ---------------------------------------------------------------------------------------------
# Parsing what people type


def parse_amount(
    value: Any, field_name: str = "amount", *, ceiling: Decimal | None = None, allow_zero=False
) -> Decimal:
    text = "" if value is None else str(value).strip().replace(",", "").replace("，", "")
    text = text.removeprefix("¥").removeprefix("￥").removesuffix("元").strip()
    if not text:
        raise DomainError(_("Please enter an amount in yuan."), field_name)
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise DomainError(
            _("Please enter the amount as a number, e.g. 1500 or 1500.50."), field_name
        ) from None
    if not amount.is_finite():
        raise DomainError(
            _("Please enter the amount as a number, e.g. 1500 or 1500.50."), field_name
        )
    if amount < 0 or (amount == 0 and not allow_zero):
        raise DomainError(
            _("The amount must be more than 0.")
            if not allow_zero
            else _("The amount cannot be negative."),
            field_name,
        )
    if amount != amount.quantize(FEN):
        raise DomainError(_("Please give the amount to the fen at most (2 decimals)."), field_name)
    ceiling = max_amount() if ceiling is None else ceiling
    if amount > ceiling:
        raise DomainError(
            _(
                "%(amount)s is more than the largest amount accepted here (%(max)s). "
                "Please check the number.",
                amount=format_currency(amount, "CNY"),
                max=format_currency(ceiling, "CNY"),
            ),
            field_name,
        )
    return amount.quantize(FEN)


def parse_hours(value: Any, field_name: str = "hours") -> Decimal:
    text = "" if value is None else str(value).strip()
    message = _("Hours must be a number from 0.5 to 500, in half hours.")
    try:
        hours = Decimal(text)
    except InvalidOperation:
        raise DomainError(message, field_name) from None
    if not hours.is_finite() or not HOURS_MIN <= hours <= HOURS_MAX or (hours * 2) % 1:
        raise DomainError(message, field_name)
    return hours.quantize(Decimal("0.1"))


def _decimal_in(value: Any, field_name: str, low: Decimal, high: Decimal, message: str) -> Decimal:
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, AttributeError):
        raise DomainError(message, field_name) from None
    if not number.is_finite() or not low <= number <= high:
        raise DomainError(message, field_name)
    return number


# ---------------------------------------------------------------------------------------------
# Step, homes, plan


def pledging_open(community: Community | int) -> bool:
    """Step 3 is the community's current step."""
    return bool(
        db.session.scalar(
            select(ProjectStep.id)
            .join(Project, Project.id == ProjectStep.project_id)
            .where(
                Project.community_id == _cid(community),
                ProjectStep.key == "pledge",
                ProjectStep.state == StepState.ACTIVE,
            )
        )
    )


def homes_of(user: Any, community: Community | int) -> list[Unit]:
    """The homes `user` may pledge for: active links (owner, family or tenant) in the community."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    return list(
        db.session.scalars(
            select(Unit)
            .join(Residency, Residency.unit_id == Unit.id)
            .where(
                Residency.user_id == user.id,
                Residency.community_id == _cid(community),
                Unit.community_id == _cid(community),
                Residency.status == ResidencyStatus.ACTIVE,
            )
            .distinct()
            .order_by(Unit.sort_key, Unit.id)
        )
    )


def adopted_plan(community: Community | int):
    from ..plan.public import adopted_plan as _adopted

    return _adopted(_cid(community))


def suggested_amounts(plan: Any, unit_ids: list[int]) -> dict[int, Decimal]:
    """Each home's estimated share of the residents' part of the plan, by floor area."""
    if plan is None or not unit_ids:
        return {}
    from ..plan.public import unit_shares

    shares = unit_shares(plan.id)
    return {uid: shares[uid] for uid in unit_ids if uid in shares}


# ---------------------------------------------------------------------------------------------
# The reward rule


@dataclass(frozen=True)
class RuleInUse:
    rule: rules.RewardRule
    labour_rate: Decimal
    inherited: bool  # the city default applies


def _rule_from(values: dict[str, Any]) -> tuple[rules.RewardRule, Decimal]:
    rule = rules.RewardRule(
        match_ratio=Decimal(str(values["match_ratio"])),
        include_in_kind=bool(values["include_in_kind"]),
        cap_kind=str(values["cap_kind"]),
        cap_amount=Decimal(str(values["cap_amount"])),
        min_household_share=Decimal(str(values["min_household_share"])),
        min_per_m2=Decimal(str(values["min_per_m2"])),
    )
    return rule, Decimal(str(values["labour_rate"]))


def city_default() -> dict[str, Any]:
    return {**CITY_DEFAULT_RULE, **(current_app.config.get("PLEDGE_REWARD_DEFAULT") or {})}


def _setting_values(s: RewardSetting) -> dict[str, Any]:
    return {
        "match_ratio": s.match_ratio,
        "include_in_kind": s.include_in_kind,
        "labour_rate": s.labour_rate,
        "cap_kind": s.cap_kind,
        "cap_amount": s.cap_amount,
        "min_household_share": s.min_household_share,
        "min_per_m2": s.min_per_m2,
    }


def default_rule() -> RuleInUse:
    rule, rate = _rule_from(city_default())
    return RuleInUse(rule, rate, True)


def rule_in_use(community: Community | int, setting: RewardSetting | None = None) -> RuleInUse:
    if setting is None:
        setting = db.session.scalar(
            select(RewardSetting).where(RewardSetting.community_id == _cid(community))
        )
    if setting is None:
        rule, rate = _rule_from(city_default())
        return RuleInUse(rule, rate, True)
    rule, rate = _rule_from(_setting_values(setting))
    return RuleInUse(rule, rate, False)


def set_reward_rule(
    actor: Any,
    community: Community,
    *,
    match_ratio: Any,
    include_in_kind: bool,
    labour_rate: Any,
    cap_kind: str,
    cap_amount: Any,
    min_household_share_pct: Any,
    min_per_m2: Any,
) -> RewardSetting:
    """The community's own rule; the share of households is given in percent (0–100)."""
    ratio = _decimal_in(
        match_ratio,
        "match_ratio",
        Decimal(0),
        Decimal(10),
        _("The match ratio must be a number from 0 to 10."),
    ).quantize(Decimal("0.0001"))
    if cap_kind not in rules.CAP_KINDS:
        raise DomainError(_("Please choose how the reward is capped."), "cap_kind")
    cap = (
        parse_amount(cap_amount, "cap_amount", ceiling=MAX_SOURCE, allow_zero=True)
        if cap_kind != rules.CAP_NONE
        else ZERO
    )
    share = _decimal_in(
        min_household_share_pct,
        "min_household_share_pct",
        Decimal(0),
        Decimal(100),
        _("The share of households must be a percentage from 0 to 100."),
    )
    share = (share / 100).quantize(Decimal("0.0001"))
    per_m2 = parse_amount(min_per_m2, "min_per_m2", ceiling=Decimal(10000), allow_zero=True)
    rate = parse_amount(labour_rate, "labour_rate", ceiling=Decimal(10000), allow_zero=True)
    setting = db.session.scalar(
        select(RewardSetting).where(RewardSetting.community_id == community.id)
    )
    if setting is None:
        setting = RewardSetting(community_id=community.id)
        db.session.add(setting)
    setting.match_ratio = ratio
    setting.include_in_kind = bool(include_in_kind)
    setting.labour_rate = rate
    setting.cap_kind = cap_kind
    setting.cap_amount = cap
    setting.min_household_share = share
    setting.min_per_m2 = per_m2
    setting.updated_at = utcnow()
    setting.updated_by_id = getattr(actor, "id", None)
    db.session.flush()
    audit.record(
        actor,
        "reward.set",
        community_id=community.id,
        target=setting,
        match_ratio=ratio,
        include_in_kind=bool(include_in_kind),
        labour_rate=rate,
        cap_kind=cap_kind,
        cap_amount=cap,
        min_household_share=share,
        min_per_m2=per_m2,
    )
    return setting


def inherit_reward_rule(actor: Any, community: Community) -> bool:
    """Drop the community's own rule: the city default applies again."""
    setting = db.session.scalar(
        select(RewardSetting).where(RewardSetting.community_id == community.id)
    )
    if setting is None:
        return False
    db.session.delete(setting)
    audit.record(actor, "reward.inherit", community_id=community.id)
    return True


# ---------------------------------------------------------------------------------------------
# The funding plan


def sources_of(community: Community | int, plan_id: int) -> list[FundingSource]:
    return list(
        db.session.scalars(
            select(FundingSource)
            .where(FundingSource.community_id == _cid(community), FundingSource.plan_id == plan_id)
            .order_by(FundingSource.position, FundingSource.id)
        )
    )


def ensure_sources(community: Community, plan: Any) -> list[FundingSource]:
    """The funding plan starts from the adopted plan's sources: one row per source kind."""
    from ..plan.public import FUNDING_SOURCES

    existing = {s.kind: s for s in sources_of(community, plan.id)}
    planned = dict(plan.sources)
    for position, kind in enumerate(FUNDING_SOURCES):
        if kind not in existing:
            row = FundingSource(
                community_id=community.id,
                plan_id=plan.id,
                kind=kind,
                position=position,
                amount=money(planned.get(kind, ZERO)),
            )
            db.session.add(row)
            existing[kind] = row
    db.session.flush()
    return sorted(existing.values(), key=lambda s: s.position)


def passed_votes(community: Community | int) -> list[Any]:
    """The community's closed votes that passed (candidates to authorise the maintenance fund)."""
    from ..voting.models import Vote, VoteStatus

    votes = db.session.scalars(
        select(Vote)
        .where(Vote.community_id == _cid(community), Vote.status == VoteStatus.CLOSED)
        .order_by(Vote.closed_at.desc())
    )
    return [v for v in votes if (v.result or {}).get("passed") is True]


def set_sources(
    actor: Any,
    community: Community,
    amounts: dict[str, Any],
    *,
    notes: dict[str, Any] | None = None,
    fund_vote_id: Any = None,
) -> list[FundingSource]:
    """Record each source's amount. The maintenance fund, when used, must name a passed owners'
    vote of this community (using the fund is an owners' decision, 民法典 Art. 278)."""
    plan = adopted_plan(community)
    if plan is None:
        raise DomainError(_("There is no adopted plan yet: the funding plan starts from it."))
    rows = ensure_sources(community, plan)
    notes = notes or {}
    parsed: dict[str, Decimal] = {}
    for row in rows:
        parsed[row.kind] = parse_amount(
            amounts.get(row.kind, row.amount),
            f"amount_{row.kind}",
            ceiling=MAX_SOURCE,
            allow_zero=True,
        )
    vote_id = None
    if parsed.get("maintenance_fund", ZERO) > 0:
        try:
            vote_id = int(fund_vote_id) if fund_vote_id not in (None, "") else None
        except (TypeError, ValueError):
            vote_id = None
        if vote_id is None or vote_id not in {v.id for v in passed_votes(community)}:
            raise DomainError(
                _(
                    "Using the maintenance fund needs the owners' decision: choose the passed "
                    "vote that authorises it."
                ),
                "fund_vote_id",
            )
    changed = {}
    now = utcnow()
    for row in rows:
        note = _clean(notes.get(row.kind, row.note), 200)
        new_vote = vote_id if row.kind == "maintenance_fund" else None
        if money(row.amount) != parsed[row.kind] or row.note != note or row.vote_id != new_vote:
            changed[row.kind] = parsed[row.kind]
            row.amount, row.note, row.vote_id = parsed[row.kind], note, new_vote
            row.updated_at, row.updated_by_id = now, getattr(actor, "id", None)
    if changed:
        audit.record(
            actor,
            "funding.sources",
            community_id=community.id,
            plan_id=plan.id,
            fund_vote_id=vote_id,
            **{k: v for k, v in changed.items()},
        )
    return rows


# ---------------------------------------------------------------------------------------------
# Pledges


def _validate_kind(kind: Any) -> str:
    if kind not in tuple(PledgeKind):
        raise DomainError(_("Please choose what you pledge: money, labour or materials."), "kind")
    return str(kind)


def make_pledge(
    user: Any,
    community: Community,
    *,
    unit_id: Any,
    kind: Any,
    token: Any,
    amount: Any = None,
    hours: Any = None,
    skill: Any = "",
    item: Any = "",
    quantity: Any = "",
    value: Any = None,
    honour: bool = False,
    now: datetime | None = None,
) -> tuple[Pledge, bool]:
    """Record a pledge; returns (pledge, created). A form sent twice (same token) returns the
    first pledge with created False."""
    now = now or utcnow()
    token = str(token or "")
    if not TOKEN_RE.match(token):
        raise DomainError(_("The form expired. Please reload the page and try again."))
    existing = db.session.scalar(select(Pledge).where(Pledge.token == token))
    if existing is not None:
        return _same_submission(existing, user)
    if not pledging_open(community):
        raise DomainError(
            _(
                "Pledges are taken only while step 3 (Share responsibility) is in progress. "
                "It is not the current step of this community."
            )
        )
    homes = {u.id: u for u in homes_of(user, community)}
    if not homes:
        raise DomainError(
            _(
                "Only residents of this community (owners, family members or tenants whose "
                "link to a home is confirmed) can pledge."
            )
        )
    try:
        unit = homes[int(unit_id)] if len(homes) > 1 or unit_id else next(iter(homes.values()))
    except (KeyError, TypeError, ValueError):
        raise DomainError(_("Please choose one of your homes."), "unit_id") from None
    kind = _validate_kind(kind)
    pledge = Pledge(
        community_id=community.id,
        unit_id=unit.id,
        user_id=user.id,
        token=token,
        kind=kind,
        status=PledgeStatus.PLEDGED,
        honour=bool(honour),
        created_at=now,
    )
    _fill(
        pledge, amount=amount, hours=hours, skill=skill, item=item, quantity=quantity, value=value
    )
    try:
        with db.session.begin_nested():  # UNIQUE(token) settles a double submit in flight
            db.session.add(pledge)
    except IntegrityError:
        first = db.session.scalar(select(Pledge).where(Pledge.token == token))
        if first is None:
            raise
        return _same_submission(first, user)
    audit.record(
        user,
        "pledge.make",
        community_id=community.id,
        target=pledge,
        kind=kind,
        unit_id=unit.id,
    )
    return pledge, True


def _fill(pledge: Pledge, *, amount, hours, skill, item, quantity, value) -> None:
    """The kind's own fields, parsed with the same rules for every channel."""
    kind = pledge.kind
    if kind == PledgeKind.MONEY:
        pledge.amount = parse_amount(amount, "amount")
    elif kind == PledgeKind.LABOUR:
        pledge.hours = parse_hours(hours)
        if skill not in SKILLS:
            raise DomainError(_("Please choose the kind of work you offer."), "skill")
        pledge.skill = str(skill)
    else:
        pledge.item = _clean(item, TEXT_MAX)
        if not pledge.item:
            raise DomainError(_("Please say what you will give."), "item")
        pledge.quantity = _clean(quantity, 40)
        if not pledge.quantity:
            raise DomainError(_("Please give the quantity, e.g. 2 bags or 10 m."), "quantity")
        pledge.value = parse_amount(value, "value", allow_zero=True)


def _same_submission(existing: Pledge, user: Any) -> tuple[Pledge, bool]:
    author = existing.recorded_by_id if existing.on_paper else existing.user_id
    if author != getattr(user, "id", None):
        raise DomainError(_("The form expired. Please reload the page and try again."))
    return existing, False


EVIDENCE_MAX = 200


def record_paper_pledge(
    actor: Any,
    community: Community,
    *,
    unit_id: Any,
    kind: Any,
    token: Any,
    evidence: Any,
    amount: Any = None,
    hours: Any = None,
    skill: Any = "",
    item: Any = "",
    quantity: Any = "",
    value: Any = None,
    now: datetime | None = None,
) -> tuple[Pledge, bool]:
    """The committee records a pledge a household made on paper (homes without an account, as
    paper ballots in voting): any home of the register, the same rules and one-time token as a
    resident's pledge, and the paper's reference or an evidence note. Not on the honour roll
    (no separate consent to be named). Returns (pledge, created)."""
    now = now or utcnow()
    token = str(token or "")
    if not TOKEN_RE.match(token):
        raise DomainError(_("The form expired. Please reload the page and try again."))
    existing = db.session.scalar(select(Pledge).where(Pledge.token == token))
    if existing is not None:
        return _same_submission(existing, actor)
    if not pledging_open(community):
        raise DomainError(
            _(
                "Pledges are taken only while step 3 (Share responsibility) is in progress. "
                "It is not the current step of this community."
            )
        )
    try:
        unit = db.session.get(Unit, int(unit_id))
    except (TypeError, ValueError):
        unit = None
    if unit is None or unit.community_id != community.id:
        raise DomainError(_("Please choose the home from the register."), "unit_id")
    kind = _validate_kind(kind)
    note = _clean(evidence, EVIDENCE_MAX + 1)
    if not note:
        raise DomainError(
            _("Please note the paper form's number or where the signed paper is kept."),
            "evidence",
        )
    if len(note) > EVIDENCE_MAX:
        raise DomainError(_("Please keep it under %(n)d characters.", n=EVIDENCE_MAX), "evidence")
    pledge = Pledge(
        community_id=community.id,
        unit_id=unit.id,
        user_id=None,
        recorded_by_id=actor.id,
        evidence=note,
        token=token,
        kind=kind,
        status=PledgeStatus.PLEDGED,
        honour=False,
        created_at=now,
    )
    _fill(
        pledge, amount=amount, hours=hours, skill=skill, item=item, quantity=quantity, value=value
    )
    try:
        with db.session.begin_nested():
            db.session.add(pledge)
    except IntegrityError:
        first = db.session.scalar(select(Pledge).where(Pledge.token == token))
        if first is None:
            raise
        return _same_submission(first, actor)
    audit.record(
        actor,
        "pledge.record_paper",
        community_id=community.id,
        target=pledge,
        kind=kind,
        unit_id=unit.id,
        evidence=note,
        amount=pledge.amount,
        hours=pledge.hours,
        value=pledge.value,
    )
    return pledge, True


def withdraw(user: Any, pledge: Pledge, *, now: datetime | None = None) -> Pledge:
    if pledge.user_id != getattr(user, "id", None):
        raise DomainError(_("Only the resident who made a pledge can withdraw it."))
    if pledge.status == PledgeStatus.WITHDRAWN:
        return pledge
    if pledge.status != PledgeStatus.PLEDGED:
        raise DomainError(
            _("This pledge was already received by the committee and cannot be withdrawn.")
            if pledge.status == PledgeStatus.FULFILLED
            else _("This pledge was cancelled by the committee.")
        )
    pledge.status = PledgeStatus.WITHDRAWN
    pledge.withdrawn_at = now or utcnow()
    audit.record(user, "pledge.withdraw", community_id=pledge.community_id, target=pledge)
    return pledge


def _pending(pledge: Pledge) -> None:
    if pledge.status != PledgeStatus.PLEDGED:
        raise DomainError(
            {
                PledgeStatus.FULFILLED: _("This pledge is already confirmed as received."),
                PledgeStatus.WITHDRAWN: _("The resident withdrew this pledge."),
                PledgeStatus.CANCELLED: _("This pledge was already cancelled."),
            }[PledgeStatus(pledge.status)]
        )


def _link(pledge: Pledge) -> str:
    code = db.session.scalar(select(Community.code).where(Community.id == pledge.community_id))
    return url_for("pledge.index", code=code, _anchor=f"pledge-{pledge.id}")


def confirm(
    actor: Any,
    pledge: Pledge,
    *,
    received: Any = None,
    reference: Any = "",
    hours_worked: Any = None,
    delivered: Any = "",
    value: Any = None,
    now: datetime | None = None,
) -> Pledge:
    """The committee confirms fulfilment: money received (amount and reference), hours worked,
    or items delivered (what, and the value they count for)."""
    _pending(pledge)
    now = now or utcnow()
    if pledge.kind == PledgeKind.MONEY:
        amount = parse_amount(received if received not in (None, "") else pledge.amount, "received")
        ref = _clean(reference, 60)
        if not ref:
            raise DomainError(
                _("Please enter the receipt or transfer reference of the money received."),
                "reference",
            )
        pledge.reference, pledge.confirmed_value = ref, amount
    elif pledge.kind == PledgeKind.LABOUR:
        worked = parse_hours(
            hours_worked if hours_worked not in (None, "") else pledge.hours, "hours_worked"
        )
        rate = rule_in_use(pledge.community_id).labour_rate
        pledge.hours_worked = worked
        pledge.confirmed_value = (worked * rate).quantize(FEN)
        pledge.reference = _clean(reference, 60)
    else:
        what = _clean(delivered, 200) or f"{pledge.item} × {pledge.quantity}"
        pledge.delivered = what
        pledge.confirmed_value = parse_amount(
            value if value not in (None, "") else pledge.value, "value", allow_zero=True
        )
        pledge.reference = _clean(reference, 60)
    pledge.status = PledgeStatus.FULFILLED
    pledge.fulfilled_at = now
    pledge.fulfilled_by_id = getattr(actor, "id", None)
    audit.record(
        actor,
        "pledge.confirm",
        community_id=pledge.community_id,
        target=pledge,
        kind=pledge.kind,
        confirmed_value=pledge.confirmed_value,
        reference=pledge.reference,
        hours_worked=pledge.hours_worked,
    )
    notify.send(
        [pledge.user_id] if pledge.user_id is not None else [],
        N_("The committee confirmed your contribution. Thank you!"),
        link=_link(pledge),
        community_id=pledge.community_id,
        params={},
    )
    return pledge


def cancel(actor: Any, pledge: Pledge, reason: Any, *, now: datetime | None = None) -> Pledge:
    _pending(pledge)
    text = _clean(reason, REASON_MAX + 1)
    if not text:
        raise DomainError(_("Please give the reason, for the resident and the record."), "reason")
    if len(text) > REASON_MAX:
        raise DomainError(_("Please keep it under %(n)d characters.", n=REASON_MAX), "reason")
    pledge.status = PledgeStatus.CANCELLED
    pledge.cancelled_at = now or utcnow()
    pledge.cancelled_by_id = getattr(actor, "id", None)
    pledge.cancel_reason = text
    audit.record(
        actor, "pledge.cancel", community_id=pledge.community_id, target=pledge, reason=text
    )
    notify.send(
        [pledge.user_id] if pledge.user_id is not None else [],
        N_("The committee cancelled your pledge: %(reason)s"),
        link=_link(pledge),
        community_id=pledge.community_id,
        params={"reason": text},
    )
    return pledge


def pledges_of(user: Any, community: Community | int) -> list[Pledge]:
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    return list(
        db.session.scalars(
            select(Pledge)
            .where(Pledge.user_id == user.id, Pledge.community_id == _cid(community))
            .order_by(Pledge.created_at.desc(), Pledge.id.desc())
        )
    )


@dataclass(frozen=True)
class PledgeRow:
    pledge: Pledge
    name: str
    unit_label: str


def committee_list(community: Community | int, status: str | None = None) -> list[PledgeRow]:
    """Every pledge with its resident's name and home, in one query."""
    query = (
        select(Pledge, User.name, Building.name, Entrance.name, Unit.room)
        .outerjoin(User, User.id == Pledge.user_id)
        .join(Unit, Unit.id == Pledge.unit_id)
        .join(Entrance, Entrance.id == Unit.entrance_id)
        .join(Building, Building.id == Entrance.building_id)
        .where(Pledge.community_id == _cid(community))
    )
    if status:
        query = query.where(Pledge.status == status)
    query = query.order_by(
        case((Pledge.status == PledgeStatus.PLEDGED, 0), else_=1), Pledge.created_at.desc()
    )
    return [
        PledgeRow(p, name or "", f"{b}-{e}-{room}")
        for p, name, b, e, room in db.session.execute(query)
    ]


# ---------------------------------------------------------------------------------------------
# Spending


def add_spending(
    actor: Any,
    community: Community,
    *,
    spent_on: Any,
    amount: Any,
    purpose: Any,
    payee: Any = "",
    reference: Any = "",
    source: Any = "residents",
) -> SpendingEntry:
    from ..plan.public import FUNDING_SOURCES

    if isinstance(spent_on, str):
        try:
            spent_on = date.fromisoformat(spent_on.strip())
        except ValueError:
            spent_on = None
    if not isinstance(spent_on, date):
        raise DomainError(_("Please give the date of the payment."), "spent_on")
    if spent_on > utcnow().date():
        raise DomainError(_("The date cannot be in the future."), "spent_on")
    value = parse_amount(amount, "amount", ceiling=MAX_SOURCE)
    what = _clean(purpose, 200)
    if not what:
        raise DomainError(_("Please say what the money paid for."), "purpose")
    if source not in FUNDING_SOURCES:
        raise DomainError(_("Please choose which source paid."), "source")
    entry = SpendingEntry(
        community_id=community.id,
        spent_on=spent_on,
        amount=value,
        purpose=what,
        payee=_clean(payee, 100),
        reference=_clean(reference, 60),
        source=str(source),
        created_by_id=getattr(actor, "id", None),
        created_at=utcnow(),
    )
    db.session.add(entry)
    db.session.flush()
    audit.record(
        actor,
        "spending.add",
        community_id=community.id,
        target=entry,
        amount=value,
        purpose=what,
        source=source,
    )
    return entry


def spending_of(community: Community | int) -> list[SpendingEntry]:
    return list(
        db.session.scalars(
            select(SpendingEntry)
            .where(SpendingEntry.community_id == _cid(community))
            .order_by(SpendingEntry.spent_on.desc(), SpendingEntry.id.desc())
        )
    )


# ---------------------------------------------------------------------------------------------
# The ledger: aggregates in a handful of queries, whatever the number of pledges


@dataclass
class KindTotals:
    pledged_count: int = 0
    pledged_amount: Decimal = ZERO  # money: yuan; materials: estimated value
    pledged_hours: Decimal = Decimal("0.0")
    confirmed_count: int = 0
    confirmed_value: Decimal = ZERO  # yuan it counts for
    confirmed_hours: Decimal = Decimal("0.0")


@dataclass
class BuildingRow:
    name: str
    units: int
    households_pledging: int = 0
    money_pledged: Decimal = ZERO
    money_confirmed: Decimal = ZERO
    hours_pledged: Decimal = Decimal("0.0")


@dataclass
class HonourRow:
    building: str
    name: str  # full name when opted in, masked otherwise
    named: bool
    money: Decimal
    hours: Decimal
    materials: int


@dataclass
class Ledger:
    community: Community
    plan: Any
    sources: list[FundingSource]
    sources_total: Decimal
    gap: Decimal | None  # plan cost minus sources; None without an adopted plan
    residents_target: Decimal
    kinds: dict[str, KindTotals]
    households: int
    households_pledging: int
    area: Decimal
    rule: RuleInUse
    result: rules.RewardResult
    buildings: list[BuildingRow]
    spending: list[SpendingEntry]
    spent: Decimal
    honour: list[HonourRow] = field(default_factory=list)
    open: bool = False

    @property
    def money(self) -> KindTotals:
        return self.kinds[PledgeKind.MONEY]

    @property
    def progress(self) -> Decimal | None:
        """Confirmed resident money against the residents' target, 0 to 1 (may exceed 1)."""
        if not self.residents_target:
            return None
        return self.money.confirmed_value / self.residents_target


def kind_totals(community_id: int) -> dict[str, KindTotals]:
    live = Pledge.status.in_(LIVE_STATUSES)
    done = Pledge.status == PledgeStatus.FULFILLED
    rows = db.session.execute(
        select(
            Pledge.kind,
            func.count(Pledge.id).filter(live),
            func.sum(func.coalesce(Pledge.amount, Pledge.value)).filter(live),
            func.sum(Pledge.hours).filter(live),
            func.count(Pledge.id).filter(done),
            func.sum(Pledge.confirmed_value).filter(done),
            func.sum(Pledge.hours_worked).filter(done),
        )
        .where(Pledge.community_id == community_id)
        .group_by(Pledge.kind)
    ).all()
    totals = {str(k): KindTotals() for k in PledgeKind}
    for kind, n, amount, hours, n_done, value, worked in rows:
        totals[kind] = KindTotals(
            n or 0,
            money(amount),
            Decimal(str(hours or 0)).quantize(Decimal("0.1")),
            n_done or 0,
            money(value),
            Decimal(str(worked or 0)).quantize(Decimal("0.1")),
        )
    return totals


def _progress(kinds: dict[str, KindTotals], households: int, pledging: int, area) -> Any:
    return rules.Progress(
        confirmed_money=kinds[PledgeKind.MONEY].confirmed_value,
        confirmed_in_kind=kinds[PledgeKind.LABOUR].confirmed_value
        + kinds[PledgeKind.MATERIALS].confirmed_value,
        households_pledging=pledging,
        households=households,
        area=Decimal(str(area or 0)).quantize(FEN),
    )


def _buildings(community_id: int) -> list[BuildingRow]:
    units = db.session.execute(
        select(Building.id, Building.name, func.count(Unit.id))
        .join(Entrance, Entrance.building_id == Building.id)
        .join(Unit, Unit.entrance_id == Entrance.id)
        .where(Building.community_id == community_id)
        .group_by(Building.id, Building.name, Building.sort_key)
        .order_by(Building.sort_key, Building.id)
    ).all()
    rows = {bid: BuildingRow(name, n) for bid, name, n in units}
    live = Pledge.status.in_(LIVE_STATUSES)
    is_money = Pledge.kind == PledgeKind.MONEY
    stats = db.session.execute(
        select(
            Entrance.building_id,
            func.count(func.distinct(Pledge.unit_id)).filter(live),
            func.sum(Pledge.amount).filter(live, is_money),
            func.sum(Pledge.confirmed_value).filter(
                Pledge.status == PledgeStatus.FULFILLED, is_money
            ),
            func.sum(Pledge.hours).filter(live),
        )
        .join(Unit, Unit.id == Pledge.unit_id)
        .join(Entrance, Entrance.id == Unit.entrance_id)
        .where(Pledge.community_id == community_id)
        .group_by(Entrance.building_id)
    ).all()
    for bid, pledging, pledged, confirmed, hours in stats:
        if bid in rows:
            row = rows[bid]
            row.households_pledging = pledging or 0
            row.money_pledged = money(pledged)
            row.money_confirmed = money(confirmed)
            row.hours_pledged = Decimal(str(hours or 0)).quantize(Decimal("0.1"))
    return list(rows.values())


def honour_roll(community_id: int) -> list[HonourRow]:
    """Every resident with a confirmed contribution: named only if they opted in on one of
    their pledges (PIPL Art. 25), else masked (张**). One query."""
    from ..core.privacy import mask_name

    done = Pledge.status == PledgeStatus.FULFILLED
    rows = db.session.execute(
        select(
            Building.name,
            Building.sort_key,
            User.id,
            User.name,
            func.max(case((Pledge.honour.is_(True), 1), else_=0)),
            func.sum(Pledge.confirmed_value).filter(Pledge.kind == PledgeKind.MONEY),
            func.sum(Pledge.hours_worked),
            func.count(Pledge.id).filter(Pledge.kind == PledgeKind.MATERIALS),
        )
        .join(User, User.id == Pledge.user_id)
        .join(Unit, Unit.id == Pledge.unit_id)
        .join(Entrance, Entrance.id == Unit.entrance_id)
        .join(Building, Building.id == Entrance.building_id)
        .where(Pledge.community_id == community_id, done)
        .group_by(Building.id, Building.name, Building.sort_key, User.id, User.name)
        .order_by(Building.sort_key, Building.name, User.id)
    ).all()
    return [
        HonourRow(
            building=b,
            name=(name or "") if named else mask_name(name),
            named=bool(named),
            money=money(m),
            hours=Decimal(str(h or 0)).quantize(Decimal("0.1")),
            materials=n or 0,
        )
        for b, _sort, _uid, name, named, m, h, n in rows
    ]


def households_and_area(community_id: int) -> tuple[int, Decimal]:
    n, area = db.session.execute(
        select(func.count(Unit.id), func.sum(Unit.area)).where(Unit.community_id == community_id)
    ).one()
    return n or 0, money(area)


def households_pledging(community_id: int) -> int:
    return (
        db.session.scalar(
            select(func.count(func.distinct(Pledge.unit_id))).where(
                Pledge.community_id == community_id, Pledge.status.in_(LIVE_STATUSES)
            )
        )
        or 0
    )


def ledger(community: Community, *, with_honour: bool = True) -> Ledger:
    plan = adopted_plan(community)
    sources = sources_of(community, plan.id) if plan is not None else []
    if plan is not None and not sources:
        # Not yet edited by the committee: the plan's own figures.
        sources = [
            FundingSource(kind=k, amount=money(a), note="", vote_id=None) for k, a in plan.sources
        ]
    sources_total = sum((money(s.amount) for s in sources), ZERO)
    residents_target = next((money(s.amount) for s in sources if s.kind == "residents"), ZERO)
    kinds = kind_totals(community.id)
    households, area = households_and_area(community.id)
    pledging = households_pledging(community.id)
    rule = rule_in_use(community)
    result = rules.compute_reward(rule.rule, _progress(kinds, households, pledging, area))
    spending = spending_of(community)
    return Ledger(
        community=community,
        plan=plan,
        sources=sources,
        sources_total=sources_total,
        gap=(money(plan.total) - sources_total) if plan is not None else None,
        residents_target=residents_target,
        kinds=kinds,
        households=households,
        households_pledging=pledging,
        area=area,
        rule=rule,
        result=result,
        buildings=_buildings(community.id),
        spending=spending,
        spent=sum((money(s.amount) for s in spending), ZERO),
        honour=honour_roll(community.id) if with_honour else [],
        open=pledging_open(community),
    )


def reward_status(community: Community, extra_money: Decimal = ZERO, extra_unit: bool = False):
    """The reward now, and with `extra_money` more confirmed (and one more household pledging
    when `extra_unit`): what the pledge page shows live."""
    kinds = kind_totals(community.id)
    households, area = households_and_area(community.id)
    pledging = households_pledging(community.id)
    rule = rule_in_use(community)
    now = rules.compute_reward(rule.rule, _progress(kinds, households, pledging, area))
    if not extra_money and not extra_unit:
        return rule, now, None
    kinds[PledgeKind.MONEY].confirmed_value += extra_money
    after = rules.compute_reward(
        rule.rule, _progress(kinds, households, pledging + int(extra_unit), area)
    )
    return rule, now, after
