"""Actions of step 4 for the permission module (participation.core.permissions).

| action               | roles                               | and                                   |
|----------------------|-------------------------------------|---------------------------------------|
| issue.view           | every member of the community       |                                       |
| issue.report         | resident (owner, family, tenant)    |                                       |
| issue.me_too         | resident                            | not the reporter; the issue is open   |
| issue.reporter       | resident                            | the reporter (confirm, reopen)        |
| issue.queue          | property (and contractor), committee|                                       |
| issue.handle         | property, committee                 | the issue is routed to the user's party|
| issue.manage         | committee                           | reassign, merge, reject; routing      |
| issue.private_photos | every member (photos not private)   | private: the reporter, or staff here  |
| buildlog.view        | every member of the community       |                                       |
| buildlog.post        | property (and contractor)           | construction log and advance notices  |

Private photos (the inside of a home) are shown to the reporter and to the community's property,
contractor and committee staff only: not to other residents, nor to the city (PIPL Art. 6, 23).
"""

from __future__ import annotations

from typing import Any

from ..core.permissions import COMMITTEE, MEMBERS, PROPERTY, RESIDENT, register, roles_for


def _cid(community: Any) -> int | None:
    return getattr(community, "id", community)


def party_of(user: Any, community: Any) -> frozenset[str]:
    """The parties (property, contractor, committee) the user answers issues for here."""
    from .services import staff_party

    roles = roles_for(user, _cid(community))
    parties = set()
    if COMMITTEE in roles:
        parties.add("committee")
    if PROPERTY in roles:
        parties.add(staff_party(user.id, _cid(community)))
    return frozenset(parties)


def _handles(user: Any, community: Any, issue: Any) -> bool:
    return issue is None or issue.party in party_of(user, community)


def _reporter(user: Any, community: Any, issue: Any) -> bool:
    return issue is None or issue.reporter_id == user.id


def _not_reporter(user: Any, community: Any, issue: Any) -> bool:
    return issue is None or issue.reporter_id != user.id


def _private_photos(user: Any, community: Any, issue: Any) -> bool:
    if issue is None or not issue.photos_private or issue.reporter_id == user.id:
        return True
    return bool(roles_for(user, _cid(community)) & {COMMITTEE, PROPERTY})


register("issue.view", MEMBERS)
register("issue.report", {RESIDENT})
register("issue.me_too", {RESIDENT}, _not_reporter)
register("issue.reporter", {RESIDENT}, _reporter)
register("issue.queue", {PROPERTY, COMMITTEE})
register("issue.handle", {PROPERTY, COMMITTEE}, _handles)
register("issue.manage", {COMMITTEE})
register("issue.private_photos", MEMBERS, _private_photos)
register("buildlog.view", MEMBERS)
register("buildlog.post", {PROPERTY})

ACTIONS = (
    "issue.view",
    "issue.report",
    "issue.me_too",
    "issue.reporter",
    "issue.queue",
    "issue.handle",
    "issue.manage",
    "issue.private_photos",
    "buildlog.view",
    "buildlog.post",
)
