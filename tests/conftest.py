"""Fixtures: an app on a real database (SQLite by default, PostgreSQL with TEST_DATABASE_URL),
emptied after every test, a client that carries CSRF tokens like a browser, and factories."""

from __future__ import annotations

import os
import re
from decimal import Decimal

import pytest
from flask import g, request_started
from sqlalchemy import text

from participation import create_app
from participation.config import TestConfig
from participation.extensions import db as _db
from tests import factories

ON_POSTGRES = os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql")


def _clear_g(sender, **extra) -> None:
    g.__dict__.clear()


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    uploads = tmp_path_factory.mktemp("uploads")
    url = (
        os.environ.get("TEST_DATABASE_URL")
        or f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    )
    overrides = {"SQLALCHEMY_DATABASE_URI": url, "UPLOAD_FOLDER": str(uploads)}
    if ON_POSTGRES:
        # A session a test leaves open in a transaction (seen once from a thread of a
        # concurrency test) would block the next TRUNCATE for ever; the server ends it instead,
        # so the suite goes on (and the test that leaked it fails, if it still needs it).
        overrides["SQLALCHEMY_ENGINE_OPTIONS"] = {
            "pool_pre_ping": True,
            "connect_args": {"options": "-c idle_in_transaction_session_timeout=60000"},
        }
    app = create_app(TestConfig, **overrides)
    # Tests hold an app context open (for db.session), and Flask then shares that context's `g`
    # (logged-in user, CSRF token, roles cache) with every request they make; a real server
    # starts each request with an empty `g`. Cleared at the earliest point of each request.
    request_started.connect(_clear_g, app)
    with app.app_context():
        _db.drop_all()
        _db.create_all()
    yield app
    with app.app_context():
        _db.session.remove()
        _db.drop_all()
        _db.engine.dispose()


def _empty_all_tables() -> None:
    # Close every session of every app context (a test or thread may have left one open in a
    # transaction, whose locks would block the TRUNCATE below for ever), not only this one.
    sessions = getattr(_db.session.registry, "registry", None)
    for session in list(sessions.values()) if isinstance(sessions, dict) else []:
        session.close()
    _db.session.rollback()
    tables = [t.name for t in reversed(_db.metadata.sorted_tables)]
    if ON_POSTGRES:
        _db.session.execute(
            text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE")
        )
    else:
        for t in tables:
            _db.session.execute(text(f'DELETE FROM "{t}"'))
    _db.session.commit()


@pytest.fixture()
def db(app):
    from participation.extensions import limiter

    with app.app_context():
        limiter.reset()
        yield _db
        _empty_all_tables()
        _db.session.remove()


class FormClient:
    """Wraps the Flask test client: `post()` adds the session's CSRF token unless told not to."""

    def __init__(self, client):
        self.client = client

    def __getattr__(self, name):
        return getattr(self.client, name)

    def csrf_token(self) -> str:
        html = self.client.get("/privacy").get_data(as_text=True)
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
        assert match, "no CSRF token on /privacy"
        return match.group(1)

    def post(self, url, data=None, csrf=True, **kwargs):
        data = dict(data or {})
        if csrf and "csrf_token" not in data:
            data["csrf_token"] = self.csrf_token()
        return self.client.post(url, data=data, **kwargs)

    def login(self, user, password: str = factories.PASSWORD):
        resp = self.post("/login", {"phone": user.phone, "password": password})
        assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
        return resp


@pytest.fixture()
def client(app, db):
    return FormClient(app.test_client())


@pytest.fixture()
def community(db):
    """A small community: 2 buildings × 2 entrances × 4 units, one owner with two units."""
    return factories.community(
        db.session, code="T01", buildings=2, entrances=2, per_entrance=4, area=Decimal("80.50")
    )


def pytest_runtest_setup(item):
    # Deselected by `make test` (-m "not postgres"); run by `make test-pg`. Never silently skipped.
    if item.get_closest_marker("postgres") and not ON_POSTGRES:
        pytest.fail("this test needs PostgreSQL: run it with `make test-pg` (TEST_DATABASE_URL)")
