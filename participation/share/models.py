"""Models of step 5 (成果共享).

* `RatingRound`: the committee opens an acceptance rating when the works end. The items rated are
  frozen at opening (`RatingItem`, a copy of each implemented item of the adopted plan: name in
  both languages and category), so later edits of the plan do not change what was rated.
* `Rating`: one per unit and round (UNIQUE), with the overall satisfaction 1–5 and a comment;
  changeable until the round closes. `RatingScore`: its score 1–5 (and comment) for one item.
* `PhotoPair`: a before/after pair of photos the committee posts on the results board.
* `CitySummary`: one row per community with the figures of the city dashboard, computed by a
  few grouped queries over all communities at once (services.refresh_city_summary) and read
  by the dashboard in one query; refreshed when older than SHARE_SUMMARY_MAX_AGE seconds.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
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
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.timeutil import aware, utcnow
from ..extensions import db


class RatingRound(db.Model):
    __tablename__ = "rating_round"
    __table_args__ = (
        Index("ix_rating_round_community", "community_id", "opens_at"),
        CheckConstraint("closes_at > opens_at", name="rating_window"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    opens_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    closes_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closed_early_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    items: Mapped[list[RatingItem]] = relationship(
        order_by="RatingItem.position", lazy="selectin", back_populates="round"
    )

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


class RatingItem(db.Model):
    """An implemented plan item, frozen into a round when it opened."""

    __tablename__ = "rating_item"
    __table_args__ = (UniqueConstraint("round_id", "position", name="uq_rating_item_position"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rating_round.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    source_id: Mapped[int | None] = mapped_column(Integer)  # the plan line (or menu item) id
    category: Mapped[str] = mapped_column(String(12), default="")
    name_zh: Mapped[str] = mapped_column(String(100), default="")
    name_en: Mapped[str] = mapped_column(String(100), default="")

    round: Mapped[RatingRound] = relationship(back_populates="items")

    def name(self, locale: str | None) -> str:
        if str(locale or "").startswith("en"):
            return self.name_en or self.name_zh
        return self.name_zh or self.name_en


class Rating(db.Model):
    """One household's (unit's) rating in a round."""

    __tablename__ = "rating"
    __table_args__ = (
        UniqueConstraint("round_id", "unit_id", name="uq_rating_round_unit"),
        CheckConstraint("overall BETWEEN 1 AND 5", name="overall_range"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rating_round.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    overall: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    changes: Mapped[int] = mapped_column(Integer, default=0)


class RatingScore(db.Model):
    __tablename__ = "rating_score"
    __table_args__ = (
        UniqueConstraint("rating_id", "item_id", name="uq_rating_score_item"),
        CheckConstraint("score BETWEEN 1 AND 5", name="score_range"),
        Index("ix_rating_score_item", "item_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    rating_id: Mapped[int] = mapped_column(ForeignKey("rating.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("rating_item.id"))
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(String(500), default="")


class PhotoPair(db.Model):
    __tablename__ = "photo_pair"
    __table_args__ = (Index("ix_photo_pair_community", "community_id", "position"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    caption: Mapped[str] = mapped_column(String(120))
    before_name: Mapped[str] = mapped_column(String(200))
    before_thumb: Mapped[str] = mapped_column(String(200))
    after_name: Mapped[str] = mapped_column(String(200))
    after_thumb: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CitySummary(db.Model):
    """The city dashboard's row of one community (see summary.refresh)."""

    __tablename__ = "city_summary"
    __table_args__ = (Index("ix_city_summary_district", "district", "code"),)
    community_id: Mapped[int] = mapped_column(
        ForeignKey("community.id", ondelete="CASCADE"), primary_key=True
    )
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100), default="")
    district: Mapped[str] = mapped_column(String(100), default="")
    step: Mapped[int] = mapped_column(Integer, default=0)  # 0 not started, 1–5, 6 complete
    units: Mapped[int] = mapped_column(Integer, default=0)
    owners: Mapped[int] = mapped_column(Integer, default=0)
    area: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=Decimal("0"))
    # Share of the electorate's owners who took part in the willingness vote, per mille.
    turnout_permille: Mapped[int | None] = mapped_column(Integer)
    pledged: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    confirmed: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    households_pledging: Mapped[int | None] = mapped_column(Integer)
    overdue: Mapped[int | None] = mapped_column(Integer)
    ratings: Mapped[int] = mapped_column(Integer, default=0)
    # Mean overall satisfaction × 100 (1.00–5.00), NULL without ratings.
    satisfaction_x100: Mapped[int | None] = mapped_column(Integer)
    refreshed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
