"""Every vote.* action for every role, in each state of a vote."""

from __future__ import annotations

import pytest
from flask_login import AnonymousUserMixin

from participation.core import permissions
from participation.voting import permissions as voting_permissions
from participation.voting import services
from tests import factories
from tests.voting import helpers

ROLES = ("anon", "owner", "family", "tenant", "proxy", "committee", "property", "city", "outsider")
AN, OW, FA, TE, PX, CO, PR, CI, OU = range(9)  # column positions in the tables below


def row(*allowed: int) -> tuple[bool, ...]:
    return tuple(i in allowed for i in range(len(ROLES)))


MEMBERS = (OW, FA, TE, PX, CO, PR, CI)  # "proxy" is a family member of another unit
EXPECTED = {
    "draft": {
        "vote.view": row(CO, CI),
        "vote.create": row(CO),
        "vote.edit": row(CO),
        "vote.open": row(CO),
        "vote.close": row(),
        "vote.cast": row(),
        "vote.enter_paper": row(),
        "vote.proxy": row(CO),
        "vote.turnout": row(),
        "vote.results": row(),
    },
    "open": {
        "vote.view": row(*MEMBERS),
        "vote.create": row(CO),
        "vote.edit": row(),
        "vote.open": row(),
        "vote.close": row(CO),
        "vote.cast": row(OW, PX),
        "vote.enter_paper": row(CO),
        "vote.proxy": row(CO),
        "vote.turnout": row(CO, CI),  # turnout not public
        "vote.results": row(),
    },
    "closed": {
        "vote.view": row(*MEMBERS),
        "vote.create": row(CO),
        "vote.edit": row(),
        "vote.open": row(),
        "vote.close": row(),
        "vote.cast": row(),
        "vote.enter_paper": row(),
        "vote.proxy": row(),
        "vote.turnout": row(*MEMBERS),
        "vote.results": row(*MEMBERS),
    },
}


def test_every_vote_action_is_in_the_table():
    registered = {a for a in permissions.POLICIES if a.startswith("vote.")}
    assert registered == set(voting_permissions.ACTIONS)
    for state in EXPECTED.values():
        assert set(state) == registered


@pytest.fixture()
def people(db, community):
    units = helpers.units_of(db.session, community)
    other = factories.community(db.session, code="T02", buildings=1, entrances=1, per_entrance=2)
    return {
        "anon": AnonymousUserMixin(),
        "owner": factories.resident(db.session, community, "owner", units[0]),
        "family": factories.resident(db.session, community, "family", units[2]),
        "tenant": factories.resident(db.session, community, "tenant", units[3]),
        "proxy": factories.resident(db.session, community, "family", units[4]),
        "committee": factories.staff(db.session, "committee", community),
        "property": factories.staff(db.session, "property", community),
        "city": factories.staff(db.session, "city", None),
        "outsider": factories.resident(
            db.session, other, "owner", helpers.units_of(db.session, other)[0]
        ),
        "_units": units,
    }


@pytest.mark.parametrize("state", ["draft", "open", "closed"])
def test_role_action_table(app, db, community, people, state):
    committee = people["committee"]
    vote = helpers.draft_vote(db.session, community, actor=committee)
    services.record_proxy(committee, vote, people["_units"][5].owner_id, people["proxy"], "委托书")
    services.record_proxy(committee, vote, people["_units"][4].owner_id, people["proxy"], "委托书")
    if state != "draft":
        services.open_vote(committee, vote)
    if state == "closed":
        services.close_vote(committee, vote, reason="测试")
    db.session.commit()
    for action, expected in EXPECTED[state].items():
        with app.test_request_context():
            got = tuple(permissions.can(people[r], action, community, vote) for r in ROLES)
        assert got == expected, (state, action, dict(zip(ROLES, got, strict=True)))


def test_public_turnout_is_visible_to_every_member(app, db, community, people):
    vote = helpers.open_vote(db.session, community, actor=people["committee"], turnout_public=True)
    with app.test_request_context():
        got = tuple(permissions.can(people[r], "vote.turnout", community, vote) for r in ROLES)
    assert got == row(*MEMBERS)


def test_casting_is_not_allowed_after_closes_at_even_before_closing(app, db, community, people):
    from datetime import timedelta

    from participation.core.timeutil import aware

    vote = helpers.open_vote(db.session, community, actor=people["committee"])
    vote.opens_at = aware(vote.opens_at) - timedelta(days=8)
    vote.closes_at = aware(vote.opens_at) + timedelta(days=7)
    db.session.commit()
    with app.test_request_context():
        assert not permissions.can(people["owner"], "vote.cast", community, vote)
        assert not permissions.can(people["committee"], "vote.enter_paper", community, vote)
        assert permissions.can(people["committee"], "vote.close", community, vote)


def test_a_vote_in_another_community_is_not_theirs(app, db, community, people):
    vote = helpers.open_vote(db.session, community, actor=people["committee"])
    other = db.session.get(type(community), people["outsider"].residencies[0].community_id)
    other_committee = factories.staff(db.session, "committee", other)
    with app.test_request_context():
        assert not permissions.can(people["outsider"], "vote.view", community, vote)
        # A vote asked about under another community is refused, even to that committee.
        assert not permissions.can(other_committee, "vote.close", other, vote)
        assert not permissions.can(people["city"], "vote.view", other, vote)
        assert permissions.can(people["city"], "vote.view", community, vote)
