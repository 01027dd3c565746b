"""Step 3 (责任共担): the funding plan of the adopted renovation plan, the reward rule, the
residents' pledges of money, labour and materials, and the committee's spending entries.

* `FundingSource`: one row per source of the adopted plan (participation.plan.public
  FUNDING_SOURCES), with the amount the committee recorded; the maintenance fund names the
  owners' vote that authorises using it.
* `RewardSetting`: a community's own 以奖代补 rule; without one the city default (app config
  PLEDGE_REWARD_DEFAULT) applies.
* `Pledge`: what one resident offers for one home (or, on paper, what a household without an
  account signed, recorded by the committee: `recorded_by_id`, `evidence`). `token` is the hidden idempotency field of
  the form: UNIQUE, so a double tap or a resent form can never make two pledges.
  pledged → fulfilled (confirmed by the committee) | withdrawn (by the resident, before it is
  fulfilled) | cancelled (by the committee, with a reason).
* `SpendingEntry`: how money was used, recorded by the committee for the public ledger.

Money is Numeric(12/14, 2) yuan; the app records money, it never moves it.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.models import Unit, User
from ..core.timeutil import utcnow
from ..extensions import db


class PledgeKind(enum.StrEnum):
    MONEY = "money"
    LABOUR = "labour"
    MATERIALS = "materials"


class PledgeStatus(enum.StrEnum):
    PLEDGED = "pledged"
    FULFILLED = "fulfilled"
    WITHDRAWN = "withdrawn"
    CANCELLED = "cancelled"


# Counted towards "households pledging": a pledge still standing or already received.
LIVE_STATUSES = (PledgeStatus.PLEDGED.value, PledgeStatus.FULFILLED.value)

SKILLS = (
    "supervision",
    "cleaning",
    "electrical",
    "carpentry",
    "gardening",
    "elderly_help",
    "other",
)


class FundingSource(db.Model):
    __tablename__ = "funding_source"
    __table_args__ = (
        UniqueConstraint("community_id", "plan_id", "kind", name="uq_funding_source_kind"),
        CheckConstraint("amount >= 0", name="funding_amount_nonnegative"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    # The adopted plan (participation.plan) this funding plan is for.
    plan_id: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(24))
    position: Mapped[int] = mapped_column(Integer, default=0)
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=Decimal("0.00"))
    note: Mapped[str] = mapped_column(String(200), default="")
    # Maintenance fund only: the passed owners' vote authorising its use (民法典 Art. 278).
    vote_id: Mapped[int | None] = mapped_column(ForeignKey("vote.id"))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))


class RewardSetting(db.Model):
    __tablename__ = "reward_setting"
    __table_args__ = (
        CheckConstraint("match_ratio >= 0", name="reward_ratio_nonnegative"),
        CheckConstraint("cap_amount >= 0", name="reward_cap_nonnegative"),
        CheckConstraint("min_household_share BETWEEN 0 AND 1", name="reward_share_range"),
        CheckConstraint("min_per_m2 >= 0", name="reward_min_nonnegative"),
        CheckConstraint("labour_rate >= 0", name="reward_rate_nonnegative"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), unique=True)
    match_ratio: Mapped[Decimal] = mapped_column(Numeric(8, 4))
    include_in_kind: Mapped[bool] = mapped_column(Boolean, default=False)
    labour_rate: Mapped[Decimal] = mapped_column(Numeric(10, 2), default=Decimal("0.00"))
    cap_kind: Mapped[str] = mapped_column(String(10), default="none")
    cap_amount: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=Decimal("0.00"))
    min_household_share: Mapped[Decimal] = mapped_column(Numeric(5, 4), default=Decimal("0"))
    min_per_m2: Mapped[Decimal] = mapped_column(Numeric(10, 2), default=Decimal("0.00"))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))


class Pledge(db.Model):
    __tablename__ = "pledge"
    __table_args__ = (
        UniqueConstraint("token", name="uq_pledge_token"),
        Index("ix_pledge_community_status", "community_id", "status"),
        Index("ix_pledge_user", "user_id", "community_id"),
        CheckConstraint("kind IN ('money', 'labour', 'materials')", name="pledge_kind"),
        CheckConstraint(
            "status IN ('pledged', 'fulfilled', 'withdrawn', 'cancelled')", name="pledge_status"
        ),
        CheckConstraint("amount IS NULL OR amount > 0", name="pledge_amount_positive"),
        CheckConstraint("hours IS NULL OR (hours >= 0.5 AND hours <= 500)", name="pledge_hours"),
        CheckConstraint("value IS NULL OR value >= 0", name="pledge_value_nonnegative"),
        CheckConstraint(
            "confirmed_value IS NULL OR confirmed_value >= 0", name="pledge_confirmed_nonneg"
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    # The resident who pledged; None for a paper pledge the committee recorded for a home.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    # Paper pledges (a household without an account signs a paper form): the committee member
    # who recorded it and the paper's reference or evidence note.
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    evidence: Mapped[str] = mapped_column(String(200), default="")
    token: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(10), default=PledgeStatus.PLEDGED)
    # money: the amount pledged
    amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    # labour: hours offered and the skill (SKILLS)
    hours: Mapped[Decimal | None] = mapped_column(Numeric(6, 1))
    skill: Mapped[str] = mapped_column(String(20), default="")
    # materials: what, how much, estimated value in yuan
    item: Mapped[str] = mapped_column(String(100), default="")
    quantity: Mapped[str] = mapped_column(String(40), default="")
    value: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    # The resident agreed to be named on the public honour roll (PIPL Art. 25: separate consent).
    honour: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Fulfilment, confirmed by the committee: money received (with its reference), hours worked,
    # items delivered; confirmed_value is the yuan it counts for (labour valued at the rule's rate).
    fulfilled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    fulfilled_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    reference: Mapped[str] = mapped_column(String(60), default="")
    hours_worked: Mapped[Decimal | None] = mapped_column(Numeric(6, 1))
    delivered: Mapped[str] = mapped_column(String(200), default="")
    confirmed_value: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    cancel_reason: Mapped[str] = mapped_column(String(300), default="")

    unit: Mapped[Unit] = relationship()
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])

    @property
    def on_paper(self) -> bool:
        """Recorded by the committee from a paper form."""
        return self.recorded_by_id is not None


class SpendingEntry(db.Model):
    __tablename__ = "spending_entry"
    __table_args__ = (
        Index("ix_spending_entry_community_date", "community_id", "spent_on"),
        CheckConstraint("amount > 0", name="spending_amount_positive"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    spent_on: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    purpose: Mapped[str] = mapped_column(String(200))
    payee: Mapped[str] = mapped_column(String(100), default="")
    reference: Mapped[str] = mapped_column(String(60), default="")
    source: Mapped[str] = mapped_column(String(24), default="residents")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
