"""Which community a request is about."""

from __future__ import annotations

from typing import Any

from flask import abort, g
from sqlalchemy import select

from ..extensions import db
from .models import Community, Membership, Residency, ResidencyStatus


def load_community(code: str) -> Community:
    community = db.session.scalar(select(Community).where(Community.code == code))
    if community is None:
        abort(404)
    g.community = community
    return community


def communities_of(user: Any) -> list[Community]:
    """Communities the user belongs to, residents' own first; the city role sees all."""
    if not getattr(user, "is_authenticated", False):
        return []
    is_city = db.session.scalar(
        select(Membership.id).where(Membership.user_id == user.id, Membership.role == "city")
    )
    if is_city:
        return list(db.session.scalars(select(Community).order_by(Community.code)))
    ids = (
        select(Residency.community_id)
        .where(Residency.user_id == user.id, Residency.status != ResidencyStatus.REVOKED)
        .union(select(Membership.community_id).where(Membership.user_id == user.id))
    )
    return list(
        db.session.scalars(select(Community).where(Community.id.in_(ids)).order_by(Community.code))
    )
