"""Builders and small helpers for the consult tests."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from PIL import Image
from sqlalchemy import event, func, select

from participation.consult.models import Comment, Topic, TopicStatus
from participation.core.models import AuditEntry, Community, User
from participation.core.timeutil import utcnow
from participation.extensions import db

DAY = timedelta(days=1)


def make_topic(
    community: Community,
    author: User | None = None,
    *,
    status: str = TopicStatus.POSTED,
    posted_days_ago: float = 1,
    notice_days: int = 7,
    title: str = "加装电梯议题",
    body: str = "一单元拟加装电梯,请大家发表意见。",
) -> Topic:
    topic = Topic(
        community_id=community.id,
        title=title,
        body=body,
        author_id=author.id if author else None,
        notice_days=notice_days,
        status=status,
        posted_at=None if status == TopicStatus.DRAFT else utcnow() - posted_days_ago * DAY,
    )
    db.session.add(topic)
    db.session.commit()
    return topic


def make_comment(topic: Topic, user: User, body: str = "同意", parent: Comment | None = None):
    comment = Comment(
        topic_id=topic.id,
        user_id=user.id,
        body=body,
        parent_id=parent.id if parent else None,
        created_at=utcnow() - DAY,  # outside the rate-limit window
    )
    db.session.add(comment)
    db.session.commit()
    return comment


def audit_actions(community_id: int | None = None) -> list[str]:
    query = select(AuditEntry.action).order_by(AuditEntry.id)
    if community_id is not None:
        query = query.where(AuditEntry.community_id == community_id)
    return list(db.session.scalars(query))


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def text(resp) -> str:
    return resp.get_data(as_text=True)


def png_bytes(size: tuple[int, int] = (40, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@contextmanager
def count_queries() -> Iterator[list[str]]:
    statements: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):  # noqa: ARG001
        statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)


def selects(statements: list[str]) -> list[str]:
    return [s for s in statements if re.match(r"\s*SELECT", s, re.I)]
