"""Faults under a real deployment: gunicorn (deploy/gunicorn.conf.py) on a throw-away
PostgreSQL cluster (tests/ops/cluster.py, its own port: the shared server is never touched).

1. A worker is killed with SIGKILL in the middle of a stream of writes: every write the client
   saw acknowledged is in the database exactly once, none is doubled, and the app keeps serving
   (the master replaces the worker).
2. PostgreSQL restarts under the running app: it recovers by itself (core/pool.py drops the
   dead connections at checkout), with no restart of gunicorn.

Write streams are classes with `prepare` (data in the database), `write` (one HTTP request, the
acknowledgement's key or None) and `verify` (the database against what was acknowledged); a new
kind of write (issue reports) is one more class in STREAMS. Streams today: ballots cast, money
pledged (with the form's one-time token).
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from participation import create_app
from participation.config import TestConfig
from participation.extensions import db as _db
from tests import factories
from tests.ops.cluster import Browser, Cluster, Gunicorn, get

pytestmark = pytest.mark.postgres

CHOICES = ("agree", "disagree", "abstain")


@dataclass
class Ack:
    key: object  # what identifies the write (e.g. the owner whose ballot was cast)
    value: object  # what was written


@dataclass
class BallotStream:
    """Residents cast their own ballot (each once) in an open vote, through the vote page's
    form: POST /c/<code>/votes/<id>/cast answered 302 is an acknowledged ballot."""

    name = "ballots"
    owners: int = 48
    jobs: list[tuple[str, int, str]] = field(default_factory=list)  # (phone, owner id, choice)
    vote_id: int = 0
    code: str = "FLT"

    def prepare(self, session) -> None:
        from tests.voting import helpers as vh

        comm = factories.community(
            session,
            code=self.code,
            buildings=3,
            entrances=2,
            per_entrance=8,
            area=Decimal("70.00"),
        )
        from participation.core.models import Unit

        units = session.scalars(
            select(Unit).where(Unit.community_id == comm.id).order_by(Unit.id)
        ).all()
        first_unit: dict[int, Unit] = {}
        for unit in units:
            first_unit.setdefault(unit.owner_id, unit)
        vote = vh.open_vote(session, comm)
        self.vote_id = vote.id
        for i, (owner_id, unit) in enumerate(sorted(first_unit.items())[: self.owners]):
            user = factories.resident(session, comm, "owner", unit)
            self.jobs.append((user.phone, owner_id, CHOICES[i % 3]))

    def items(self) -> Iterator[tuple[str, int, str]]:
        return iter(self.jobs)

    def write(self, browser: Browser, item) -> Ack | None:
        _phone, owner_id, choice = item
        status, headers, _ = browser.request(
            f"/c/{self.code}/votes/{self.vote_id}/cast",
            {"choice": choice, "csrf_token": browser.token},
        )
        if status == 302 and f"#b{owner_id}" in headers.get("Location", ""):
            return Ack(owner_id, choice)
        assert status in (0, 500, 502, 503), f"cast answered {status}"
        return None

    def verify(self, session, acked: list[Ack]) -> None:
        from participation.voting.models import Ballot, BallotEvent

        ballots = session.execute(
            select(Ballot.owner_id, Ballot.choice, Ballot.changes).where(
                Ballot.vote_id == self.vote_id
            )
        ).all()
        by_owner: dict[int, list] = {}
        for owner_id, choice, changes in ballots:
            by_owner.setdefault(owner_id, []).append((choice, changes))
        events = dict(
            session.execute(
                select(BallotEvent.owner_id, func.count())
                .where(BallotEvent.vote_id == self.vote_id)
                .group_by(BallotEvent.owner_id)
            ).all()
        )
        for ack in acked:
            assert by_owner.get(ack.key) == [(ack.value, 0)], f"owner {ack.key}"
            assert events.get(ack.key) == 1, f"owner {ack.key}: {events.get(ack.key)} events"
        # A write cut off by the kill may have committed or not, but never twice.
        assert all(len(v) == 1 and v[0][1] == 0 for v in by_owner.values())
        assert all(n == 1 for n in events.values())


@dataclass
class PledgeStream:
    """Residents pledge money for their home through the real pledge page: GET the page (its
    money form carries a fresh one-time token), POST it; a 302 to the new pledge's anchor is an
    acknowledged pledge. A request cut off by the kill is sent again once with the same form
    (what a resident does after an error page), so the token is what keeps it single."""

    name = "pledges"
    residents: int = 40
    jobs: list[tuple[str, str]] = field(default_factory=list)  # (phone, amount)
    code: str = "FLP"
    community_id: int = 0
    resent: int = 0  # forms sent again after a cut-off (same token)

    def prepare(self, session) -> None:
        from participation.core.models import Unit

        comm = factories.community(
            session, code=self.code, buildings=3, entrances=2, per_entrance=8, area=Decimal("60")
        )
        self.community_id = comm.id
        factories.adopted_plan(session, comm)
        factories.current_step(session, comm, "pledge")
        units = session.scalars(
            select(Unit).where(Unit.community_id == comm.id).order_by(Unit.id)
        ).all()
        first_unit: dict[int, Unit] = {}
        for unit in units:
            first_unit.setdefault(unit.owner_id, unit)
        for i, (_owner, unit) in enumerate(sorted(first_unit.items())[: self.residents]):
            user = factories.resident(session, comm, "owner", unit)
            self.jobs.append((user.phone, f"{100 + i}.50"))

    def items(self) -> Iterator[tuple[str, str]]:
        return iter(self.jobs)

    @staticmethod
    def _hidden(page: str, name: str) -> str | None:
        import re

        m = re.search(rf'name="{name}"[^>]*value="([^"]*)"', page) or re.search(
            rf'value="([^"]*)"[^>]*name="{name}"', page
        )
        return m.group(1) if m else None

    def write(self, browser: Browser, item) -> Ack | None:
        _phone, amount = item
        form = None
        for _attempt in range(2):
            status, _, page = browser.request(f"/c/{self.code}/pledge/")
            if status == 200:
                form = {
                    f"money-{n}": self._hidden(page, f"money-{n}")
                    for n in ("csrf_token", "token", "kind", "unit_id")
                }
                break
            assert status in (0, 500, 502, 503), f"pledge page answered {status}"
        if form is None:
            return None
        assert all(form.values()), form
        data = {**form, "money-amount": amount}
        for attempt in range(2):  # the same form again after a cut-off: same token
            self.resent += attempt
            status, headers, _ = browser.request(f"/c/{self.code}/pledge/", data)
            if status == 302 and "#pledge-" in headers.get("Location", ""):
                return Ack(form["money-token"], Decimal(amount))
            assert status in (0, 500, 502, 503), f"pledge answered {status}"
        return None

    def verify(self, session, acked: list[Ack]) -> None:
        from participation.core.models import AuditEntry
        from participation.pledge.models import Pledge

        rows = session.execute(
            select(Pledge.id, Pledge.token, Pledge.user_id, Pledge.amount).where(
                Pledge.community_id == self.community_id
            )
        ).all()
        by_token: dict[str, list] = {}
        by_user: dict[int, int] = {}
        for _id, token, user_id, amount in rows:
            by_token.setdefault(token, []).append(Decimal(amount))
            by_user[user_id] = by_user.get(user_id, 0) + 1
        for ack in acked:
            assert by_token.get(ack.key) == [ack.value], (
                f"pledge {ack.key}: {by_token.get(ack.key)}"
            )
        # Each resident sent one form (one token): never two pledges, acknowledged or not.
        assert all(n == 1 for n in by_user.values()), by_user
        audits = dict(
            session.execute(
                select(AuditEntry.target_id, func.count())
                .where(AuditEntry.action == "pledge.make")
                .group_by(AuditEntry.target_id)
            ).all()
        )
        assert all(audits.get(str(pid)) == 1 for pid, *_ in rows), audits


STREAMS = [BallotStream, PledgeStream]


@pytest.fixture(scope="module")
def cluster():
    c = Cluster().init()
    c.start()
    yield c
    c.destroy()


def _database(cluster: Cluster, name: str):
    """A fresh database on the throw-away cluster, its schema, and an app bound to it."""
    import psycopg

    with psycopg.connect(
        f"postgresql://postgres@127.0.0.1:{cluster.port}/postgres", autocommit=True
    ) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=cluster.url(name))
    with app.app_context():
        _db.create_all()
    return app


def _logged_in(base: str, items) -> dict:
    """A logged-in browser per item, logging in from 6 threads."""
    from concurrent.futures import ThreadPoolExecutor

    def login(item):
        b = Browser(base)
        b.login(item[0], factories.PASSWORD)
        return item, b

    with ThreadPoolExecutor(6) as pool:
        return dict(pool.map(login, items))


def test_sigkill_of_a_worker_loses_and_doubles_no_acknowledged_write(cluster):
    app = _database(cluster, "faults_kill")
    streams = [cls() for cls in STREAMS]
    with app.app_context():
        for s in streams:
            s.prepare(_db.session)
        _db.session.remove()
        _db.engine.dispose()
    server = Gunicorn(cluster.url("faults_kill"), workers=2).start()
    try:
        work = []
        for s in streams:
            items = list(s.items())
            browsers = _logged_in(server.base, items)
            work += [(s, browsers[item], item) for item in items]
        acked: dict[str, list[Ack]] = {s.name: [] for s in streams}
        lost, crashed = [], []
        lock = threading.Lock()
        queue = list(reversed(work))
        killed: list[int] = []
        kill_after = len(work) // 3

        def client() -> None:
            try:
                while True:
                    with lock:
                        if not queue:
                            return
                        stream, browser, item = queue.pop()
                    ack = stream.write(browser, item)
                    with lock:
                        (lost if ack is None else acked[stream.name]).append(ack or item)
            except Exception as exc:  # reported by the test, not lost in a thread
                crashed.append(repr(exc))

        def killer() -> None:
            # After a third and after two thirds, SIGKILL a worker caught holding a client's
            # connection: the kill lands in the middle of a request, not between two.
            for threshold in (kill_after, 2 * kill_after):
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline:
                    with lock:
                        done = sum(len(v) for v in acked.values()) + len(lost)
                        remaining = len(queue)
                    if done >= threshold or not remaining:
                        busy = [p for p in server.busy_workers() if p not in killed]
                        if busy or not remaining:
                            victim = (busy or server.workers())[0]
                            os.kill(victim, signal.SIGKILL)
                            killed.append(victim)
                            break
                    time.sleep(0.001)

        threads = [threading.Thread(target=client) for _ in range(6)]
        threads.append(threading.Thread(target=killer))
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert not crashed, crashed
        assert killed, "no worker was killed"
        # The master replaced the killed worker and the app serves on.
        server.wait_workers(60)
        assert not set(killed) & set(server.workers())
        assert get(server.base + "/healthz")[0] == 200
        total = sum(len(v) for v in acked.values())
        print(
            f"writes: {len(work)}, workers killed {len(killed)}, acknowledged {total}, "
            f"cut off by the kills {len(lost)}; "
            + ", ".join(f"{s.name} {len(acked[s.name])}/{len(s.jobs)}" for s in streams)
            + "; pledge forms sent again: "
            + str(sum(getattr(s, "resent", 0) for s in streams))
        )
        assert total >= len(work) // 2, (total, len(lost))
        assert "Traceback" not in server.output()
    finally:
        server.stop()
    with app.app_context():
        for s in streams:
            s.verify(_db.session, acked[s.name])
        _db.session.remove()
        _db.engine.dispose()


def test_the_app_recovers_by_itself_when_postgresql_restarts(cluster):
    app = _database(cluster, "faults_restart")
    stream = BallotStream(owners=6)
    with app.app_context():
        stream.prepare(_db.session)
        _db.session.remove()
        _db.engine.dispose()
    server = Gunicorn(cluster.url("faults_restart"), workers=2).start()
    try:
        items = list(stream.items())
        browsers = _logged_in(server.base, items)
        # Every worker holds pooled connections before the restart.
        for _ in range(8):
            assert get(server.base + "/healthz")[0] == 200

        cluster.stop("fast")
        status, _ = get(server.base + "/healthz")
        assert status == 500  # a clear error page while the database is away, no hang
        cluster.start()

        # The first requests after the restart succeed: no stale connection reaches a view.
        for _ in range(8):
            assert get(server.base + "/healthz")[0] == 200
        acked = [stream.write(browsers[item], item) for item in items]
        assert all(acked), acked
        assert "OperationalError" in server.output()  # from the request while it was down
    finally:
        server.stop()
    with app.app_context():
        stream.verify(_db.session, acked)
        _db.session.remove()
        _db.engine.dispose()
