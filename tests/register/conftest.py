"""Fixtures of the register tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from flask_babel import force_locale
from sqlalchemy import event

from participation.core.services import register as register_service


@pytest.fixture()
def ctx(app, db):
    """A request context in English: services translate their refusals."""
    with app.test_request_context(), force_locale("en"):
        yield


@pytest.fixture()
def empty(db, ctx):
    """A community with no register yet."""
    community = register_service.create_community(None, "R01", "幸福小区", name_en="Happy Estate")
    db.session.commit()
    return community


@pytest.fixture()
def en_client(client):
    """The client reading pages in English (set before the first request fixes the language)."""
    client.set_cookie("lang", "en")
    return client


@contextmanager
def count_queries(engine) -> Iterator[list[str]]:
    statements: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):  # noqa: ARG001
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)
