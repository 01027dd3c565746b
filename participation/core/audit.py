"""Append-only audit log of committee, property and city actions."""

from __future__ import annotations

from typing import Any

from ..extensions import db
from .models import AuditEntry


def record(
    actor: Any,
    action: str,
    *,
    community_id: int | None = None,
    target: Any = None,
    **detail: Any,
) -> AuditEntry:
    """Add an audit entry to the current transaction; the caller's commit makes it durable,
    so an action and its record succeed or fail together."""
    entry = AuditEntry(
        actor_id=getattr(actor, "id", None),
        community_id=community_id,
        action=action,
        target_type=type(target).__name__.lower() if target is not None else "",
        target_id=str(getattr(target, "id", "")) if target is not None else "",
        detail={
            k: (v if isinstance(v, int | float | bool | None) else str(v))
            for k, v in detail.items()
        },
    )
    db.session.add(entry)
    return entry
