"""Fixtures for the pledge tests: T01 (16 homes of 80.50 m², 1,288.00 m²) in step 3 with an
adopted plan asking residents for ¥64,400.00 (¥4,025.00 a home), people of every role, English
pages and messages."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from participation.core.models import Unit
from participation.extensions import db as _db
from tests import factories
from tests.conftest import FormClient


@pytest.fixture(autouse=True)
def _english_outside_requests(app, monkeypatch):
    monkeypatch.setitem(app.config, "BABEL_DEFAULT_LOCALE", "en")


@pytest.fixture()
def ctx(app, db):
    """A request context in English (services build links and translate messages)."""
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        yield


@pytest.fixture()
def units(db, community) -> list[Unit]:
    return list(
        db.session.scalars(select(Unit).where(Unit.community_id == community.id).order_by(Unit.id))
    )


@pytest.fixture()
def plan(db, community):
    return factories.adopted_plan(db.session, community)


@pytest.fixture()
def step3(db, community, plan):
    factories.current_step(db.session, community, "pledge")
    return community


@pytest.fixture()
def people(db, community, units):
    other = factories.community(db.session, code="T02", buildings=1, entrances=1, per_entrance=2)
    return {
        "owner": factories.resident(db.session, community, "owner", units[0]),
        "owner2": factories.resident(db.session, community, "owner", units[2]),
        "family": factories.resident(db.session, community, "family", units[4]),
        "tenant": factories.resident(db.session, community, "tenant", units[8]),
        "pending": factories.resident(db.session, community, "owner", units[9], status="pending"),
        "committee": factories.staff(db.session, "committee", community),
        "property": factories.staff(db.session, "property", community),
        "contractor": factories.staff(db.session, "property", community),
        "city": factories.staff(db.session, "city", None),
        "outsider": factories.resident(db.session, other, "owner"),
        "other_committee": factories.staff(db.session, "committee", other),
    }


@pytest.fixture()
def as_user(app, db):
    """A fresh client (its own cookies) reading English, logged in as `user` unless None."""

    def make(user=None) -> FormClient:
        client = FormClient(app.test_client())
        client.set_cookie("lang", "en")
        if user is not None:
            client.login(user)
        return client

    return make


__all__ = ["_db"]
