"""Consult actions for the permission module (participation.core.permissions).

| action          | roles                                   | extra check on obj, now                  |
|-----------------|-----------------------------------------|------------------------------------------|
| topic.read      | every member of the community           | a draft topic: the committee only        |
| topic.create    | committee                               |                                          |
| topic.edit      | committee                               | draft topic                              |
| topic.post      | committee                               | draft topic                              |
| topic.close     | committee                               | posted topic, its notice period over     |
| topic.moderate  | committee                               | (sees hidden text and reports; hides)    |
| comment.add     | residents (active link), committee,     | topic posted and not closed              |
|                 | property                                |                                          |
| comment.report  | residents (active link), committee      | a visible comment of somebody else       |

The city oversees: it reads topics and discussions but takes no part in them. The services
enforce the same state rules themselves and raise DomainError with a readable reason; these
checks are for views (403) and templates (hiding buttons). With obj=None a check answers for the
action in general.
"""

from __future__ import annotations

from typing import Any

from ..core.permissions import COMMITTEE, MEMBERS, OWNER, PROPERTY, RESIDENT, register, roles_for
from ..core.timeutil import utcnow
from .models import Comment, Topic, TopicStatus


def _community_id(community: Any) -> int | None:
    return getattr(community, "id", community)


def _topic_of(obj: Any) -> Topic | None:
    if isinstance(obj, Comment):
        return obj.topic
    return obj


def _read(user: Any, community: Any, obj: Any) -> bool:
    topic = _topic_of(obj)
    if topic is None or topic.status != TopicStatus.DRAFT:
        return True
    return COMMITTEE in roles_for(user, _community_id(community))


def _draft(user: Any, community: Any, obj: Any) -> bool:  # noqa: ARG001
    return obj is None or obj.status == TopicStatus.DRAFT


def _closable(user: Any, community: Any, obj: Any) -> bool:  # noqa: ARG001
    if obj is None:
        return True
    ends = obj.notice_ends_at
    return obj.status == TopicStatus.POSTED and ends is not None and utcnow() >= ends


def _open_for_comments(user: Any, community: Any, obj: Any) -> bool:  # noqa: ARG001
    topic = _topic_of(obj)
    return topic is None or topic.status == TopicStatus.POSTED


def _reportable(user: Any, community: Any, obj: Any) -> bool:
    if obj is None:
        return True
    if not isinstance(obj, Comment):
        return _read(user, community, obj)
    return obj.hidden_at is None and obj.user_id != getattr(user, "id", None)


RESIDENTS = {RESIDENT, OWNER}

register("topic.read", MEMBERS, _read)
register("topic.create", {COMMITTEE})
register("topic.edit", {COMMITTEE}, _draft)
register("topic.post", {COMMITTEE}, _draft)
register("topic.close", {COMMITTEE}, _closable)
register("topic.moderate", {COMMITTEE})
register("comment.add", RESIDENTS | {COMMITTEE, PROPERTY}, _open_for_comments)
register("comment.report", RESIDENTS | {COMMITTEE}, _reportable)

ACTIONS = (
    "topic.read",
    "topic.create",
    "topic.edit",
    "topic.post",
    "topic.close",
    "topic.moderate",
    "comment.add",
    "comment.report",
)
