"""Fixtures and helpers shared by the vote pages' tests (test_views*.py): people of every role,
clients logged in as them (pages in English), votes in each state, query counting. Imported by
those modules (`from tests.voting.view_fixtures import ...`)."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event, func, select

from participation.core.models import Unit
from participation.extensions import db
from participation.voting import services
from participation.voting.models import Ballot
from tests import factories
from tests.conftest import FormClient
from tests.voting import helpers

HX = {"HX-Request": "true"}
# Every role the pages know, and a committee member of another community.
ROLES = (
    "anon",
    "owner",
    "family",
    "tenant",
    "committee",
    "property",
    "city",
    "outsider",
    "other_committee",
)


@pytest.fixture()
def as_user(app, db):
    """A fresh client (its own cookies) reading English, logged in as `user` unless None."""

    def make(user=None) -> FormClient:
        client = FormClient(app.test_client())
        client.set_cookie("lang", "en")
        if user is not None:
            client.login(user)
        return client

    return make


@pytest.fixture()
def units(db, community) -> list[Unit]:
    """T01's 16 homes in register order: units[0] is 1-1-101 (its owner also owns units[1],
    1-1-102), units[2] is 1-1-201, units[4] is 1-2-101, units[8] is 2-1-101."""
    return helpers.units_of(db.session, community)


@pytest.fixture()
def people(db, community, units):
    other = factories.community(db.session, code="T02", buildings=1, entrances=1, per_entrance=2)
    return {
        "owner": factories.resident(db.session, community, "owner", units[0]),
        "owner2": factories.resident(db.session, community, "owner", units[2]),
        "family": factories.resident(db.session, community, "family", units[4]),
        "tenant": factories.resident(db.session, community, "tenant", units[5]),
        "committee": factories.staff(db.session, "committee", community),
        "property": factories.staff(db.session, "property", community),
        "city": factories.staff(db.session, "city", None),
        "outsider": factories.resident(db.session, other, "owner"),
        "other_committee": factories.staff(db.session, "committee", other),
    }


@pytest.fixture()
def vote(db, community, people):
    """An open vote of the whole community (ordinary rule), closing in 7 days."""
    return helpers.open_vote(db.session, community, actor=people["committee"])


def close(vote, actor, reason: str = "测试提前结束") -> None:
    services.close_vote(actor, vote, reason=reason)
    db.session.commit()


def text(resp) -> str:
    """The page as text, entities decoded (Jinja writes ' as &#39;)."""
    return html.unescape(resp.get_data(as_text=True))


def ballot_of(vote, unit: Unit) -> Ballot | None:
    db.session.expire_all()
    return services.ballot_for(vote, unit.owner_id)


def ballots(vote) -> int:
    return db.session.scalar(select(func.count(Ballot.id)).where(Ballot.vote_id == vote.id))


@contextmanager
def count_queries() -> Iterator[list[str]]:
    statements: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):  # noqa: ARG001
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", before)


def selects(statements: list[str]) -> list[str]:
    return [s for s in statements if re.match(r"\s*SELECT", s, re.I)]


def flashes(html: str) -> list[str]:
    return [
        re.sub(r"\s+", " ", m).strip() for m in re.findall(r'class="flash[^"]*">(.*?)</p>', html)
    ]
