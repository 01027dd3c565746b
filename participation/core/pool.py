"""A pooled PostgreSQL connection is checked before each use, as SQLAlchemy's pool_pre_ping
would, without a round trip when it is plainly alive.

pool_pre_ping sends SELECT 1 at every checkout: a round trip on every request, a fifth of the
database's part of a page view. A PostgreSQL that restarts, fails over or ends a backend
(pg_terminate_backend, a crash) tells the client and closes the socket: a connection it dropped
is one whose socket has something to read while it sits idle in the pool. So a checkout looks
at the socket (one poll, no round trip) and sends SELECT 1 only when it is readable, or when the
connection sat idle longer than PING_AFTER_IDLE seconds (a peer that vanished silently, behind a
NAT or firewall that forgets idle flows). A connection that fails the ping is replaced: the pool
is told with DisconnectionError and takes another (up to three times), so the caller never sees
it, as with pool_pre_ping. PgBouncer checks its server connections the same way
(server_check_delay, 30 s). tests/ops/test_faults.py restarts PostgreSQL under gunicorn;
tests/core/test_pool.py ends backends under the pool."""

from __future__ import annotations

import select
import time

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError

PING_AFTER_IDLE = 30.0  # seconds
_IDLE_SINCE = "gongjian_idle_since"


def _psycopg(dbapi_connection) -> bool:
    return type(dbapi_connection).__module__.startswith("psycopg")


def _readable(dbapi_connection) -> bool:
    """Something arrived on an idle connection: the server's goodbye, as a rule. (poll, not
    select: a process with more than 1,024 open files has sockets select cannot watch.)"""
    poller = select.poll()
    poller.register(dbapi_connection.fileno(), select.POLLIN | select.POLLERR | select.POLLHUP)
    return bool(poller.poll(0))


def _ping(dbapi_connection) -> None:
    autocommit = dbapi_connection.autocommit
    dbapi_connection.autocommit = True  # a SELECT 1 outside any transaction
    try:
        dbapi_connection.execute("SELECT 1")
    finally:
        dbapi_connection.autocommit = autocommit


@event.listens_for(Engine, "connect")
def _fresh(dbapi_connection, record) -> None:
    record.info[_IDLE_SINCE] = time.monotonic()  # just made: nothing to check yet


@event.listens_for(Engine, "checkin")
def _idle(dbapi_connection, record) -> None:
    record.info[_IDLE_SINCE] = time.monotonic()


@event.listens_for(Engine, "checkout")
def _check(dbapi_connection, record, proxy) -> None:  # noqa: ARG001
    if not _psycopg(dbapi_connection):
        return  # SQLite: a file, nothing to lose
    try:
        idle = time.monotonic() - record.info.get(_IDLE_SINCE, 0.0)
        if dbapi_connection.closed:
            raise DisconnectionError("closed")
        if idle < PING_AFTER_IDLE and not _readable(dbapi_connection):
            return
        _ping(dbapi_connection)
    except DisconnectionError:
        raise
    except Exception as err:  # noqa: BLE001  (any failure: the connection is not to be used)
        raise DisconnectionError(str(err)) from err
