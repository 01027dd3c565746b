"""The role × action table, asked of the one permission module, and every page by every role."""

from __future__ import annotations

import pytest
from flask_login import AnonymousUserMixin

from participation.core import permissions
from tests import factories
from tests.conftest import FormClient

# Expected answers in the user's own community; the city role spans every community.
TABLE = {
    #                    anon   owner  family tenant committee property city
    "community.view": (False, True, True, True, True, True, True),
    "notice.read": (False, True, True, True, True, True, True),
    "notice.post": (False, False, False, False, True, False, False),
    "register.view": (False, False, False, False, True, False, True),
    "register.import": (False, False, False, False, True, False, False),
    "register.phones": (False, False, False, False, True, False, False),
    "invite.manage": (False, False, False, False, True, False, False),
    "residency.manage": (False, False, False, False, True, False, False),
    "project.advance": (False, False, False, False, True, False, False),
    "audit.view": (False, False, False, False, True, False, True),
    "staff.manage": (False, False, False, False, False, False, True),
    "city.overview": (False, False, False, False, False, False, True),
}
ROLES = ("anon", "owner", "family", "tenant", "committee", "property", "city")


@pytest.fixture()
def people(db, community):
    from participation.core.models import Unit

    units = db.session.query(Unit).filter_by(community_id=community.id).order_by(Unit.id).all()
    return {
        "anon": AnonymousUserMixin(),
        "owner": factories.resident(db.session, community, "owner", units[0]),
        "family": factories.resident(db.session, community, "family", units[2]),
        "tenant": factories.resident(db.session, community, "tenant", units[3]),
        "committee": factories.staff(db.session, "committee", community),
        "property": factories.staff(db.session, "property", community),
        "city": factories.staff(db.session, "city", None),
    }


@pytest.mark.parametrize("action", sorted(TABLE))
def test_role_action_table(app, people, community, action):
    with app.test_request_context():
        got = tuple(permissions.can(people[r], action, community) for r in ROLES)
    assert got == TABLE[action]


def test_every_registered_core_action_is_in_the_table():
    core = {
        a
        for a in permissions.POLICIES
        if a.split(".")[0]
        in {
            "community",
            "notice",
            "register",
            "invite",
            "residency",
            "project",
            "audit",
            "staff",
            "city",
        }
    }
    assert core == set(TABLE)


def test_roles_do_not_leak_to_another_community(app, db, people, community):
    other = factories.community(db.session, code="T02", buildings=1, entrances=1, per_entrance=2)
    with app.test_request_context():
        for role in ("owner", "family", "tenant", "committee", "property"):
            assert not permissions.can(people[role], "community.view", other), role
            assert not permissions.can(people[role], "notice.post", other), role
        assert permissions.can(people["city"], "community.view", other)


def test_pending_and_revoked_links_give_no_resident_role(app, db, community):
    from participation.core.models import Unit

    unit = db.session.query(Unit).filter_by(community_id=community.id).first()
    pending = factories.resident(db.session, community, "owner", unit, status="pending")
    revoked = factories.resident(db.session, community, "family", unit, status="revoked")
    with app.test_request_context():
        assert permissions.roles_for(pending, community.id) == frozenset()
        assert permissions.roles_for(revoked, community.id) == frozenset()


def test_unknown_action_is_an_error(app, people, community):
    with app.test_request_context(), pytest.raises(KeyError):
        permissions.can(people["committee"], "no.such.action", community)


# Every GET page of the foundation, by every role: the expected status for each.
PAGES = {
    "/c/T01/": {
        "anon": 302,
        "owner": 200,
        "committee": 200,
        "property": 200,
        "city": 200,
        "outsider": 403,
    },
    "/c/T01/notices": {
        "anon": 302,
        "owner": 200,
        "committee": 200,
        "property": 200,
        "city": 200,
        "outsider": 403,
    },
    "/c/T01/notices/new": {
        "anon": 302,
        "owner": 403,
        "committee": 200,
        "property": 403,
        "city": 403,
        "outsider": 403,
    },
    "/c/T01/residents": {
        "anon": 302,
        "owner": 403,
        "committee": 200,
        "property": 403,
        "city": 403,
        "outsider": 403,
    },
    "/c/T01/project": {
        "anon": 302,
        "owner": 403,
        "committee": 200,
        "property": 403,
        "city": 403,
        "outsider": 403,
    },
    "/c/T01/audit": {
        "anon": 302,
        "owner": 403,
        "committee": 200,
        "property": 403,
        "city": 200,
        "outsider": 403,
    },
    "/admin/staff": {
        "anon": 302,
        "owner": 403,
        "committee": 403,
        "property": 403,
        "city": 200,
        "outsider": 403,
    },
    "/inbox": {
        "anon": 302,
        "owner": 200,
        "committee": 200,
        "property": 200,
        "city": 200,
        "outsider": 200,
    },
    "/me": {
        "anon": 302,
        "owner": 200,
        "committee": 200,
        "property": 200,
        "city": 200,
        "outsider": 200,
    },
    "/c/NOPE/": {
        "anon": 404,
        "owner": 404,
        "committee": 404,
        "property": 404,
        "city": 404,
        "outsider": 404,
    },
}


@pytest.mark.parametrize("role", ["anon", "owner", "committee", "property", "city", "outsider"])
def test_pages_by_role(app, db, community, people, role):
    if role == "outsider":
        other = factories.community(
            db.session, code="T09", buildings=1, entrances=1, per_entrance=2
        )
        user = factories.staff(db.session, "committee", other)
    else:
        user = people[role]
    client = app.test_client()
    if role != "anon":
        FormClient(client).login(user)
    for url, expected in PAGES.items():
        resp = client.get(url)
        assert resp.status_code == expected[role], (url, role, resp.status_code)
        if expected[role] == 302:
            assert "/login" in resp.headers["Location"]
