"""Fixtures for step 5: English pages, people of every role, a community in step 4 with an
adopted plan of three items, and the city summary always fresh."""

from __future__ import annotations

import pytest

from participation.core.models import Unit
from tests import factories
from tests.share import helpers


@pytest.fixture(autouse=True)
def _fresh_summary(app):
    old = app.config.get("SHARE_SUMMARY_MAX_AGE")
    app.config["SHARE_SUMMARY_MAX_AGE"] = 0
    yield
    if old is None:
        app.config.pop("SHARE_SUMMARY_MAX_AGE", None)
    else:
        app.config["SHARE_SUMMARY_MAX_AGE"] = old


@pytest.fixture()
def client(client):
    client.set_cookie("lang", "en")
    return client


@pytest.fixture()
def ctx(app, db):
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        yield


@pytest.fixture()
def units(db, community):
    return db.session.query(Unit).filter_by(community_id=community.id).order_by(Unit.id).all()


@pytest.fixture()
def people(db, community, units):
    other = factories.community(db.session, code="T02", buildings=1, entrances=1, per_entrance=2)
    return {
        "owner": factories.resident(db.session, community, "owner", units[0]),
        "tenant": factories.resident(db.session, community, "tenant", units[3]),
        "committee": factories.staff(db.session, "committee", community),
        "property": factories.staff(db.session, "property", community),
        "city": factories.staff(db.session, "city", None),
        "outsider": factories.resident(db.session, other, "owner"),
        "other_committee": factories.staff(db.session, "committee", other),
        "other": other,
    }


@pytest.fixture()
def building(db, community):
    """The community in step 4 with an adopted plan of three lines."""
    factories.current_step(db.session, community, "build")
    return helpers.plan(db.session, community)
