"""Which community a request is about."""

from __future__ import annotations

from typing import Any

from flask import abort, g
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..extensions import db
from .models import Community, Membership, Project, Residency, ResidencyStatus


def load_community(code: str) -> Community:
    # With its project and steps in the same round trip: every community page shows the steps
    # bar (templates/core/_steps.html), which would otherwise lazy-load them in two more.
    community = (
        db.session.scalars(
            select(Community)
            .where(Community.code == code)
            .options(joinedload(Community.project).joinedload(Project.steps))
        )
        .unique()
        .first()
    )
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
