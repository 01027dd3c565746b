"""Which community a request is about."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import abort, g
from sqlalchemy import bindparam, select

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
    from .web import page_account

    account = page_account()
    if account is not None:
        community = _load_with_user(code, account)
    else:
        community = db.session.scalar(select(Community).where(Community.code == code))
    if community is None:
        abort(404)
    g.community = community
    return community


_WITH_USER: list = []


def reader_columns(uid: Any) -> tuple:
    """Columns to add to a page's first query to load its reader in the same round trip: the
    account (outer-joined on `User.id == uid`), its unread count and its role rows."""
    from . import permissions
    from .models import User
    from .notify import unread_subquery

    return (User, unread_subquery(uid), permissions.role_rows_subquery(uid))


def with_reader(query):
    """`query` with the reader's columns added (bind parameter `uid`), for adopt_reader."""
    from .models import User

    uid = bindparam("uid")
    return query.add_columns(*reader_columns(uid)).outerjoin(User, User.id == uid)


def adopt_reader(account: Any, user: Any, unread: int | None, roles: str | None) -> None:
    """Take the reader loaded by reader_columns as the request's user, after the checks of
    core/web.py _load_user (the account exists, its session version is the session's). If it
    does not pass, it is left to Flask-Login, which then loads it its own way."""
    from ..extensions import login_manager

    if user is not None and user.session_version == account.session_version:
        login_manager._update_request_context_with_user(user)
        keep_reader_extras(user, unread, roles)


def keep_reader_extras(user: Any, unread: int | None, roles: str | None) -> None:
    """What reader_columns loaded beside the account, for this request: the inbox badge's
    count (core/notify.py unread_count) and the role rows (core/permissions.py roles_for)."""
    from . import permissions

    g._unread_prefetched = (user.id, unread or 0)
    permissions.prefetch_role_rows(user.id, roles)


def _load_with_user(code: str, account: Any) -> Community | None:
    """A full page of a community, by a logged-in reader whose account is not loaded yet: the
    community row and the reader in one round trip, instead of one for each."""
    if not _WITH_USER:
        _WITH_USER.append(with_reader(select(Community).where(Community.code == bindparam("code"))))
    row = db.session.execute(_WITH_USER[0], {"code": code, "uid": account.id}).first()
    if row is None:
        return None
    adopt_reader(account, *row[1:])
    return row[0]


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
