"""Fixtures for the account tests: English pages, a fresh `g` per request, staff and residents."""

from __future__ import annotations

import pytest
from flask import g, request_started

from tests import factories
from tests.conftest import FormClient


@pytest.fixture(autouse=True)
def _fresh_g_per_request(app):
    """tests/conftest.py keeps one app context open for the whole test and Flask reuses it for
    every test request, so `g` (the logged-in user, the CSRF token, the roles cache) would leak
    from one request and one client to the next. A real server has a fresh `g` per request;
    tests of logins and sessions need that too."""

    def clear(sender, **extra):
        for key in list(vars(g)):
            delattr(g, key)

    request_started.connect(clear, app)
    yield
    request_started.disconnect(clear, app)


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
