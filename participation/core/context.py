"""Which community a request is about."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import abort, g
from sqlalchemy import select

from ..extensions import db
from .models import Community, Membership, Project, ProjectStep, Residency, ResidencyStatus


@dataclass(frozen=True)
class StepBarItem:
    key: str
    position: int
    state: str


def load_community(code: str) -> Community:
    # The row alone: the steps bar every community page shows comes from steps_bar's cache
    # (loading the project and its steps with it cost as much again as the row).
    community = db.session.scalar(select(Community).where(Community.code == code))
    if community is None:
        abort(404)
    g.community = community
    return community


def steps_bar(community: Community) -> tuple[StepBarItem, ...]:
    """The project's five steps for the bar at the top of every community page (empty before
    the project exists), kept in the section cache until the community's data changes."""
    from .cache import cached_section

    def build() -> tuple[StepBarItem, ...]:
        rows = db.session.execute(
            select(ProjectStep.key, ProjectStep.position, ProjectStep.state)
            .join(Project, Project.id == ProjectStep.project_id)
            .where(Project.community_id == community.id)
            .order_by(ProjectStep.position)
        )
        return tuple(StepBarItem(key, position, str(state)) for key, position, state in rows)

    return cached_section(community, "core.steps", build)


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
