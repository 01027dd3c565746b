"""The consult actions asked of the one permission module, role by role and state by state."""

from __future__ import annotations

import pytest
from flask_login import AnonymousUserMixin

from participation.consult import permissions as consult_permissions
from participation.core import permissions
from participation.core.timeutil import utcnow

from .helpers import make_comment, make_topic

ROLES = ("anon", "owner", "family", "tenant", "committee", "property", "city", "outsider")
# On a posted topic in its notice period, and a neighbour's visible comment.
TABLE = {
    #                 anon   owner  family tenant committee property city   outsider
    "topic.read": (False, True, True, True, True, True, True, False),
    "topic.create": (False, False, False, False, True, False, False, False),
    "topic.moderate": (False, False, False, False, True, False, False, False),
    "comment.add": (False, True, True, True, True, True, False, False),
    "comment.report": (False, True, True, True, True, False, False, False),
}


@pytest.fixture()
def everyone(people):
    return {"anon": AnonymousUserMixin(), **people}


@pytest.mark.parametrize("action", sorted(TABLE))
def test_role_action_table(app, db, community, everyone, action):
    from tests import factories

    topic = make_topic(community)
    neighbour = factories.resident(db.session, community, "tenant")
    obj = make_comment(topic, neighbour) if action == "comment.report" else topic
    with app.test_request_context():
        got = tuple(permissions.can(everyone[r], action, community, obj) for r in ROLES)
    assert got == TABLE[action]


def test_every_consult_action_is_registered_and_tabled():
    assert set(consult_permissions.ACTIONS) <= set(permissions.POLICIES)
    state_only = {"topic.edit", "topic.post", "topic.close"}  # committee, checked below
    assert set(consult_permissions.ACTIONS) - state_only == set(TABLE)


def test_drafts_are_for_the_committee_only(app, community, everyone):
    draft = make_topic(community, status="draft")
    with app.test_request_context():
        readers = {r for r in ROLES if permissions.can(everyone[r], "topic.read", community, draft)}
        assert readers == {"committee"}
        assert permissions.can(everyone["committee"], "topic.edit", community, draft)
        assert permissions.can(everyone["committee"], "topic.post", community, draft)
        assert not permissions.can(everyone["committee"], "topic.close", community, draft)
        assert not permissions.can(everyone["owner"], "comment.add", community, draft)


def test_posted_topics_are_no_longer_edited_and_close_after_the_notice_period(
    app, community, everyone
):
    running = make_topic(community, posted_days_ago=1)
    over = make_topic(community, posted_days_ago=8)
    committee = everyone["committee"]
    with app.test_request_context():
        for topic in (running, over):
            assert not permissions.can(committee, "topic.edit", community, topic)
            assert not permissions.can(committee, "topic.post", community, topic)
        assert not permissions.can(committee, "topic.close", community, running)
        assert permissions.can(committee, "topic.close", community, over)
        assert not permissions.can(everyone["owner"], "topic.close", community, over)


def test_closed_topics_take_no_more_comments(app, community, everyone):
    closed = make_topic(community, status="closed")
    with app.test_request_context():
        assert permissions.can(everyone["owner"], "topic.read", community, closed)
        assert not permissions.can(everyone["owner"], "comment.add", community, closed)
        assert not permissions.can(everyone["committee"], "comment.add", community, closed)


def test_own_and_hidden_comments_cannot_be_reported(app, db, community, everyone):
    topic = make_topic(community)
    owner = everyone["owner"]
    mine = make_comment(topic, owner)
    hidden = make_comment(topic, everyone["tenant"])
    hidden.hidden_at = utcnow()
    db.session.commit()
    with app.test_request_context():
        assert not permissions.can(owner, "comment.report", community, mine)
        assert not permissions.can(owner, "comment.report", community, hidden)
        assert permissions.can(everyone["tenant"], "comment.report", community, mine)
