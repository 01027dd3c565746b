"""Core models: the register (community → building → entrance → unit, owners), accounts,
memberships, the renovation project with its five steps, notices, the inbox and the audit log."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
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
    event,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .timeutil import utcnow


class Community(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100), default="")
    district: Mapped[str] = mapped_column(String(100), default="")
    address: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Raised by one with every committed write to the community's rows (core/cache.py): the
    # key of the cached sections of its pages, so a write is never followed by a stale page.
    data_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    buildings: Mapped[list[Building]] = relationship(
        back_populates="community", order_by="Building.sort_key"
    )
    project: Mapped[Project | None] = relationship(back_populates="community", uselist=False)

    def display_name(self, locale: str) -> str:
        return self.name_en if locale == "en" and self.name_en else self.name


class Building(db.Model):
    __table_args__ = (UniqueConstraint("community_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    name: Mapped[str] = mapped_column(String(40))
    # Natural ordering of "2" before "10": zero-padded numeric prefix, set by the import.
    sort_key: Mapped[str] = mapped_column(String(60), default="")

    community: Mapped[Community] = relationship(back_populates="buildings")
    entrances: Mapped[list[Entrance]] = relationship(
        back_populates="building", order_by="Entrance.sort_key"
    )


class Entrance(db.Model):
    __table_args__ = (UniqueConstraint("building_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("building.id"), index=True)
    name: Mapped[str] = mapped_column(String(40))
    sort_key: Mapped[str] = mapped_column(String(60), default="")

    building: Mapped[Building] = relationship(back_populates="entrances")
    units: Mapped[list[Unit]] = relationship(back_populates="entrance", order_by="Unit.sort_key")


class Owner(db.Model):
    """The legal holder of one or more units. Headcount counts owners, not units."""

    __table_args__ = (UniqueConstraint("community_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    key: Mapped[str] = mapped_column(String(60))
    name: Mapped[str] = mapped_column(String(100), default="")
    phone: Mapped[str] = mapped_column(String(20), default="")
    # All unsold developer units share one owner, counted as one head (解释 Art. 9).
    is_developer: Mapped[bool] = mapped_column(Boolean, default=False)

    units: Mapped[list[Unit]] = relationship(back_populates="owner")


class Unit(db.Model):
    """One exclusive part (专有部分) with its registered area in m²."""

    __table_args__ = (
        UniqueConstraint("entrance_id", "room"),
        CheckConstraint("area > 0", name="area_positive"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    # Denormalised so scope and tally queries need no joins up the tree.
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    entrance_id: Mapped[int] = mapped_column(ForeignKey("entrance.id"), index=True)
    room: Mapped[str] = mapped_column(String(20))
    sort_key: Mapped[str] = mapped_column(String(60), default="")
    area: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    owner_id: Mapped[int] = mapped_column(ForeignKey("owner.id"), index=True)

    entrance: Mapped[Entrance] = relationship(back_populates="units")
    owner: Mapped[Owner] = relationship(back_populates="units")

    def label(self) -> str:
        """Short address such as 3-2-501 (building-entrance-room)."""
        return f"{self.entrance.building.name}-{self.entrance.name}-{self.room}"


class User(UserMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    password_hash: Mapped[str] = mapped_column(String(256))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    privacy_accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Bumped on password change so other sessions are logged out (Flask-Login alternative id).
    session_version: Mapped[int] = mapped_column(Integer, default=1)

    residencies: Mapped[list[Residency]] = relationship(
        back_populates="user", foreign_keys="Residency.user_id"
    )
    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", foreign_keys="Membership.user_id"
    )

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return self.active


class Relation(enum.StrEnum):
    OWNER = "owner"
    FAMILY = "family"
    TENANT = "tenant"


class ResidencyStatus(enum.StrEnum):
    ACTIVE = "active"
    PENDING = "pending"  # an owner claim the committee has not yet confirmed
    REVOKED = "revoked"


class Residency(db.Model):
    """A resident account tied to a unit as owner, family member or tenant."""

    __table_args__ = (Index("ix_residency_unit_status", "unit_id", "status"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    relation: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(10), default=ResidencyStatus.ACTIVE)
    invite_id: Mapped[int | None] = mapped_column(ForeignKey("invite.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    revoke_reason: Mapped[str] = mapped_column(String(200), default="")

    user: Mapped[User] = relationship(back_populates="residencies", foreign_keys=[user_id])
    unit: Mapped[Unit] = relationship()
    community: Mapped[Community] = relationship()


class Invite(db.Model):
    """A one-time sign-up code printed on a slip for one unit."""

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    used_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    unit: Mapped[Unit] = relationship()

    @property
    def usable(self) -> bool:
        return self.used_at is None and self.revoked_at is None


class Role(enum.StrEnum):
    COMMITTEE = "committee"
    PROPERTY = "property"
    CITY = "city"


class Membership(db.Model):
    """A staff role scoped to one community; the city role has no community and spans all."""

    __table_args__ = (UniqueConstraint("user_id", "community_id", "role"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("community.id"), index=True)
    role: Mapped[str] = mapped_column(String(12))
    title: Mapped[str] = mapped_column(String(60), default="")  # e.g. 业委会主任, 物业经理
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    user: Mapped[User] = relationship(back_populates="memberships", foreign_keys=[user_id])
    community: Mapped[Community | None] = relationship()


class StepState(enum.StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    DONE = "done"


STEP_KEYS = ("consult", "plan", "pledge", "build", "share")


class Project(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), unique=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    community: Mapped[Community] = relationship(back_populates="project")
    steps: Mapped[list[ProjectStep]] = relationship(
        back_populates="project", order_by="ProjectStep.position", lazy="selectin"
    )


class ProjectStep(db.Model):
    __table_args__ = (UniqueConstraint("project_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id"), index=True)
    key: Mapped[str] = mapped_column(String(12))
    position: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(10), default=StepState.PENDING)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    project: Mapped[Project] = relationship(back_populates="steps")


class Notice(db.Model):
    """The community notice board: posts by the committee (and, later, advance notices)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(20), default="general")
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, index=True
    )
    link: Mapped[str] = mapped_column(String(200), default="")

    author: Mapped[User | None] = relationship()


class Message(db.Model):
    """One in-app inbox message for one user."""

    __table_args__ = (Index("ix_message_user_read", "user_id", "read_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    community_id: Mapped[int | None] = mapped_column(ForeignKey("community.id"))
    # A system message stores its English msgid and params and is translated when shown, in the
    # reader's language; a message written by a person (params None) is shown as written.
    title: Mapped[str] = mapped_column(String(200))
    params: Mapped[dict | None] = mapped_column(JSON)
    body: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AuditEntry(db.Model):
    """Append-only record of every committee, property and city action."""

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    community_id: Mapped[int | None] = mapped_column(ForeignKey("community.id"), index=True)
    action: Mapped[str] = mapped_column(String(60))
    target_type: Mapped[str] = mapped_column(String(40), default="")
    target_id: Mapped[str] = mapped_column(String(40), default="")
    detail: Mapped[dict] = mapped_column(JSON, default=dict)

    actor: Mapped[User | None] = relationship()


@event.listens_for(AuditEntry, "before_update")
@event.listens_for(AuditEntry, "before_delete")
def _audit_is_append_only(mapper, connection, target) -> None:  # noqa: ARG001
    raise RuntimeError("the audit log is append-only")


# The per-community data version follows every write (its session events; see the module).
from . import cache as _cache  # noqa: E402, F401
