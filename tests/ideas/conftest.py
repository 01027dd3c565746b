"""Fixtures for the idea tests: English pages, people of every role (and a member of another
community), a fresh `g` per request."""

from __future__ import annotations

import pytest

from participation.core.models import Unit
from tests import factories
from tests.conftest import FormClient


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
    property_ = factories.staff(db.session, "property", community)
    contractor = factories.staff(db.session, "property", community)
    return {
        "owner": factories.resident(db.session, community, "owner", units[0]),
        "family": factories.resident(db.session, community, "family", units[2]),
        "tenant": factories.resident(db.session, community, "tenant", units[3]),
        "neighbour": factories.resident(db.session, community, "owner", units[4]),
        "pending": factories.resident(db.session, community, "owner", units[5], status="pending"),
        "committee": factories.staff(db.session, "committee", community),
        "property": property_,
        "contractor": contractor,
        "city": factories.staff(db.session, "city", None),
        "outsider": factories.resident(db.session, other, "owner"),
        "other_committee": factories.staff(db.session, "committee", other),
    }


@pytest.fixture(autouse=True)
def _empty_idea_uploads(app):
    """The upload folder lives for the session; each test starts with no idea photos, so it
    can tell exactly which files it left behind."""
    import shutil
    from pathlib import Path

    shutil.rmtree(Path(app.config["UPLOAD_FOLDER"]) / "ideas", ignore_errors=True)
