"""The household survey of step 2 (方案共谋): which improvement and upgrade items households want.

The committee `open_round`s a round with a closing time and a limit of picks (1 to MAX_PICKS) and
may `close_round` it early. Each household (one answer per unit) `set_picks` while the round is
open: its answer is the set of its picks, replaced as a whole. Only visible improvement and
upgrade items of the round's community can be picked; basic items are done wherever needed.
`results` ranks the items by the number of households and by the floor area supporting them,
overall and per building, with turnout (units answered / units).

Each function changes the session only; the caller commits once (or rolls back on DomainError).
Refusals raise DomainError before anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import delete, desc, func, select

from ..core import audit
from ..core.errors import DomainError
from ..core.models import Building, Community, Entrance, Residency, ResidencyStatus, Unit
from ..core.timeutil import aware, utcnow
from ..extensions import db
from . import permissions as _permissions  # noqa: F401  (registers the survey.* actions)
from .menu_data import BASIC
from .models import ChoiceRound, HouseholdPick, MenuItem

MAX_PICKS = 10


def current_round(community: Community | int) -> ChoiceRound | None:
    """The community's latest round (open or closed), or None."""
    community_id = getattr(community, "id", community)
    return db.session.scalar(
        select(ChoiceRound)
        .where(ChoiceRound.community_id == community_id)
        .order_by(ChoiceRound.opens_at.desc(), ChoiceRound.id.desc())
        .limit(1)
    )


def pickable_items(community: Community | int) -> list[MenuItem]:
    community_id = getattr(community, "id", community)
    return list(
        db.session.scalars(
            select(MenuItem)
            .where(
                MenuItem.community_id == community_id,
                MenuItem.hidden.is_(False),
                MenuItem.category != BASIC,
            )
            .order_by(MenuItem.position, MenuItem.id)
        )
    )


def homes_of(user: Any, community: Community | int) -> list[Unit]:
    """The units `user` answers for: those with an active link, any relation."""
    if user is None or not getattr(user, "is_authenticated", False):
        return []
    community_id = getattr(community, "id", community)
    return list(
        db.session.scalars(
            select(Unit)
            .join(Residency, Residency.unit_id == Unit.id)
            .where(
                Residency.user_id == user.id,
                Residency.community_id == community_id,
                Unit.community_id == community_id,
                Residency.status == ResidencyStatus.ACTIVE,
            )
            .distinct()
            .order_by(Unit.sort_key, Unit.id)
        )
    )


def picks_of(round_: ChoiceRound, unit_id: int) -> set[int]:
    return set(
        db.session.scalars(
            select(HouseholdPick.menu_item_id).where(
                HouseholdPick.round_id == round_.id, HouseholdPick.unit_id == unit_id
            )
        )
    )


# ---------------------------------------------------------------------------------------------
# Committee


def open_round(
    actor: Any,
    community: Community,
    closes_at: datetime | None,
    max_picks: Any,
    *,
    now: datetime | None = None,
) -> ChoiceRound:
    now = now or utcnow()
    try:
        limit = int(max_picks)
    except (TypeError, ValueError):
        raise DomainError(
            _("The limit of picks must be a whole number from 1 to %(max)d.", max=MAX_PICKS),
            "max_picks",
        ) from None
    if not 1 <= limit <= MAX_PICKS:
        raise DomainError(
            _("The limit of picks must be a whole number from 1 to %(max)d.", max=MAX_PICKS),
            "max_picks",
        )
    if closes_at is None:
        raise DomainError(_("Give the closing date and time."), "closes_at")
    if aware(closes_at) <= now:
        raise DomainError(_("The closing time must be in the future."), "closes_at")
    latest = current_round(community)
    if latest is not None and latest.is_open(now):
        raise DomainError(_("A survey round is already open. Close it first."), "closes_at")
    round_ = ChoiceRound(
        community_id=community.id,
        opens_at=now,
        closes_at=aware(closes_at),
        max_picks=limit,
        created_by_id=getattr(actor, "id", None),
    )
    db.session.add(round_)
    db.session.flush()
    audit.record(
        actor,
        "survey.open",
        community_id=community.id,
        target=round_,
        closes_at=aware(closes_at).isoformat(),
        max_picks=limit,
    )
    return round_


def close_round(actor: Any, round_: ChoiceRound, *, now: datetime | None = None) -> None:
    now = now or utcnow()
    if not round_.is_open(now):
        raise DomainError(_("This survey round is already closed."))
    round_.closed_early_at = now
    db.session.flush()
    audit.record(actor, "survey.close", community_id=round_.community_id, target=round_)


# ---------------------------------------------------------------------------------------------
# Households


def set_picks(
    user: Any,
    round_: ChoiceRound,
    unit_id: Any,
    item_ids: Any,
    *,
    now: datetime | None = None,
) -> set[int]:
    """Replace the unit's picks with `item_ids` (delete + insert in the caller's transaction)."""
    now = now or utcnow()
    if not round_.is_open(now):
        raise DomainError(_("The survey is closed: choices can no longer be changed."))
    try:
        unit_id = int(unit_id)
        ids = {int(i) for i in (item_ids or [])}
    except (TypeError, ValueError):
        raise DomainError(_("Choose items from the list.")) from None
    if unit_id not in {u.id for u in homes_of(user, round_.community_id)}:
        raise DomainError(_("You can only answer for a home you are registered to."))
    if len(ids) > round_.max_picks:
        raise DomainError(
            _(
                "You picked %(num)d items; choose at most %(max)d.",
                num=len(ids),
                max=round_.max_picks,
            )
        )
    allowed = {i.id for i in pickable_items(round_.community_id)}
    if not ids <= allowed:
        raise DomainError(
            _("Only visible improvement and upgrade items of this community can be chosen.")
        )
    db.session.execute(
        delete(HouseholdPick).where(
            HouseholdPick.round_id == round_.id, HouseholdPick.unit_id == unit_id
        )
    )
    db.session.add_all(
        HouseholdPick(
            round_id=round_.id,
            unit_id=unit_id,
            menu_item_id=item_id,
            user_id=getattr(user, "id", None),
            created_at=now,
        )
        for item_id in sorted(ids)
    )
    db.session.flush()
    return ids


# ---------------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True)
class Row:
    item: MenuItem
    households: int
    area: Decimal


@dataclass(frozen=True)
class BuildingResult:
    building: Building
    rows: list[Row]


@dataclass(frozen=True)
class Results:
    answered: int
    units: int
    by_households: list[Row]
    by_area: list[Row]
    buildings: list[BuildingResult]


def _rows(round_: ChoiceRound, building_id: int | None = None) -> list[Row]:
    households = func.count(func.distinct(HouseholdPick.unit_id))
    area = func.coalesce(func.sum(Unit.area), 0)
    query = (
        select(HouseholdPick.menu_item_id, households, area)
        .join(Unit, Unit.id == HouseholdPick.unit_id)
        .where(HouseholdPick.round_id == round_.id)
        .group_by(HouseholdPick.menu_item_id)
    )
    if building_id is not None:
        query = query.join(Entrance, Entrance.id == Unit.entrance_id).where(
            Entrance.building_id == building_id
        )
    query = query.order_by(desc(households), desc(area), HouseholdPick.menu_item_id)
    rows = db.session.execute(query).all()
    items = {
        i.id: i
        for i in db.session.scalars(select(MenuItem).where(MenuItem.id.in_([r[0] for r in rows])))
    }
    return [Row(items[r[0]], int(r[1]), Decimal(r[2]).quantize(Decimal("0.01"))) for r in rows]


def turnout(round_: ChoiceRound) -> tuple[int, int]:
    answered = db.session.scalar(
        select(func.count(func.distinct(HouseholdPick.unit_id))).where(
            HouseholdPick.round_id == round_.id
        )
    )
    units = db.session.scalar(
        select(func.count(Unit.id)).where(Unit.community_id == round_.community_id)
    )
    return int(answered or 0), int(units or 0)


def results(round_: ChoiceRound) -> Results:
    overall = _rows(round_)
    by_area = sorted(overall, key=lambda r: (-r.area, -r.households, r.item.id))
    buildings = list(
        db.session.scalars(
            select(Building)
            .where(Building.community_id == round_.community_id)
            .order_by(Building.sort_key, Building.id)
        )
    )
    answered, units = turnout(round_)
    return Results(
        answered=answered,
        units=units,
        by_households=overall,
        by_area=by_area,
        buildings=[BuildingResult(b, _rows(round_, b.id)) for b in buildings],
    )
