"""The one place that answers "may this user do this action here now".

Roles are memberships scoped to a community (committee, property) or spanning all (city); the
resident and owner roles come from the user's active links to units. Each feature registers its
actions here with the roles allowed and, where the answer depends on state or time, a check.
Views call `require()`, templates call `can()`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import abort, current_app, g
from sqlalchemy import String, bindparam, cast, func, literal, select, union_all

from ..extensions import db
from . import pagecache
from .models import Membership, Relation, Residency, ResidencyStatus, Role

RESIDENT = "resident"  # any active link to a unit of the community
OWNER = "owner"  # an active, confirmed owner link
COMMITTEE = Role.COMMITTEE.value
PROPERTY = Role.PROPERTY.value
CITY = Role.CITY.value
ALL_ROLES = (RESIDENT, OWNER, COMMITTEE, PROPERTY, CITY)
STAFF = frozenset({COMMITTEE, PROPERTY, CITY})
MEMBERS = frozenset({RESIDENT, OWNER, COMMITTEE, PROPERTY, CITY})

Check = Callable[..., bool]


@dataclass(frozen=True)
class Policy:
    roles: frozenset[str]
    check: Check | None = (
        None  # extra condition on the object or time, given (user, community, obj)
    )
    # The check may answer differently for two users with the same roles (an author, a
    # reporter, an owner with a ballot): a page that asks it is not shared (core/pagecache.py).
    per_user: bool = True


POLICIES: dict[str, Policy] = {}


def register(
    action: str,
    roles: set[str] | frozenset[str],
    check: Check | None = None,
    *,
    per_user: bool = True,
) -> None:
    """`per_user=False` for a check that reads only the object, the time and the user's roles
    here: its answer is the same for everyone with the same roles."""
    POLICIES[action] = Policy(frozenset(roles), check, per_user)


# Foundation actions; each feature package registers its own the same way.
register("community.view", MEMBERS)
register("notice.read", MEMBERS)
register("notice.post", {COMMITTEE})
register("register.view", {COMMITTEE, CITY})
register("register.import", {COMMITTEE})
register("register.phones", {COMMITTEE})  # unmasked phones: the committee's own register only
register("invite.manage", {COMMITTEE})
register("residency.manage", {COMMITTEE})
register("project.advance", {COMMITTEE})
register("audit.view", {COMMITTEE, CITY})
register("staff.manage", {CITY})
register("city.overview", {CITY})


_ROLES: list[Any] = []


def _roles_query():
    """One round trip: staff memberships and, for this community, active links to units.
    Relations (owner, family, tenant) and staff roles never share a name. Built once, with
    bind parameters: on every page, building the statement cost more than running it."""
    if not _ROLES:
        links = select(Residency.relation, Residency.community_id).where(
            Residency.user_id == bindparam("user_id"),
            Residency.community_id == bindparam("community_id"),
            Residency.status == ResidencyStatus.ACTIVE,
        )
        _ROLES.append(
            select(Membership.role, Membership.community_id)
            .where(Membership.user_id == bindparam("user_id"))
            .union_all(links)
        )
    return _ROLES[0]


def role_rows_subquery(user_id):
    """Every staff membership and active link to a unit of the user, as one string
    ("committee:3,owner:3,city:"): loaded with the user on a page view (core/web.py _load_user),
    so that the page's permission checks cost no round trip of their own."""

    def tagged(name, community_id):
        return name + literal(":") + func.coalesce(cast(community_id, String), "")

    rows = union_all(
        select(tagged(Membership.role, Membership.community_id).label("r")).where(
            Membership.user_id == user_id
        ),
        select(tagged(Residency.relation, Residency.community_id).label("r")).where(
            Residency.user_id == user_id, Residency.status == ResidencyStatus.ACTIVE
        ),
    ).subquery()
    return select(func.aggregate_strings(rows.c.r, ",")).scalar_subquery()


def prefetch_role_rows(user_id: int, joined: str | None) -> None:
    """Keep what role_rows_subquery loaded for roles_for, for this request."""
    rows = []
    for item in (joined or "").split(","):
        name, _sep, community = item.partition(":")
        if name:
            rows.append((name, int(community) if community else None))
    g._role_rows = (user_id, rows)


def forget_roles() -> None:
    """Roles changed in this request (or a test reads after one): look them up again."""
    g.pop("_roles_cache", None)
    g.pop("_role_rows", None)


def roles_for(user: Any, community_id: int | None) -> frozenset[str]:
    """The roles `user` holds in the community (cached per request)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return frozenset()
    cache: dict = g.setdefault("_roles_cache", {})
    key = (user.id, community_id)
    if key in cache:
        return cache[key]
    prefetched = g.get("_role_rows")
    if prefetched is not None and prefetched[0] == user.id:
        # Staff rows for every community, unit links only for this one (as _roles_query).
        rows = [(n, c) for n, c in prefetched[1] if n in STAFF or c == community_id]
    else:
        rows = db.session.execute(
            _roles_query(), {"user_id": user.id, "community_id": community_id}
        ).all()
    roles: set[str] = set()
    for name, comm in rows:
        if name in STAFF:
            if name == CITY or (community_id is not None and comm == community_id):
                roles.add(name)
        else:
            roles.add(RESIDENT)
            if name == Relation.OWNER:
                roles.add(OWNER)
    result = frozenset(roles)
    cache[key] = result
    return result


def can(user: Any, action: str, community: Any = None, obj: Any = None) -> bool:
    policy = POLICIES.get(action)
    if policy is None:
        raise KeyError(f"unknown action {action!r}")
    community_id = getattr(community, "id", community)
    if not (roles_for(user, community_id) & policy.roles):
        return False
    if policy.check is None:
        return True
    if policy.per_user:  # this reader's answer: a page that asks it is not shared
        pagecache.not_shareable()
    return policy.check(user, community, obj)


def require(user: Any, action: str, community: Any = None, obj: Any = None) -> None:
    """Abort with 403 (or send anonymous users to log in) unless the action is allowed."""
    if can(user, action, community, obj):
        return
    if not getattr(user, "is_authenticated", False):
        abort(current_app.login_manager.unauthorized())
    abort(403)
