"""The ballot cast's SQL, counted (not timed: benchmarks/vote_cast measures the throughput).
Casting is the busiest write of the app; these tests keep its round trips from creeping back.

On PostgreSQL an owner's cast from the vote page is one statement (the account as the signed
session names it, the vote's state, the electorate, the upsert and the log event together), in
autocommit, so there is no BEGIN or COMMIT round trip either, and no SELECT of the user;
services.cast_ballot is one statement. Everything the fast path
does not cast (a refusal, a proxy, an owner of two electors who did not pick one) falls back to
the explained path, whose answers are checked here on both databases."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import event, func, select, update

from participation.core.models import Residency, User
from participation.core.timeutil import utcnow
from participation.voting import services
from participation.voting.models import Ballot, BallotEvent, Vote
from tests.conftest import ON_POSTGRES
from tests.voting.view_fixtures import HX, ballots, flashes, text


@contextmanager
def recorded(db) -> Iterator[list[tuple[str, bool | None]]]:
    """Every statement sent, with whether its connection was in autocommit (PostgreSQL)."""
    rows: list[tuple[str, bool | None]] = []

    def before(conn, cursor, statement, parameters, context, executemany):  # noqa: ARG001
        dbapi = conn.connection.dbapi_connection
        rows.append((" ".join(statement.split()), dbapi.autocommit if ON_POSTGRES else None))

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield rows
    finally:
        event.remove(db.engine, "before_cursor_execute", before)


def events(vote_id: int) -> int:
    return services.db.session.scalar(
        select(func.count(BallotEvent.id)).where(BallotEvent.vote_id == vote_id)
    )


def post_cast(db, client, vote_id: int, data: dict, headers=None):
    """A cast as a server sees it: a new request whose session has nothing loaded yet."""
    data = {**data, "csrf_token": client.csrf_token()}
    db.session.commit()
    db.session.expunge_all()  # the test's objects would spare the user's SELECT
    with recorded(db) as rows:
        resp = client.post(f"/c/T01/votes/{vote_id}/cast", data, headers=headers or {})
    return resp, rows


def test_an_owners_cast_from_the_vote_page_is_one_statement(db, as_user, people, vote, units):
    client, vote_id, owner_id = as_user(people["owner"]), vote.id, units[0].owner_id
    for choice in ("agree", "disagree"):  # a first cast, then a change: the same statements
        resp, rows = post_cast(db, client, vote_id, {"choice": choice})
        assert resp.status_code == 302
        assert resp.headers["Location"].endswith(
            f"/c/T01/votes/{vote_id}?cast={owner_id}#b{owner_id}"
        )
        if ON_POSTGRES:
            [(sql, autocommit)] = rows
            assert 'JOIN "user" account' in sql  # the session's account, checked in the statement
            assert "INSERT INTO ballot " in sql and "INSERT INTO ballot_event" in sql
            assert autocommit  # no BEGIN, no COMMIT round trip
        else:  # SQLite: the explained path (user, vote, roles, options, upsert, log event)
            assert len(rows) == 6, rows
    ballot = db.session.scalar(select(Ballot).where(Ballot.vote_id == vote_id))
    assert (ballot.owner_id, ballot.choice, ballot.previous_choice) == (
        owner_id,
        "disagree",
        "agree",
    )
    assert (ballot.channel, ballot.changes, events(vote_id)) == ("online", 1, 2)
    page = text(client.get(resp.headers["Location"]))
    assert ballot.receipt_display in " ".join(flashes(page))


def test_the_service_casts_in_one_statement(db, people, vote, units):
    assert vote.id and people["owner"].id  # loaded before counting
    with recorded(db) as rows:
        first = services.cast_ballot(people["owner"], vote, "agree")
        second = services.cast_ballot(people["owner"], vote, "abstain")
    db.session.commit()
    assert len(rows) == (2 if ON_POSTGRES else 6), rows  # SQLite: options, upsert, event each
    assert (first.changed, second.changed, second.previous_choice) == (False, True, "agree")
    assert first.receipt == second.receipt and events(vote.id) == 2


def test_an_htmx_cast_reads_a_bounded_number_of_statements(db, as_user, people, vote, units):
    client, vote_id = as_user(people["owner"]), vote.id
    counts = []
    for choice in ("agree", "abstain"):
        resp, rows = post_cast(db, client, vote_id, {"choice": choice}, HX)
        assert resp.status_code == 200 and "Your vote is recorded:" in text(resp)
        counts.append(len(rows))
    # The cast as above, then the fragment: vote, roles, options, electors with their ballots,
    # homes, history, and the options again for the change buttons.
    assert counts == [9, 9] if ON_POSTGRES else counts == [13, 13], counts


def test_a_cast_after_the_closing_time_closes_the_vote_and_says_so(db, as_user, people, vote):
    db.session.execute(
        update(Vote)
        .where(Vote.id == vote.id)
        .values(opens_at=utcnow() - timedelta(days=6), closes_at=utcnow() - timedelta(minutes=1))
    )
    client, vote_id = as_user(people["owner"]), vote.id
    resp, _rows = post_cast(db, client, vote_id, {"choice": "agree"})
    assert resp.status_code == 302
    vote = db.session.get(Vote, vote_id)
    assert vote.status == "closed" and ballots(vote) == 0
    assert "This vote has closed." in flashes(text(client.get(resp.headers["Location"])))


def test_an_owner_of_two_electors_picks_one(db, as_user, people, vote, units):
    owner = people["owner2"]  # 1-1-201's owner; now also linked as owner of 2-1-101 (another)
    db.session.add(
        Residency(
            user_id=owner.id,
            unit_id=units[8].id,
            community_id=units[8].community_id,
            relation="owner",
            status="active",
        )
    )
    client, vote_id, owner_id, other = as_user(owner), vote.id, owner.id, units[8].owner_id
    resp, _rows = post_cast(db, client, vote_id, {"choice": "agree"})
    message = " ".join(flashes(text(client.get(resp.headers["Location"]))))
    assert "Please choose which owner you are voting for." in message
    assert db.session.scalar(select(func.count(Ballot.id))) == 0
    resp, rows = post_cast(db, client, vote_id, {"choice": "agree", "owner": other})
    assert resp.headers["Location"].endswith(f"#b{other}")
    assert len(rows) == (1 if ON_POSTGRES else 6)
    ballot = db.session.scalar(select(Ballot))
    assert (ballot.owner_id, ballot.channel, ballot.cast_by_user_id) == (other, "online", owner_id)


def test_a_proxy_and_a_tenant_take_the_explained_path(db, as_user, people, vote, units):
    family = people["family"]
    services.record_proxy(people["committee"], vote, units[2].owner_id, family, "委托书已核")
    vote_id, owner_id, family_id = vote.id, units[2].owner_id, family.id
    tenant = as_user(people["tenant"])
    resp, _rows = post_cast(db, as_user(family), vote_id, {"choice": "agree", "owner": owner_id})
    assert resp.status_code == 302
    ballot = db.session.scalar(select(Ballot))
    assert (ballot.owner_id, ballot.channel, ballot.cast_by_user_id) == (
        owner_id,
        "proxy",
        family_id,
    )
    resp, _rows = post_cast(db, tenant, vote_id, {"choice": "agree"})
    assert "Only owners vote" in " ".join(flashes(text(tenant.get(resp.headers["Location"]))))
    assert db.session.scalar(select(func.count(Ballot.id))) == 1


def test_the_cast_checks_the_sessions_account_as_the_login_does(db, as_user, people, vote, units):
    """The statement reads the account from the signed session instead of loading the user: a
    session logged out everywhere (its version bumped) or of a deactivated account casts
    nothing and is sent to log in, as with a loaded user."""
    owner = people["owner"]
    client, vote_id, user_id, owner_id = as_user(owner), vote.id, owner.id, units[0].owner_id
    db.session.execute(update(User).where(User.id == user_id).values(session_version=2))
    resp, _rows = post_cast(db, client, vote_id, {"choice": "agree"})
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    assert db.session.scalar(select(func.count(Ballot.id))) == 0

    client = as_user(db.session.get(User, user_id))  # a new session, version 2
    db.session.execute(update(User).where(User.id == user_id).values(active=False))
    resp, _rows = post_cast(db, client, vote_id, {"choice": "agree"})
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    assert db.session.scalar(select(func.count(Ballot.id))) == 0

    db.session.execute(update(User).where(User.id == user_id).values(active=True))
    resp, _rows = post_cast(db, client, vote_id, {"choice": "agree"})
    assert resp.headers["Location"].endswith(f"/c/T01/votes/{vote_id}?cast={owner_id}#b{owner_id}")
    assert resp.headers["Cache-Control"] == "no-store"
    assert db.session.scalar(select(func.count(Ballot.id))) == 1


def test_a_session_from_another_browser_still_casts_through_the_login(db, as_user, people, vote):
    """Flask-Login's session protection looks at sessions whose client changed: the fast path
    leaves those to it (the cast still goes through, by the explained path)."""
    client, vote_id = as_user(people["owner"]), vote.id
    resp, rows = post_cast(
        db, client, vote_id, {"choice": "agree"}, headers={"User-Agent": "another phone"}
    )
    assert resp.status_code == 302 and "#b" in resp.headers["Location"]
    assert db.session.scalar(select(func.count(Ballot.id))) == 1
    if ON_POSTGRES:  # the user was loaded: a SELECT before the statement
        assert len(rows) == 2 and rows[0][0].startswith('SELECT "user".id'), rows
