"""Consult models: topics (议题) and their discussion.

A topic must be *posted* (公示) before anything is voted on it, and a vote on it may open only
after its notice period: `posted_at + notice_days` (DOMAIN.md §2; the default of 7 days is
configurable per topic, e.g. 15 for a regular meeting or a lift plan).
"""

from __future__ import annotations

import enum
from datetime import datetime, timedelta

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

from ..core.models import User
from ..core.timeutil import aware, utcnow
from ..extensions import db

DEFAULT_NOTICE_DAYS = 7


class TopicStatus(enum.StrEnum):
    DRAFT = "draft"  # being written; only the committee sees it
    POSTED = "posted"  # on the board: the notice period runs from posted_at
    CLOSED = "closed"  # discussion closed (votes on it keep their own state)


class Topic(db.Model):
    __table_args__ = (
        Index("ix_topic_community_status", "community_id", "status"),
        CheckConstraint("notice_days >= 0", name="notice_days_nonnegative"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    posted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    notice_days: Mapped[int] = mapped_column(Integer, default=DEFAULT_NOTICE_DAYS)
    status: Mapped[str] = mapped_column(String(10), default=TopicStatus.DRAFT)

    author: Mapped[User | None] = relationship()

    @property
    def notice_ends_at(self) -> datetime | None:
        """The earliest moment a vote on this topic may open (None while unposted)."""
        if self.posted_at is None:
            return None
        return aware(self.posted_at) + timedelta(days=self.notice_days)


class Comment(db.Model):
    """One post in a topic's discussion; `parent_id` makes a reply. Moderation hides a comment
    (never deletes it) with a reason code and text, recording who hid it."""

    __table_args__ = (Index("ix_comment_topic_created", "topic_id", "created_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topic.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("comment.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    hidden_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    hidden_reason_code: Mapped[str] = mapped_column(String(20), default="")
    hidden_reason_text: Mapped[str] = mapped_column(String(300), default="")
    # Denormalised count of CommentReport rows, so lists need no count query per comment.
    report_count: Mapped[int] = mapped_column(Integer, default=0)

    topic: Mapped[Topic] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])


class CommentReport(db.Model):
    """A resident flags a comment for moderation; one report per person per comment."""

    __table_args__ = (UniqueConstraint("comment_id", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comment.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    reason: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AttachmentKind(enum.StrEnum):
    IMAGE = "image"  # re-encoded by core.uploads.save_image, with a thumbnail
    PDF = "pdf"  # checked for the %PDF- signature, stored as sent


class TopicAttachment(db.Model):
    """A photo or PDF attached to a topic while it is a draft (what is posted stays as posted).
    `name` and `thumb` are relative to UPLOAD_FOLDER; `filename` is the sender's file name,
    for display and download only."""

    id: Mapped[int] = mapped_column(primary_key=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topic.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(200))
    thumb: Mapped[str] = mapped_column(String(200), default="")
    filename: Mapped[str] = mapped_column(String(200), default="")
    size: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
