"""The read interface of the renovation plan for other packages (pledges of step 3, ratings of
step 5, the city dashboard). Plain frozen values, no ORM objects, so callers cannot change a plan
by accident and need not know its tables.

A plan's status here is its effective status: a plan put to a confirmation vote is `adopted`
once that vote closed and passed, `rejected` once it closed and failed (plans.effective_status),
whether or not the plan row was updated since. Amounts are Decimal yuan in whole fen.

- `adopted_plan(community_id)`: the adopted version, or None.
- `current_plan(community_id)`: the adopted version, else the newest version not superseded.
- `unit_shares(plan_id)`: unit id → estimated share of the residents' part, by floor area
  (Civil Code Art. 283; shares.split_by_area, largest remainder in fen).
- `adopted_plan_ids()`: community id → adopted plan id for every community, in one query.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from flask import has_request_context
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..core.models import Unit
from ..extensions import db
from .models import Plan, PlanSource, PlanStatus
from .models import PlanLine as PlanLineRow
from .shares import split_by_area

FUNDING_SOURCES = (
    "government_subsidy",
    "reward",
    "maintenance_fund",
    "property_company",
    "utilities",
    "social_capital",
    "residents",
)

SOURCE_LABELS = {
    "government_subsidy": _l("Government subsidy"),
    "reward": _l("Reward in lieu of subsidy (以奖代补)"),
    "maintenance_fund": _l("Maintenance fund (专项维修资金)"),
    "property_company": _l("Property company"),
    "utilities": _l("Utility companies (water, power, gas, telecom)"),
    "social_capital": _l("Social capital"),
    "residents": _l("Residents"),
}

RESIDENTS = "residents"
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class PlanLine:
    id: int
    menu_item_id: int | None
    name: str  # in the current locale
    category: str
    quantity: Decimal
    unit_cost: Decimal
    cost: Decimal


@dataclass(frozen=True)
class PlanSummary:
    id: int
    community_id: int
    version: int
    status: str  # draft | notice | voting | adopted | rejected | superseded
    title: str
    total: Decimal
    residents_total: Decimal
    sources: tuple[tuple[str, Decimal], ...]
    vote_id: int | None
    adopted_at: datetime | None
    lines: tuple[PlanLine, ...]

    @property
    def sources_total(self) -> Decimal:
        return sum((amount for _, amount in self.sources), ZERO)

    @property
    def gap(self) -> Decimal:
        """Total minus the sum of the funding sources: > 0 unfunded, < 0 over-funded."""
        return self.total - self.sources_total


def _locale() -> str:
    if has_request_context():
        return str(get_locale() or "zh_Hans")
    return "zh_Hans"


def _effective_rows(query) -> list[tuple[Plan, str, datetime | None]]:
    """Run a select(Plan) joined to its vote (one query); each plan with its effective status
    and adoption time."""
    from ..voting.models import Vote
    from .plans import effective_state

    rows = db.session.execute(
        query.outerjoin(Vote, Vote.id == Plan.vote_id).add_columns(
            Vote.status, Vote.result, Vote.closed_at
        )
    ).all()
    return [(row[0], *effective_state(row[0], row[1], row[2], row[3])) for row in rows]


def summarise(plan: Plan, status: str, adopted_at: datetime | None) -> PlanSummary:
    locale = _locale()
    lines = list(
        db.session.scalars(
            select(PlanLineRow)
            .where(PlanLineRow.plan_id == plan.id)
            .order_by(PlanLineRow.position, PlanLineRow.id)
        )
    )
    sources = {
        s.source: Decimal(s.amount)
        for s in db.session.scalars(select(PlanSource).where(PlanSource.plan_id == plan.id))
    }
    ordered = tuple((k, sources[k]) for k in FUNDING_SOURCES if k in sources)
    return PlanSummary(
        id=plan.id,
        community_id=plan.community_id,
        version=plan.version,
        status=status,
        title=plan.title,
        total=sum((Decimal(line.cost) for line in lines), ZERO),
        residents_total=sources.get(RESIDENTS, ZERO),
        sources=ordered,
        vote_id=plan.vote_id,
        adopted_at=adopted_at,
        lines=tuple(
            PlanLine(
                id=line.id,
                menu_item_id=line.menu_item_id,
                name=line.name(locale),
                category=line.category,
                quantity=Decimal(line.quantity),
                unit_cost=Decimal(line.unit_cost),
                cost=Decimal(line.cost),
            )
            for line in lines
        ),
    )


def adopted_plan(community_id: int) -> PlanSummary | None:
    rows = _effective_rows(
        select(Plan)
        .where(
            Plan.community_id == community_id,
            Plan.status.in_((PlanStatus.ADOPTED, PlanStatus.VOTING)),
        )
        .order_by(Plan.version.desc())
    )
    for plan, status, adopted_at in rows:
        if status == PlanStatus.ADOPTED:
            return summarise(plan, status, adopted_at)
    return None


def current_plan(community_id: int) -> PlanSummary | None:
    rows = _effective_rows(
        select(Plan)
        .where(Plan.community_id == community_id, Plan.status != PlanStatus.SUPERSEDED)
        .order_by(Plan.version.desc())
    )
    for plan, status, adopted_at in rows:
        if status == PlanStatus.ADOPTED:
            return summarise(plan, status, adopted_at)
    if rows:
        plan, status, adopted_at = rows[0]
        return summarise(plan, status, adopted_at)
    return None


def unit_shares(plan_id: int) -> dict[int, Decimal]:
    plan = db.session.get(Plan, plan_id)
    if plan is None:
        return {}
    residents = db.session.scalar(
        select(PlanSource.amount).where(
            PlanSource.plan_id == plan_id, PlanSource.source == RESIDENTS
        )
    )
    areas = {
        unit_id: Decimal(area or 0)
        for unit_id, area in db.session.execute(
            select(Unit.id, Unit.area).where(Unit.community_id == plan.community_id)
        )
    }
    return split_by_area(Decimal(residents or 0).quantize(Decimal("0.01")), areas)


def adopted_plan_ids() -> dict[int, int]:
    rows = _effective_rows(
        select(Plan)
        .where(Plan.status.in_((PlanStatus.ADOPTED, PlanStatus.VOTING)))
        .order_by(Plan.community_id, Plan.version.desc())
    )
    found: dict[int, int] = {}
    for plan, status, _adopted_at in rows:
        if status == PlanStatus.ADOPTED:
            found.setdefault(plan.community_id, plan.id)
    return found
