"""Issue reports, their photos, timeline and "me too"s; routing per community; the construction
log with its photos; advance notices of works that disturb residents."""

from __future__ import annotations

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
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..core.models import Building, Entrance, User
from ..core.timeutil import utcnow
from ..extensions import db


class IssueRoute(db.Model):
    """A community's choice of who answers a category, and its own deadlines (hours; empty:
    the default of participation.build.rules)."""

    __tablename__ = "issue_route"
    __table_args__ = (UniqueConstraint("community_id", "category"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    category: Mapped[str] = mapped_column(String(20))
    party: Mapped[str] = mapped_column(String(12))
    ack_hours_normal: Mapped[int | None] = mapped_column(Integer)
    resolve_hours_normal: Mapped[int | None] = mapped_column(Integer)
    ack_hours_emergency: Mapped[int | None] = mapped_column(Integer)
    resolve_hours_emergency: Mapped[int | None] = mapped_column(Integer)

    def override(self, urgency: str) -> tuple[int | None, int | None]:
        if urgency == "emergency":
            return self.ack_hours_emergency, self.resolve_hours_emergency
        return self.ack_hours_normal, self.resolve_hours_normal


class PartyMember(db.Model):
    """Which party (property company or contractor) a property-role account works for in a
    community; an account without a row works for the property company."""

    __tablename__ = "issue_party_member"
    __table_args__ = (UniqueConstraint("community_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    party: Mapped[str] = mapped_column(String(12))


class Issue(db.Model):
    __tablename__ = "issue"
    __table_args__ = (
        Index("ix_issue_community_status", "community_id", "status"),
        CheckConstraint("me_too_count >= 0", name="me_too_nonnegative"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    reporter_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    category: Mapped[str] = mapped_column(String(20))
    urgency: Mapped[str] = mapped_column(String(10))
    party: Mapped[str] = mapped_column(String(12))
    status: Mapped[str] = mapped_column(String(14), default="submitted")
    building_id: Mapped[int | None] = mapped_column(ForeignKey("building.id"))
    entrance_id: Mapped[int | None] = mapped_column(ForeignKey("entrance.id"))
    floor: Mapped[str] = mapped_column(String(10), default="")
    spot: Mapped[str] = mapped_column(String(100), default="")
    # Only when the reporter shares the phone's location; rounded to about 10 m.
    latitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 4))
    longitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 4))
    description: Mapped[str] = mapped_column(Text)
    photos_private: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    ack_due: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    resolve_due: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolution_note: Mapped[str] = mapped_column(Text, default="")
    reject_reason: Mapped[str] = mapped_column(String(300), default="")
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("issue.id"))
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    me_too_count: Mapped[int] = mapped_column(Integer, default=0)
    # Each missed deadline is escalated to the committee once.
    ack_escalated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolve_escalated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    reporter: Mapped[User] = relationship(foreign_keys=[reporter_id])
    building: Mapped[Building | None] = relationship()
    entrance: Mapped[Entrance | None] = relationship()
    photos: Mapped[list[IssuePhoto]] = relationship(
        back_populates="issue", order_by="IssuePhoto.id", cascade="all, delete-orphan"
    )
    events: Mapped[list[IssueEvent]] = relationship(
        back_populates="issue", order_by="IssueEvent.id", cascade="all, delete-orphan"
    )

    def place(self) -> str:
        parts = []
        if self.building is not None:
            parts.append(self.building.name)
            if self.entrance is not None:
                parts.append(self.entrance.name)
        return "-".join(parts)


class IssuePhoto(db.Model):
    __tablename__ = "issue_photo"
    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issue.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10), default="report")  # report | after
    name: Mapped[str] = mapped_column(String(120))
    thumb: Mapped[str] = mapped_column(String(120))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    issue: Mapped[Issue] = relationship(back_populates="photos")


class IssueEvent(db.Model):
    """One line of an issue's timeline: a transition, a me-too or an escalation."""

    __tablename__ = "issue_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issue.id"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(14))  # the state after the event
    note: Mapped[str] = mapped_column(Text, default="")
    detail: Mapped[str] = mapped_column(String(40), default="")  # party, stage, merged id

    issue: Mapped[Issue] = relationship(back_populates="events")


class IssueMeToo(db.Model):
    __tablename__ = "issue_me_too"
    __table_args__ = (UniqueConstraint("issue_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issue.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class LogEntry(db.Model):
    """施工日志: one dated entry of the construction log."""

    __tablename__ = "build_log_entry"
    __table_args__ = (
        CheckConstraint("progress IS NULL OR (progress >= 0 AND progress <= 100)", name="progress"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    day: Mapped[date] = mapped_column(Date, index=True)
    item_name: Mapped[str] = mapped_column(String(100))
    plan_line_id: Mapped[int | None] = mapped_column(Integer)  # the adopted plan's line, if any
    progress: Mapped[int | None] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    author: Mapped[User | None] = relationship()
    photos: Mapped[list[LogPhoto]] = relationship(
        back_populates="entry", order_by="LogPhoto.id", cascade="all, delete-orphan"
    )


class LogPhoto(db.Model):
    __tablename__ = "build_log_photo"
    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("build_log_entry.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    thumb: Mapped[str] = mapped_column(String(120))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)

    entry: Mapped[LogEntry] = relationship(back_populates="photos")


class AdvanceNotice(db.Model):
    """Works announced beforehand (water or power cut, night work): posted on the notice board."""

    __tablename__ = "build_advance_notice"
    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    kind: Mapped[str] = mapped_column(String(12))  # water_cut | power_cut | night_work | other
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    area: Mapped[str] = mapped_column(String(100), default="")  # buildings affected
    details: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str] = mapped_column(String(300), default="")
    notice_id: Mapped[int | None] = mapped_column(ForeignKey("notice.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
