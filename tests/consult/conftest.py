"""Fixtures for the consult tests: English pages, a fresh `g` per request, people of every role
and topics in each state."""

from __future__ import annotations

import pytest

from participation.core.models import Unit
from tests import factories
from tests.conftest import FormClient

from .helpers import make_topic


@pytest.fixture()
def client(client):
    client.set_cookie("lang", "en")  # assertions read English msgids
    return client


@pytest.fixture()
def other_client(app, db):
    other = FormClient(app.test_client())
    other.set_cookie("lang", "en")
    return other


@pytest.fixture()
def ctx(app, db):
    """A request context in English (services build links with url_for, and their messages
    are read in the user's language)."""
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        yield


@pytest.fixture()
def people(db, community):
    units = db.session.query(Unit).filter_by(community_id=community.id).order_by(Unit.id).all()
    other = factories.community(db.session, code="T02", buildings=1, entrances=1, per_entrance=2)
    return {
        "owner": factories.resident(db.session, community, "owner", units[0]),
        "family": factories.resident(db.session, community, "family", units[2]),
        "tenant": factories.resident(db.session, community, "tenant", units[3]),
        "committee": factories.staff(db.session, "committee", community),
        "property": factories.staff(db.session, "property", community),
        "city": factories.staff(db.session, "city", None),
        "outsider": factories.resident(db.session, other, "owner"),
    }


@pytest.fixture()
def topic(db, community, people):
    """A posted topic (yesterday, 7-day notice period) of the test community."""
    return make_topic(community, people["committee"])
