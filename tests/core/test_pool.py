"""A pooled PostgreSQL connection is checked at checkout without a round trip unless it needs
one (core/pool.py): a backend the server ended while the connection sat in the pool is replaced
before anyone uses it; a live one is used as it is, and pinged once idle long enough."""

from __future__ import annotations

import re
import tempfile

import pytest
from sqlalchemy import create_engine, text

from participation.core import pool

pytestmark = pytest.mark.postgres


@pytest.fixture()
def engine(app):
    made = create_engine(app.config["SQLALCHEMY_DATABASE_URI"], pool_size=1, max_overflow=0)
    yield made
    made.dispose()


def backend(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT pg_backend_pid()")).scalar()


def sent_on_checkout(engine) -> list[str]:
    """The queries the pooled connection sends from its checkout to its first statement's."""
    raw = engine.pool._pool.queue[0].dbapi_connection  # the one idle connection
    with tempfile.TemporaryFile() as trace:
        raw.pgconn.trace(trace.fileno())
        with engine.connect() as conn:
            conn.execute(text("SELECT 42"))
        raw.pgconn.untrace()
        trace.seek(0)
        return re.findall(r'\tF\t\d+\tQuery\t "([^"]*)"', trace.read().decode())


def test_a_backend_ended_while_pooled_is_replaced_before_use(app, engine):
    first = backend(engine)
    with app.app_context():
        killer = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
        with killer.connect() as conn:
            assert conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": first}).scalar()
        killer.dispose()
    # The pool's only connection is dead: the checkout sees the socket closed and connects anew.
    assert backend(engine) != first


def test_a_live_connection_is_used_without_a_ping(app, engine):
    backend(engine)
    wire = sent_on_checkout(engine)
    assert wire == ["BEGIN", "SELECT 42", "ROLLBACK"], wire


def test_a_connection_idle_long_enough_is_pinged_first(app, engine, monkeypatch):
    backend(engine)
    monkeypatch.setattr(pool, "PING_AFTER_IDLE", 0.0)
    wire = sent_on_checkout(engine)
    assert wire == ["SELECT 1", "BEGIN", "SELECT 42", "ROLLBACK"], wire
