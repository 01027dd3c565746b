"""Page views read outside a transaction on PostgreSQL; whatever they write is one transaction.

In READ COMMITTED, PostgreSQL's default and the app's, each statement sees its own snapshot,
in a transaction or not: a transaction around a page's reads buys nothing but two round trips
(BEGIN before the first statement, COMMIT after the last), on a page of one query half of its
database time. So the connection a GET or HEAD request takes is put in autocommit, and the
first statement that writes or locks (anything but a plain SELECT: INSERT, UPDATE, DELETE,
SAVEPOINT, SELECT … FOR UPDATE / FOR SHARE) sends BEGIN before it: from there to the session's
commit or rollback is one transaction, as in any other request (psycopg commits or rolls back
what the server has open, autocommit or not). Reads before it held no locks in a transaction
either. The connection leaves autocommit when it goes back to the pool.

Requests that are not page views (POST and the rest) keep SQLAlchemy's transaction from their
first statement: their reads before a write may be what the write relies on (FOR UPDATE). The
cast of a ballot has its own autocommit path (voting/views.py _cast_at_once)."""

from __future__ import annotations

import re

from flask import has_request_context, request
from psycopg.pq import TransactionStatus
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

_FLAG = "gongjian_reads_autocommit"
_LOCKING = re.compile(r"\bFOR\s+(?:NO\s+KEY\s+)?(?:UPDATE|SHARE|KEY\s+SHARE)\b", re.I)
_plain_read: dict[str, bool] = {}  # statement text → a SELECT that takes no lock


def plain_read(statement: str) -> bool:
    found = _plain_read.get(statement)
    if found is None:
        words = statement.split(None, 1)
        head = words[0].upper() if words else ""
        found = head in ("SELECT", "WITH") and not _LOCKING.search(statement)
        if head == "WITH":  # a data-modifying CTE writes
            found = found and not re.search(r"\b(INSERT|UPDATE|DELETE)\b", statement, re.I)
        if len(_plain_read) < 4096:
            _plain_read[statement] = found
    return found


@event.listens_for(Session, "after_begin")
def _reads_in_autocommit(session, transaction, connection) -> None:  # noqa: ARG001
    if connection.dialect.name != "postgresql" or not has_request_context():
        return
    if request.method not in ("GET", "HEAD") or connection.info.get(_FLAG):
        return
    driver = connection.connection.driver_connection
    if driver.autocommit or driver.info.transaction_status != TransactionStatus.IDLE:
        return  # chosen already (the cast's own autocommit), or a statement has run
    driver.autocommit = True
    connection.info[_FLAG] = True


@event.listens_for(Engine, "before_cursor_execute")
def _begin_before_a_write(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ARG001
    if not conn.info.get(_FLAG):
        return
    if cursor.connection.info.transaction_status != TransactionStatus.IDLE:
        return  # in the transaction a write began
    if not plain_read(statement):
        cursor.execute("BEGIN")


@event.listens_for(Engine, "checkin")
def _back_to_transactions(dbapi_connection, connection_record) -> None:
    # After the pool's reset (a rollback of anything left open); None when invalidated.
    if connection_record.info.pop(_FLAG, False) and dbapi_connection is not None:
        dbapi_connection.autocommit = False
