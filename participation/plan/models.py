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


# ---------------------------------------------------------------------------------------------
# The costed renovation plan (plans.py)


class PlanStatus(enum.StrEnum):
    """What the committee did with a version. `voting` becomes `adopted` or `rejected` from the
    result of its confirmation vote (plans.effective_status), stored when next written."""

    DRAFT = "draft"  # being composed; only the committee sees it
    NOTICE = "notice"  # published for comment (公示) through its consult topic
    VOTING = "voting"  # a confirmation vote was created on its topic
    ADOPTED = "adopted"  # the confirmation vote passed
    REJECTED = "rejected"  # the confirmation vote failed; the committee may revise
    SUPERSEDED = "superseded"  # replaced by a later version; kept visible


class Plan(db.Model):
    """One version of a community's renovation plan. A revision is a new row (version n+1,
    `predecessor_id` → the version it revises); versions are never deleted."""

    __tablename__ = "plan"
    __table_args__ = (
        UniqueConstraint("community_id", "version", name="uq_plan_community_version"),
        CheckConstraint("version >= 1", name="plan_version_positive"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(12), default=PlanStatus.DRAFT)
    predecessor_id: Mapped[int | None] = mapped_column(ForeignKey("plan.id"))
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("topic.id"))
    vote_id: Mapped[int | None] = mapped_column(ForeignKey("vote.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PlanLine(db.Model):
    """An item of a plan: a copy of the menu item's name and category at the time (the menu may
    be edited later), a quantity, a cost per item and the cost (quantity × cost per item, in
    fen)."""

    __tablename__ = "plan_line"
    __table_args__ = (
        Index("ix_plan_line_plan_position", "plan_id", "position"),
        CheckConstraint("quantity >= 0 AND unit_cost >= 0 AND cost >= 0", name="line_nonneg"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"))
    menu_item_id: Mapped[int | None] = mapped_column(ForeignKey("menu_item.id"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    category: Mapped[str] = mapped_column(String(12))
    name_zh: Mapped[str] = mapped_column(String(100), default="")
    name_en: Mapped[str] = mapped_column(String(100), default="")
    quantity: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    unit_cost: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    cost: Mapped[Decimal] = mapped_column(Numeric(14, 2))

    def name(self, locale: str | None) -> str:
        if str(locale or "").startswith("en"):
            return self.name_en or self.name_zh
        return self.name_zh or self.name_en


class PlanSource(db.Model):
    """How much one funding source pays towards a plan (public.FUNDING_SOURCES)."""

    __tablename__ = "plan_source"
    __table_args__ = (
        UniqueConstraint("plan_id", "source", name="uq_plan_source"),
        CheckConstraint("amount >= 0", name="source_nonneg"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id"), index=True)
    source: Mapped[str] = mapped_column(String(20))
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
