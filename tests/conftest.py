"""Fixtures: an app on a real database (SQLite by default, PostgreSQL with TEST_DATABASE_URL),
emptied after every test, a client that carries CSRF tokens like a browser, and factories."""

from __future__ import annotations

import os
import re
from decimal import Decimal


def _database_per_xdist_worker() -> None:
    """Under pytest-xdist (`-n 2`), each worker gets a database of its own on PostgreSQL:
    TEST_DATABASE_URL's name plus the worker id (test -> test_gw0), created when missing.
    Set in the environment before the app's config is imported (TestConfig reads it), so every
    app a test makes uses it too. SQLite needs nothing: each worker has its own tmp dir."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    url = os.environ.get("TEST_DATABASE_URL", "")
    if not worker or not url.startswith("postgresql"):
        return
    import psycopg
    from sqlalchemy.engine import make_url

    base = make_url(url)
    if base.database.endswith(f"_{worker}"):  # already derived (a nested run)
        return
    mine = base.set(database=f"{base.database}_{worker}")
    admin = base.set(drivername="postgresql", database="postgres")
    conninfo = admin.render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        if not conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (mine.database,)
        ).fetchone():
            conn.execute(f'CREATE DATABASE "{mine.database}"')
    os.environ["TEST_DATABASE_URL"] = mine.render_as_string(hide_password=False)


_database_per_xdist_worker()

import pytest  # noqa: E402
from flask import g, request_started  # noqa: E402
from sqlalchemy import text  # noqa: E402

from participation import create_app  # noqa: E402
from participation.config import TestConfig  # noqa: E402
from participation.extensions import db as _db  # noqa: E402
from tests import factories  # noqa: E402
from tests.snapshot import DemoSnapshots, drop_leftover_schemas  # noqa: E402

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
            "connect_args": {"options": "-c idle_in_transaction_session_timeout=60000"},
        }
    app = create_app(TestConfig, **overrides)
    # Tests hold an app context open (for db.session), and Flask then shares that context's `g`
    # (logged-in user, CSRF token, roles cache) with every request they make; a real server
    # starts each request with an empty `g`. Cleared at the earliest point of each request.
    request_started.connect(_clear_g, app)
    with app.app_context():
        if ON_POSTGRES:
            with _db.engine.begin() as conn:
                drop_leftover_schemas(conn)
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
    tables = [t.name for t in reversed(_db.metadata.sorted_tables)]  # children first
    if ON_POSTGRES:
        # What `TRUNCATE <every table> RESTART IDENTITY` leaves, at a fraction of its cost (it
        # makes new files for all ~50 tables: 0.3-1.5 s a test): DELETE from the tables that
        # have rows, then every sequence a test used back to 1.
        filled = {
            name
            for (name,) in _db.session.execute(
                text(
                    " UNION ALL ".join(
                        f"SELECT '{t}' WHERE EXISTS (SELECT 1 FROM \"{t}\")" for t in tables
                    )
                )
            )
        }
        for t in tables:
            if t in filled:
                _db.session.execute(text(f'DELETE FROM "{t}"'))
        _db.session.execute(
            text(
                "SELECT setval(format('%I.%I', schemaname, sequencename)::regclass, 1, false) "
                "FROM pg_sequences WHERE schemaname = current_schema() AND last_value IS NOT NULL"
            )
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
        app.extensions.pop("gongjian_section_cache", None)  # a demo copy reuses ids and dates
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


@pytest.fixture(scope="session")
def _demo_snapshots(app, tmp_path_factory):
    snapshots = DemoSnapshots(app, tmp_path_factory.mktemp("demo"))
    yield snapshots
    with app.app_context():
        snapshots.drop()


@pytest.fixture()
def demo_copy(db, _demo_snapshots):
    """`demo_copy(now=NOW)`: the database as `seed.seed_demo(now=NOW)` and a commit leave it,
    returning its summary; the seed runs once per session, later tests get a copy
    (tests/snapshot.py). Call it first, in an empty database."""
    return _demo_snapshots.demo


@pytest.fixture()
def client(app, db):
    return FormClient(app.test_client())


@pytest.fixture()
def community(db):
    """A small community: 2 buildings × 2 entrances × 4 units, one owner with two units."""
    return factories.community(
        db.session, code="T01", buildings=2, entrances=2, per_entrance=4, area=Decimal("80.50")
    )


# The slowest work units (seeds, the page crawl, hostile input, the journey in Chromium), handed
# out first so that none of them is left to one worker at the end while the other sits idle
# (xdist hands out the files with the most tests first, and these have few). Units not here
# (or gone) keep xdist's order.
SLOW_FIRST = (
    "tests/e2e/test_full_journey.py",
    "tests/hostile",
    "tests/seed/test_seed.py",
    "tests/core/test_pages.py",
    "tests/build/test_seed.py",
    "tests/ops/test_faults.py",
)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """`-n 2 --dist loadfile` (Makefile): pytest-xdist sends each test file whole to a worker,
    so a module-scoped fixture (the page crawl, the fault tests' cluster) is built once; and
    here all of tests/hostile goes to one worker, in order, around its one world (xdist's
    `xdist_group` marks would say the same, but `--dist loadgroup` ignores them on pytest 9),
    and the SLOW_FIRST units go out first."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class FilesAndHostile(LoadFileScheduling):
        ordered = False

        def _split_scope(self, nodeid: str) -> str:
            if nodeid.startswith("tests/hostile/"):
                return "tests/hostile"
            return super()._split_scope(nodeid)

        def _assign_work_unit(self, node) -> None:
            if not self.ordered:  # the first call: the queue is complete
                self.ordered = True
                for scope in reversed(SLOW_FIRST):
                    if scope in self.workqueue:
                        self.workqueue.move_to_end(scope, last=False)
            super()._assign_work_unit(node)

    return FilesAndHostile(config, log)


def pytest_runtest_setup(item):
    # Deselected by `make test` (-m "not postgres"); run by `make test-pg`. Never silently skipped.
    if item.get_closest_marker("postgres") and not ON_POSTGRES:
        pytest.fail("this test needs PostgreSQL: run it with `make test-pg` (TEST_DATABASE_URL)")
