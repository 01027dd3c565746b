"""In-app inbox: messages to one user or to every resident of a community."""

from __future__ import annotations

from collections.abc import Iterable

from flask import g, has_app_context
from sqlalchemy import func, insert, select

from ..extensions import db
from .models import Membership, Message, Residency, ResidencyStatus
from .timeutil import utcnow


def N_(msgid: str) -> str:  # noqa: N802
    """Marks a msgid for extraction; it is translated when the message is shown."""
    return msgid


def send(
    user_ids: Iterable[int],
    title: str,
    body: str = "",
    link: str = "",
    community_id: int | None = None,
    params: dict | None = None,
) -> int:
    """Queue one message per user in the current transaction; returns how many were added.
    With `params` (possibly empty) the title is a msgid marked with N_() and is translated
    into each reader's language when shown; without, it is a person's words shown as written."""
    rows = [
        {
            "user_id": uid,
            "community_id": community_id,
            "title": title[:200],
            "body": body,
            "link": link,
            "created_at": utcnow(),
            "params": params,
        }
        for uid in sorted(set(user_ids))
    ]
    if rows:
        db.session.execute(insert(Message), rows)
        forget_unread()
    return len(rows)


def community_user_ids(community_id: int, *, include_staff: bool = True) -> list[int]:
    """Every account with an active link to the community (and its staff)."""
    ids = set(
        db.session.scalars(
            select(Residency.user_id).where(
                Residency.community_id == community_id,
                Residency.status == ResidencyStatus.ACTIVE,
            )
        )
    )
    if include_staff:
        ids |= set(
            db.session.scalars(
                select(Membership.user_id).where(Membership.community_id == community_id)
            )
        )
    return sorted(ids)


def staff_user_ids(community_id: int, role: str) -> list[int]:
    return list(
        db.session.scalars(
            select(Membership.user_id).where(
                Membership.community_id == community_id, Membership.role == role
            )
        )
    )


def title_of(message: Message) -> str:
    if message.params is None:
        return message.title
    from flask_babel import gettext

    return gettext(message.title, **message.params)


def unread_subquery(user_id):
    """The user's unread count as a scalar subquery: loaded with the user on a page view
    (core/web.py _load_user), so the inbox badge costs no round trip of its own."""
    return (
        select(func.count(Message.id))
        .where(Message.user_id == user_id, Message.read_at.is_(None))
        .scalar_subquery()
    )


def forget_unread() -> None:
    """Messages were sent or read in this request: the badge counts them again."""
    if has_app_context():
        g.pop("_unread_prefetched", None)


def unread_count(user_id: int) -> int:
    prefetched = g.get("_unread_prefetched") if has_app_context() else None
    if prefetched is not None and prefetched[0] == user_id:
        return prefetched[1]
    return (
        db.session.scalar(
            select(func.count(Message.id)).where(
                Message.user_id == user_id, Message.read_at.is_(None)
            )
        )
        or 0
    )
