"""Residents' ideas (创意点亮城市角落) for a corner of the community.

An idea is `open` when posted; its author may withdraw it (`withdrawn`) while it is open, and
the committee may turn it into an item of the community's renovation menu (`promoted`, with the
menu item it became). Moderation is orthogonal to the status: the committee hides an idea (never
deletes it) with a reason code and text, and may show it again.

Supports: one row per account and idea, enforced by a unique constraint, so a double tap or two
app servers at once never count one person twice; `support_count` is the number of those rows,
kept in the same transaction, so lists sort by it without a count per row. `report_count` does
the same for reports.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.models import Building, User
from ..core.timeutil import utcnow
from ..extensions import db


class IdeaStatus(enum.StrEnum):
    OPEN = "open"  # posted: residents support it
    WITHDRAWN = "withdrawn"  # its author took it back
    PROMOTED = "promoted"  # the committee added it to the renovation menu


class Idea(db.Model):
    __tablename__ = "idea"
    __table_args__ = (
        Index("ix_idea_community_support", "community_id", "support_count"),
        Index("ix_idea_community_created", "community_id", "created_at"),
        CheckConstraint("support_count >= 0", name="support_count_nonnegative"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    title: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)
    # Where: a building of the register and/or a place in the resident's words.
    building_id: Mapped[int | None] = mapped_column(ForeignKey("building.id"))
    place: Mapped[str] = mapped_column(String(100), default="")
    status: Mapped[str] = mapped_column(String(10), default=IdeaStatus.OPEN)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    support_count: Mapped[int] = mapped_column(Integer, default=0)
    report_count: Mapped[int] = mapped_column(Integer, default=0)
    hidden_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    hidden_reason_code: Mapped[str] = mapped_column(String(20), default="")
    hidden_reason_text: Mapped[str] = mapped_column(String(300), default="")
    menu_item_id: Mapped[int | None] = mapped_column(ForeignKey("menu_item.id"))
    promoted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    promoted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    author: Mapped[User] = relationship(foreign_keys=[author_id])
    building: Mapped[Building | None] = relationship()
    photos: Mapped[list[IdeaPhoto]] = relationship(
        order_by="IdeaPhoto.position, IdeaPhoto.id", back_populates="idea"
    )

    @property
    def is_open(self) -> bool:
        return self.status == IdeaStatus.OPEN

    @property
    def hidden(self) -> bool:
        return self.hidden_at is not None


class IdeaPhoto(db.Model):
    """A photo of the idea's corner, re-encoded by core.uploads.save_image (metadata removed).
    `name` and `thumb` are relative to UPLOAD_FOLDER."""

    __tablename__ = "idea_photo"
    id: Mapped[int] = mapped_column(primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("idea.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    thumb: Mapped[str] = mapped_column(String(200))
    width: Mapped[int] = mapped_column(Integer, default=0)
    height: Mapped[int] = mapped_column(Integer, default=0)
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    idea: Mapped[Idea] = relationship(back_populates="photos")


class IdeaSupport(db.Model):
    """One account supports one idea: the unique constraint makes a second row impossible."""

    __tablename__ = "idea_support"
    __table_args__ = (UniqueConstraint("idea_id", "user_id", name="uq_idea_support"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("idea.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class IdeaReport(db.Model):
    """Somebody flags an idea for the committee; once per person per idea."""

    __tablename__ = "idea_report"
    __table_args__ = (UniqueConstraint("idea_id", "user_id", name="uq_idea_report"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("idea.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    reason: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
