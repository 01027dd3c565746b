"""Fixtures for the account tests: English pages, staff and residents."""

from __future__ import annotations

import pytest

from tests import factories
from tests.conftest import FormClient


def english(client: FormClient) -> FormClient:
    # Assertions read English msgids, whatever catalogues are compiled.
    client.set_cookie("lang", "en")
    return client


@pytest.fixture()
def client(client):
    return english(client)


@pytest.fixture()
def other_client(app, db):
    """A second browser."""
    return english(FormClient(app.test_client()))


@pytest.fixture()
def committee(db, community):
    return factories.staff(db.session, "committee", community)
