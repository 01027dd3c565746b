"""The idea actions asked of the one permission module, for every role, on every state."""

from __future__ import annotations

import pytest
from flask_login import AnonymousUserMixin

from participation.core import permissions
from participation.ideas import permissions as idea_permissions

from .helpers import make_idea

ROLES = (
    "anon",
    "owner",
    "family",
    "tenant",
    "pending",
    "committee",
    "property",
    "contractor",
    "city",
    "outsider",
    "other_committee",
)
# On a neighbour's open, shown idea.
TABLE = {
    #                anon   owner  family tenant pending comm.  prop.  contr. city   outsid o.comm
    "idea.read": (False, True, True, True, False, True, True, True, True, False, False),
    "idea.create": (False, True, True, True, False, False, False, False, False, False, False),
    "idea.support": (False, True, True, True, False, False, False, False, False, False, False),
    "idea.edit": (False, False, False, False, False, False, False, False, False, False, False),
    "idea.withdraw": (False, False, False, False, False, False, False, False, False, False, False),
    "idea.report": (False, True, True, True, False, True, True, True, False, False, False),
    "idea.moderate": (False, False, False, False, False, True, False, False, False, False, False),
    "idea.promote": (False, False, False, False, False, True, False, False, False, False, False),
}


@pytest.fixture()
def everyone(people):
    return {"anon": AnonymousUserMixin(), **people}


def _answers(app, everyone, community, action, obj):
    with app.test_request_context():
        return tuple(permissions.can(everyone[r], action, community, obj) for r in ROLES)


@pytest.mark.parametrize("action", sorted(TABLE))
def test_role_action_table_on_a_neighbours_idea(app, community, everyone, action):
    idea = make_idea(community, everyone["neighbour"])
    assert _answers(app, everyone, community, action, idea) == TABLE[action]


def test_every_idea_action_is_registered_and_tabled():
    assert set(idea_permissions.ACTIONS) <= set(permissions.POLICIES)
    assert set(idea_permissions.ACTIONS) == set(TABLE)


@pytest.mark.parametrize("relation", ["owner", "family", "tenant"])
def test_the_author_edits_and_withdraws_but_does_not_support_or_report(
    app, community, everyone, relation
):
    idea = make_idea(community, everyone[relation])
    author = everyone[relation]
    with app.test_request_context():
        assert permissions.can(author, "idea.edit", community, idea)
        assert permissions.can(author, "idea.withdraw", community, idea)
        assert not permissions.can(author, "idea.support", community, idea)
        assert not permissions.can(author, "idea.report", community, idea)
        # Nobody else edits or withdraws it, the committee included.
        for other in ROLES:
            if other != relation:
                assert not permissions.can(everyone[other], "idea.edit", community, idea)
                assert not permissions.can(everyone[other], "idea.withdraw", community, idea)


def test_a_promoted_idea_is_frozen(app, community, everyone):
    idea = make_idea(community, everyone["owner"], status="promoted")
    with app.test_request_context():
        for action in ("idea.edit", "idea.withdraw"):
            assert not permissions.can(everyone["owner"], action, community, idea)
        assert not permissions.can(everyone["family"], "idea.support", community, idea)
        assert not permissions.can(everyone["committee"], "idea.promote", community, idea)
        assert permissions.can(everyone["family"], "idea.read", community, idea)
        assert permissions.can(everyone["family"], "idea.report", community, idea)


def test_a_withdrawn_idea_is_read_by_its_author_the_committee_and_the_city(
    app, community, everyone
):
    idea = make_idea(community, everyone["tenant"], status="withdrawn")
    readers = {
        r for r in ROLES if _answers(app, everyone, community, "idea.read", idea)[ROLES.index(r)]
    }
    assert readers == {"tenant", "committee", "city"}
    with app.test_request_context():
        for role in ROLES:
            for action in ("idea.support", "idea.edit", "idea.withdraw", "idea.promote"):
                assert not permissions.can(everyone[role], action, community, idea)
            assert not permissions.can(everyone[role], "idea.report", community, idea)


def test_a_hidden_idea_can_be_withdrawn_but_not_edited_supported_reported_or_promoted(
    app, community, everyone
):
    idea = make_idea(community, everyone["owner"], hidden=True)
    with app.test_request_context():
        assert permissions.can(everyone["owner"], "idea.withdraw", community, idea)
        assert not permissions.can(everyone["owner"], "idea.edit", community, idea)
        assert not permissions.can(everyone["family"], "idea.support", community, idea)
        assert not permissions.can(everyone["family"], "idea.report", community, idea)
        assert not permissions.can(everyone["committee"], "idea.promote", community, idea)
        assert permissions.can(everyone["committee"], "idea.moderate", community, idea)


def test_in_general_answers_follow_the_roles(app, community, everyone):
    for action, row in TABLE.items():
        if action in ("idea.edit", "idea.withdraw"):
            row = TABLE["idea.create"]  # any resident may, on their own idea
        assert _answers(app, everyone, community, action, None) == row, action
