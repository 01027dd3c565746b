"""The renovation menu of one community: its own copy of the default items (menu_data), which the
committee rewords, hides, extends with its own items and prices.

`key` names the default an item was copied from (unique per community) and is NULL for the
committee's own items. A cost is an estimate the committee enters: a total for the community, an
amount per unit (household), or an amount per m² of floor area, with `residents_share` telling
whether residents pay part of it (otherwise public or other funds pay). Items are hidden, never
deleted, so what residents were shown stays explainable.
"""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from ..core.timeutil import aware, utcnow
from ..extensions import db
from .menu_data import BASIC


class CostBasis(enum.StrEnum):
    NONE = "none"  # no estimate entered
    TOTAL = "total"  # one amount for the whole community
    PER_UNIT = "per_unit"  # an amount per unit (household)
    PER_M2 = "per_m2"  # an amount per m² of floor area


class MenuItem(db.Model):
    __tablename__ = "menu_item"
    __table_args__ = (
        UniqueConstraint("community_id", "key", name="uq_menu_item_community_key"),
        Index("ix_menu_item_community_position", "community_id", "position"),
        CheckConstraint("cost_amount IS NULL OR cost_amount >= 0", name="cost_nonnegative"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    key: Mapped[str | None] = mapped_column(String(40))
    category: Mapped[str] = mapped_column(String(12))
    name_zh: Mapped[str] = mapped_column(String(100), default="")
    name_en: Mapped[str] = mapped_column(String(100), default="")
    description_zh: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)
    cost_basis: Mapped[str] = mapped_column(String(10), default=CostBasis.NONE)
    cost_amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    residents_share: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    @property
    def basic(self) -> bool:
        """Basic items are done wherever needed: shown to residents, not chosen."""
        return self.category == BASIC

    @property
    def has_cost(self) -> bool:
        return self.cost_basis != CostBasis.NONE and self.cost_amount is not None

    def name(self, locale: str | None) -> str:
        """The name in the reader's language, falling back to the other one."""
        if str(locale or "").startswith("en"):
            return self.name_en or self.name_zh
        return self.name_zh or self.name_en

    def description(self, locale: str | None) -> str:
        if str(locale or "").startswith("en"):
            return self.description_en or self.description_zh
        return self.description_zh or self.description_en


class ChoiceRound(db.Model):
    """A household survey: each unit picks up to `max_picks` improvement or upgrade items
    between `opens_at` and `closes_at` (or `closed_early_at`, when the committee closes it)."""

    __tablename__ = "choice_round"
    __table_args__ = (
        CheckConstraint("max_picks BETWEEN 1 AND 10", name="max_picks_range"),
        Index("ix_choice_round_community", "community_id", "opens_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    opens_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    closes_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    max_picks: Mapped[int] = mapped_column(Integer)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    closed_early_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def ends_at(self) -> datetime:
        end = aware(self.closes_at)
        if self.closed_early_at is not None:
            end = min(end, aware(self.closed_early_at))
        return end

    def is_open(self, now: datetime | None = None) -> bool:
        now = now or utcnow()
        return aware(self.opens_at) <= now < self.ends_at

    def is_closed(self, now: datetime | None = None) -> bool:
        return (now or utcnow()) >= self.ends_at


class HouseholdPick(db.Model):
    """One item a household (unit) picked in a round; the household's answer is its set of
    picks, replaced as a whole when it changes them."""

    __tablename__ = "household_pick"
    __table_args__ = (
        UniqueConstraint("round_id", "unit_id", "menu_item_id", name="uq_household_pick"),
        Index("ix_household_pick_round_item", "round_id", "menu_item_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("choice_round.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    menu_item_id: Mapped[int] = mapped_column(ForeignKey("menu_item.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
