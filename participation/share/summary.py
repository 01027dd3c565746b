"""The city dashboard's figures for every community at once.

`refresh()` computes them with a fixed number of grouped queries (register totals, steps, the
willingness votes, ratings, and one call each to the pledge and build steps' bulk functions), never
a query per community, and replaces the rows of `city_summary` in one transaction. The dashboard
reads that table in one query (sorted and filtered in SQL) and refreshes it first when it is older
than SHARE_SUMMARY_MAX_AGE seconds (default 300; 0 means always), so a city of 555 communities
and 500,000 units pays for the 500,000-row aggregates once every few minutes, not on each view.
`flask share-refresh` does the same from cron.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from flask import current_app
from sqlalchemy import delete, func, insert, or_, select
from sqlalchemy.exc import IntegrityError

from ..core.models import Community, Project, ProjectStep, Unit
from ..core.timeutil import aware, utcnow
from ..extensions import db
from ..voting.models import ScopeKind, Vote, VoteStatus
from . import providers, rules
from .board import DECIDING
from .models import CitySummary, Rating, RatingRound


def _decimal(value: Any) -> Decimal | None:
    if value is None:
        return None
    try:
        return Decimal(str(value)).quantize(Decimal("0.01"))
    except ArithmeticError:
        return None


def compute(now: datetime | None = None) -> list[dict[str, Any]]:
    """One dict per community with the CitySummary columns."""
    now = now or utcnow()
    comms = db.session.execute(
        select(Community.id, Community.code, Community.name, Community.name_en, Community.district)
    ).all()
    steps: dict[int, list[tuple[int, str]]] = {}
    for cid, position, state in db.session.execute(
        select(Project.community_id, ProjectStep.position, ProjectStep.state).join(
            ProjectStep, ProjectStep.project_id == Project.id
        )
    ):
        steps.setdefault(cid, []).append((position, state))
    register = {
        cid: (units, owners, area)
        for cid, units, owners, area in db.session.execute(
            select(
                Unit.community_id,
                func.count(Unit.id),
                func.count(func.distinct(Unit.owner_id)),
                func.sum(Unit.area),
            ).group_by(Unit.community_id)
        )
    }
    # Willingness votes: the first passed whole-community deciding vote, else the latest.
    turnout: dict[int, tuple[bool, int | None]] = {}
    for cid, result in db.session.execute(
        select(Vote.community_id, Vote.result)
        .where(
            Vote.status == VoteStatus.CLOSED,
            Vote.scope_kind == ScopeKind.COMMUNITY,
            Vote.rule.in_(DECIDING),
        )
        .order_by(Vote.closed_at, Vote.id)
    ):
        result = result or {}
        seen = turnout.get(cid)
        if seen is not None and seen[0]:
            continue  # a passed vote was found earlier
        try:
            value = rules.permille(
                int(result["participation"]["owners"]), int(result["electorate"]["owners"])
            )
        except (KeyError, TypeError, ValueError):
            value = None
        turnout[cid] = (bool(result.get("passed")), value)
    # Ratings of each community's latest round.
    latest: dict[int, int] = {}
    for rid, cid in db.session.execute(
        select(RatingRound.id, RatingRound.community_id).order_by(
            RatingRound.opens_at, RatingRound.id
        )
    ):
        latest[cid] = rid
    rated: dict[int, tuple[int, int]] = {}
    if latest:
        for rid, count, total in db.session.execute(
            select(Rating.round_id, func.count(Rating.id), func.sum(Rating.overall))
            .where(Rating.round_id.in_(list(latest.values())))
            .group_by(Rating.round_id)
        ):
            rated[rid] = (count, int(total or 0))
    money = providers.call("pledge", "totals_by_community") or {}
    overdue = providers.call("build", "overdue_counts", now)
    rows = []
    for cid, code, name, name_en, district in comms:
        units, owners, area = register.get(cid, (0, 0, 0))
        count, total = rated.get(latest.get(cid, -1), (0, 0))
        funds = money.get(cid)
        rows.append(
            {
                "community_id": cid,
                "code": code,
                "name": name,
                "name_en": name_en or "",
                "district": district or "",
                "step": rules.current_step(steps.get(cid, [])),
                "units": units or 0,
                "owners": owners or 0,
                "area": _decimal(area) or Decimal("0.00"),
                "turnout_permille": turnout.get(cid, (False, None))[1],
                "pledged": _decimal(providers.field(funds, "pledged")) if funds else None,
                "confirmed": _decimal(providers.field(funds, "confirmed")) if funds else None,
                "households_pledging": (
                    providers.field(funds, "households_pledging", "households") if funds else None
                ),
                "overdue": None if overdue is None else int(overdue.get(cid, 0)),
                "ratings": count,
                "satisfaction_x100": (
                    int(rules.to_decimal(rules.share(total, count) * 100, 0)) if count else None
                ),
                "refreshed_at": now,
            }
        )
    return rows


def refresh(now: datetime | None = None) -> int:
    """Replace every row of city_summary; returns how many communities."""
    rows = compute(now)
    db.session.execute(delete(CitySummary))
    if rows:
        db.session.execute(insert(CitySummary), rows)
    return len(rows)


def ensure_fresh(max_age: float | None = None, now: datetime | None = None) -> datetime | None:
    """Refresh (and commit) when the summary is older than max_age seconds or does not cover
    every community; returns the time of the figures."""
    now = now or utcnow()
    if max_age is None:
        max_age = float(current_app.config.get("SHARE_SUMMARY_MAX_AGE", 300))
    oldest, rows, communities = db.session.execute(
        select(
            func.min(CitySummary.refreshed_at),
            func.count(CitySummary.community_id),
            select(func.count(Community.id)).scalar_subquery(),
        )
    ).one()
    if (
        oldest is not None
        and rows == communities
        and max_age > 0
        and aware(oldest) > now - timedelta(seconds=max_age)
    ):
        return aware(oldest)
    try:
        refresh(now)
        db.session.commit()
    except IntegrityError:  # another server refreshed at the same moment: use theirs
        db.session.rollback()
    return now


# ---------------------------------------------------------------------------------------------
# Reading, sorting and filtering in SQL

SORTS = {
    "name": CitySummary.code,
    "district": CitySummary.district,
    "step": CitySummary.step,
    "units": CitySummary.units,
    "turnout": CitySummary.turnout_permille,
    "pledged": CitySummary.pledged,
    "confirmed": CitySummary.confirmed,
    "overdue": CitySummary.overdue,
    "satisfaction": CitySummary.satisfaction_x100,
}


@dataclass(frozen=True)
class Filters:
    district: str = ""
    step: int | None = None
    q: str = ""
    sort: str = "name"
    desc: bool = False
    page: int = 1

    @classmethod
    def from_args(cls, args: Any) -> Filters:
        step = args.get("step", "")
        sort = args.get("sort", "name")
        page = args.get("page", "1")
        return cls(
            page=int(page) if page.isdigit() and 0 < int(page) < 100_000 else 1,
            district=(args.get("district") or "").strip()[:100],
            step=int(step) if step.isdigit() and 0 <= int(step) <= 6 else None,
            q=(args.get("q") or "").strip()[:50],
            sort=sort if sort in SORTS else "name",
            desc=args.get("dir") == "desc",
        )

    def args(self, **changes: Any) -> dict[str, Any]:
        values = {
            "district": self.district,
            "step": "" if self.step is None else self.step,
            "q": self.q,
            "sort": self.sort,
            "dir": "desc" if self.desc else "asc",
            "page": self.page if self.page > 1 else "",
        }
        values.update(changes)
        return {k: v for k, v in values.items() if v not in ("", None)}


PER_PAGE = 50


def _filtered(query, filters: Filters):
    if filters.district:
        query = query.where(CitySummary.district == filters.district)
    if filters.step is not None:
        query = query.where(CitySummary.step == filters.step)
    if filters.q:
        like = f"%{filters.q.replace('%', '').replace('_', '')}%"
        query = query.where(
            or_(
                CitySummary.code.ilike(like),
                CitySummary.name.ilike(like),
                CitySummary.name_en.ilike(like),
            )
        )
    return query


def rows(filters: Filters, *, per_page: int | None = None) -> list[CitySummary]:
    """The filtered communities in the chosen order; one page of `per_page` (all when None)."""
    query = _filtered(select(CitySummary), filters)
    column = SORTS[filters.sort]
    order = column.desc() if filters.desc else column.asc()
    # NULLs (no figure yet) last either way; then by code for a stable order.
    query = query.order_by(column.is_(None), order, CitySummary.code)
    if per_page is not None:
        query = query.limit(per_page).offset((filters.page - 1) * per_page)
    return list(db.session.scalars(query))


def totals(filters: Filters) -> dict[str, Any]:
    """Count and sums of the filtered communities, in one aggregate query."""
    count, units, pledged, confirmed, overdue = db.session.execute(
        _filtered(
            select(
                func.count(CitySummary.community_id),
                func.coalesce(func.sum(CitySummary.units), 0),
                func.coalesce(func.sum(CitySummary.pledged), 0),
                func.coalesce(func.sum(CitySummary.confirmed), 0),
                func.coalesce(func.sum(CitySummary.overdue), 0),
            ),
            filters,
        )
    ).one()
    return {
        "communities": count,
        "units": int(units),
        "pledged": Decimal(pledged),
        "confirmed": Decimal(confirmed),
        "overdue": int(overdue),
        "pages": max(1, -(-count // PER_PAGE)),
    }


def districts() -> list[str]:
    return list(
        db.session.scalars(select(CitySummary.district).distinct().order_by(CitySummary.district))
    )
