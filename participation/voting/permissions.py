"""Voting actions for the permission module (participation.core.permissions).

| action            | roles                         | extra check on the vote (obj), now                  |
|-------------------|-------------------------------|-----------------------------------------------------|
| vote.view         | every member of the community | drafts: committee and city only                     |
| vote.create       | committee                     |                                                     |
| vote.edit         | committee                     | draft                                               |
| vote.open         | committee                     | draft                                               |
| vote.close        | committee                     | open (before closes_at a reason is required)        |
| vote.cast         | resident, owner               | open, inside the window, and the user may vote for  |
|                   |                               | at least one elector (as owner or recorded proxy)   |
| vote.enter_paper  | committee                     | open, inside the window                             |
| vote.proxy        | committee                     | draft, or open inside the window                    |
| vote.turnout      | every member                  | open or closed; while open only if turnout_public,  |
|                   |                               | except for the committee and the city               |
| vote.results      | every member                  | closed                                              |

A vote asked about with another community than its own is refused for every action.
With obj=None the checks answer for the action in general (e.g. may this user create votes).
The services enforce the same state and time rules themselves and raise DomainError with a
readable reason; these checks are for views (403) and templates (hiding buttons).
"""

from __future__ import annotations

from typing import Any

from ..core.permissions import (
    CITY,
    COMMITTEE,
    MEMBERS,
    OWNER,
    RESIDENT,
    Check,
    register,
    roles_for,
)
from ..core.timeutil import aware, utcnow


def _status(obj: Any) -> str | None:
    return getattr(obj, "status", None)


def _community_id(community: Any) -> int | None:
    return getattr(community, "id", community)


def _is_overseer(user: Any, community: Any) -> bool:
    return bool(roles_for(user, _community_id(community)) & {COMMITTEE, CITY})


def _in_window(obj: Any) -> bool:
    return _status(obj) == "open" and utcnow() < aware(obj.closes_at)


def _view(user: Any, community: Any, obj: Any) -> bool:
    if obj is None or _status(obj) != "draft":
        return True
    return _is_overseer(user, community)


def _draft(user: Any, community: Any, obj: Any) -> bool:  # noqa: ARG001
    return obj is None or _status(obj) == "draft"


def _open(user: Any, community: Any, obj: Any) -> bool:  # noqa: ARG001
    return obj is None or _status(obj) == "open"


def _open_in_window(user: Any, community: Any, obj: Any) -> bool:  # noqa: ARG001
    return obj is None or _in_window(obj)


def _proxy(user: Any, community: Any, obj: Any) -> bool:  # noqa: ARG001
    return obj is None or _status(obj) == "draft" or _in_window(obj)


def _cast(user: Any, community: Any, obj: Any) -> bool:  # noqa: ARG001
    if obj is None:
        return True
    if not _in_window(obj):
        return False
    from .services import cast_options

    return bool(cast_options(user, obj))


def _turnout(user: Any, community: Any, obj: Any) -> bool:
    if obj is None:
        return True
    status = _status(obj)
    if status == "closed":
        return True
    if status == "open":
        return bool(obj.turnout_public) or _is_overseer(user, community)
    return False


def _results(user: Any, community: Any, obj: Any) -> bool:  # noqa: ARG001
    return obj is None or _status(obj) == "closed"


def _always(user: Any, community: Any, obj: Any) -> bool:  # noqa: ARG001
    return True


def _of_community(check: Check) -> Check:
    """A vote is only ever judged in its own community: asking about a vote with another
    community (a view that forgot to match them) answers no."""

    def guarded(user: Any, community: Any, obj: Any) -> bool:
        if obj is not None and getattr(obj, "community_id", None) != _community_id(community):
            return False
        return check(user, community, obj)

    return guarded


register("vote.view", MEMBERS, _of_community(_view), per_user=False)
register("vote.create", {COMMITTEE}, _of_community(_always), per_user=False)
register("vote.edit", {COMMITTEE}, _of_community(_draft), per_user=False)
register("vote.open", {COMMITTEE}, _of_community(_draft), per_user=False)
register("vote.close", {COMMITTEE}, _of_community(_open), per_user=False)
register("vote.cast", {RESIDENT, OWNER}, _of_community(_cast))
register("vote.enter_paper", {COMMITTEE}, _of_community(_open_in_window), per_user=False)
register("vote.proxy", {COMMITTEE}, _of_community(_proxy), per_user=False)
register("vote.turnout", MEMBERS, _of_community(_turnout), per_user=False)
register("vote.results", MEMBERS, _of_community(_results), per_user=False)

ACTIONS = (
    "vote.view",
    "vote.create",
    "vote.edit",
    "vote.open",
    "vote.close",
    "vote.cast",
    "vote.enter_paper",
    "vote.proxy",
    "vote.turnout",
    "vote.results",
)
