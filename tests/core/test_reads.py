"""Page views read outside a transaction on PostgreSQL; what they write is one transaction
(core/reads.py). Watched on the wire: libpq's trace of each connection the app takes shows the
BEGIN and COMMIT messages psycopg sends."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event

from participation.core.reads import plain_read
from participation.core.timeutil import utcnow
from participation.voting.models import Vote, VoteStatus
from tests import factories
from tests.conftest import FormClient
from tests.voting import helpers

pytestmark = pytest.mark.postgres
WRITES = ("INSERT", "UPDATE", "DELETE", "SAVEPOINT", "RELEASE")


@contextmanager
def wire(db) -> Iterator[list[str]]:
    """The queries sent by every connection the app checks out meanwhile (BEGIN, COMMIT and
    the rest, in order), from libpq's trace."""
    queries: list[str] = []
    files: dict[int, object] = {}

    def checkout(dbapi_connection, record, proxy):  # noqa: ARG001
        f = tempfile.TemporaryFile()  # noqa: SIM115  (closed when the connection comes back)
        files[id(dbapi_connection)] = f
        dbapi_connection.pgconn.trace(f.fileno())

    def checkin(dbapi_connection, record):  # noqa: ARG001
        f = files.pop(id(dbapi_connection), None)
        if f is None or dbapi_connection is None:
            return
        dbapi_connection.pgconn.untrace()
        f.seek(0)
        trace = f.read().decode()
        f.close()
        # Simple queries (BEGIN, COMMIT) and the statements parsed: their text as far as a line
        found = re.findall(r'\tF\t\d+\t(?:Query\t "([^"]*)"|Parse\t "[^"]*" "(.*))', trace)
        queries.extend(simple or parsed for simple, parsed in found)

    event.listen(db.engine, "checkout", checkout)
    event.listen(db.engine, "checkin", checkin)
    try:
        yield queries
    finally:
        db.session.close()  # a request in a test shares the test's session: its connection back
        event.remove(db.engine, "checkout", checkout)
        event.remove(db.engine, "checkin", checkin)


def fresh(db) -> None:
    """As a server's request finds it: the test's session holds no connection."""
    db.session.commit()
    db.session.close()


@pytest.fixture()
def reader(app, db, community):
    client = FormClient(app.test_client())
    client.login(factories.resident(db.session, community, "owner"))
    return client


def test_a_page_view_sends_no_begin_and_no_commit(db, community, reader):
    assert reader.get("/c/T01/").status_code == 200  # the first view makes the project
    fresh(db)
    with wire(db) as sent:
        assert reader.get("/c/T01/").status_code == 200
    assert sent, "the page read nothing?"
    assert "BEGIN" not in sent and "COMMIT" not in sent, sent
    with db.engine.connect() as conn:  # back in the pool out of autocommit
        assert conn.connection.dbapi_connection.autocommit is False


def test_a_page_view_that_writes_does_it_in_one_transaction(db, community, reader):
    # A vote past its closing time closes when its page is viewed: the vote locked FOR UPDATE,
    # tallied, sealed and announced, all in one transaction.
    vote = helpers.open_vote(db.session, community)
    vote.opens_at, vote.closes_at = utcnow() - timedelta(days=7), utcnow() - timedelta(minutes=1)
    vote_id = vote.id
    fresh(db)
    with wire(db) as sent:
        assert reader.get(f"/c/T01/votes/{vote_id}").status_code == 200
    words = [q.split(None, 1)[0] for q in sent]
    writes = [i for i, q in enumerate(sent) if "FOR UPDATE" in q or words[i] in WRITES]
    begin = words.index("BEGIN")
    commit = words.index("COMMIT", begin)
    assert begin < writes[0] and writes[-1] < commit, words
    assert db.session.get(Vote, vote_id).status == VoteStatus.CLOSED


def test_a_post_keeps_its_transaction_from_the_first_read(db, community, reader):
    token = reader.csrf_token()
    fresh(db)
    with wire(db) as sent:
        assert reader.post("/inbox/read-all", {"csrf_token": token}).status_code == 302
    assert sent[0] == "BEGIN", sent


@pytest.mark.parametrize(
    ("statement", "plain"),
    [
        ("SELECT 1", True),
        ("  select x from t", True),
        ("WITH a AS (SELECT 1) SELECT * FROM a", True),
        ("SELECT * FROM vote WHERE id = %(id)s FOR UPDATE", False),
        ("SELECT * FROM vote FOR NO KEY UPDATE OF vote", False),
        ("SELECT * FROM vote FOR KEY SHARE", False),
        ("SELECT * FROM vote\nFOR SHARE", False),
        ("WITH d AS (DELETE FROM t RETURNING id) SELECT * FROM d", False),
        ("INSERT INTO t VALUES (1)", False),
        ("SAVEPOINT sa_savepoint_1", False),
        ("UPDATE t SET x = 1", False),
    ],
)
def test_which_statements_begin_a_transaction(statement, plain):
    assert plain_read(statement) is plain
