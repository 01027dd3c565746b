"""Idea actions for the permission module (participation.core.permissions).

| action         | roles                                  | extra check on the idea                   |
|----------------|----------------------------------------|-------------------------------------------|
| idea.read      | every member of the community          | a withdrawn idea: its author, the         |
|                |                                        | committee and the city only               |
| idea.create    | residents (active link: owner, family, |                                           |
|                | tenant)                                |                                           |
| idea.support   | residents                              | open, shown, somebody else's              |
| idea.edit      | residents                              | their own, open, shown                    |
| idea.withdraw  | residents                              | their own, open                           |
| idea.report    | residents, committee, property         | shown, not withdrawn, somebody else's     |
| idea.moderate  | committee                              | (sees hidden text and reports; hides)     |
| idea.promote   | committee                              | open and shown                            |

A resident is an account with an active (confirmed) link to a unit of this community; a pending
owner claim, a member of another community and the staff roles on their own are not. The city
oversees: it reads ideas but takes no part. The services enforce the same state rules and raise
DomainError with a readable reason; these checks serve views (403) and templates (buttons). With
obj=None a check answers for the action in general.
"""

from __future__ import annotations

from typing import Any

from ..core.permissions import (
    CITY,
    COMMITTEE,
    MEMBERS,
    OWNER,
    PROPERTY,
    RESIDENT,
    register,
    roles_for,
)
from .models import Idea, IdeaStatus

RESIDENTS = frozenset({RESIDENT, OWNER})


def _community_id(community: Any) -> int | None:
    return getattr(community, "id", community)


def _mine(user: Any, idea: Idea) -> bool:
    return idea.author_id == getattr(user, "id", None)


def _read(user: Any, community: Any, obj: Any) -> bool:
    if obj is None or obj.status != IdeaStatus.WITHDRAWN or _mine(user, obj):
        return True
    return bool({COMMITTEE, CITY} & roles_for(user, _community_id(community)))


def _supportable(user: Any, community: Any, obj: Any) -> bool:  # noqa: ARG001
    return obj is None or (obj.is_open and not obj.hidden and not _mine(user, obj))


def _editable(user: Any, community: Any, obj: Any) -> bool:  # noqa: ARG001
    return obj is None or (obj.is_open and not obj.hidden and _mine(user, obj))


def _withdrawable(user: Any, community: Any, obj: Any) -> bool:  # noqa: ARG001
    return obj is None or (obj.is_open and _mine(user, obj))


def _reportable(user: Any, community: Any, obj: Any) -> bool:  # noqa: ARG001
    if obj is None:
        return True
    return not obj.hidden and obj.status != IdeaStatus.WITHDRAWN and not _mine(user, obj)


def _promotable(user: Any, community: Any, obj: Any) -> bool:  # noqa: ARG001
    return obj is None or (obj.is_open and not obj.hidden)


register("idea.read", MEMBERS, _read)
register("idea.create", RESIDENTS)
register("idea.support", RESIDENTS, _supportable)
register("idea.edit", RESIDENTS, _editable)
register("idea.withdraw", RESIDENTS, _withdrawable)
register("idea.report", RESIDENTS | {COMMITTEE, PROPERTY}, _reportable)
register("idea.moderate", {COMMITTEE})
register("idea.promote", {COMMITTEE}, _promotable)

ACTIONS = (
    "idea.read",
    "idea.create",
    "idea.support",
    "idea.edit",
    "idea.withdraw",
    "idea.report",
    "idea.moderate",
    "idea.promote",
)
