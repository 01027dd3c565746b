"""Fixtures for step 4: English pages, a request context, people of every role (property
company and contractor staff told apart), and the community's buildings."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from participation.build.models import PartyMember
from participation.core.models import Building, Entrance, Unit
from tests import factories


@pytest.fixture()
def client(client):
    client.set_cookie("lang", "en")  # assertions read English msgids
    return client


@pytest.fixture()
def ctx(app, db):
    """A request context in English (services build links and read messages in English)."""
    with app.test_request_context(headers={"Cookie": "lang=en"}):
        yield


@pytest.fixture()
def places(db, community):
    buildings = db.session.scalars(
        select(Building).where(Building.community_id == community.id).order_by(Building.id)
    ).all()
    entrances = db.session.scalars(
        select(Entrance).where(Entrance.building_id == buildings[0].id).order_by(Entrance.id)
    ).all()
    return {"b1": buildings[0], "b2": buildings[1], "e11": entrances[0], "e12": entrances[1]}


@pytest.fixture()
def people(db, community):
    units = db.session.query(Unit).filter_by(community_id=community.id).order_by(Unit.id).all()
    other = factories.community(db.session, code="T02", buildings=1, entrances=1, per_entrance=2)
    contractor = factories.staff(db.session, "property", community)
    db.session.add(
        PartyMember(community_id=community.id, user_id=contractor.id, party="contractor")
    )
    db.session.commit()
    return {
        "owner": factories.resident(db.session, community, "owner", units[0]),
        "family": factories.resident(db.session, community, "family", units[2]),
        "tenant": factories.resident(db.session, community, "tenant", units[3]),
        "neighbour": factories.resident(db.session, community, "owner", units[4]),
        "committee": factories.staff(db.session, "committee", community),
        "property": factories.staff(db.session, "property", community),
        "contractor": contractor,
        "city": factories.staff(db.session, "city", None),
        "outsider": factories.resident(db.session, other, "owner"),
        "other_property": factories.staff(db.session, "property", other),
        "other_committee": factories.staff(db.session, "committee", other),
    }


@pytest.fixture()
def as_user(app, db):
    """A fresh logged-in English client per person: as_user(people["owner"])."""
    from tests.conftest import FormClient

    def make(user):
        c = FormClient(app.test_client())
        c.set_cookie("lang", "en")
        if user is not None:
            c.login(user)
        return c

    return make
