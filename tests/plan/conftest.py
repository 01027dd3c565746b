"""Fixtures for the menu tests: English pages, a fresh `g` per request, people of every role."""

from __future__ import annotations

import pytest

from participation.core.models import Unit
from tests import factories


@pytest.fixture()
def client(client):
    client.set_cookie("lang", "en")  # assertions read English msgids
    return client


@pytest.fixture()
def ctx(app, db):
    """A request context in English (service messages are read in the user's language)."""
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        yield


@pytest.fixture()
def people(db, community):
    units = db.session.query(Unit).filter_by(community_id=community.id).order_by(Unit.id).all()
    other = factories.community(db.session, code="T02", buildings=1, entrances=1, per_entrance=2)
    return {
        "owner": factories.resident(db.session, community, "owner", units[0]),
        "tenant": factories.resident(db.session, community, "tenant", units[3]),
        "committee": factories.staff(db.session, "committee", community),
        "property": factories.staff(db.session, "property", community),
        "city": factories.staff(db.session, "city", None),
        "outsider": factories.resident(db.session, other, "owner"),
        "other_committee": factories.staff(db.session, "committee", other),
    }
