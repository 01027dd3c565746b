"""Ballot-casting throughput under wrk against gunicorn on PostgreSQL, as a ratio to a bare
single-INSERT Flask route measured in the same run. See README.md.

    .venv/bin/python benchmarks/vote_cast/run.py [--owners 5000] [--duration 15] [--rounds 3]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))

SECRET = "bench-secret-not-for-production"
USER_AGENT = "wrk-bench"  # post.lua sends it; the session's Flask-Login identifier matches it
CHOICES = ("agree", "disagree", "abstain")


def log(message: str) -> None:
    print(message, flush=True)


def recreate_database(name: str, host: str, user: str) -> str:
    subprocess.run(["dropdb", "--if-exists", "-h", host, "-U", user, name], check=True)
    subprocess.run(["createdb", "-h", host, "-U", user, name], check=True)
    return f"postgresql+psycopg://{user}@{host}:5432/{name}"


def seed(url: str, owners: int) -> tuple[int, list[str], list[str]]:
    """A community of `owners` owners (one unit and one owner account each), a posted topic and
    an open vote on the whole community. Returns the vote id and the request lines for the cast
    route and for the baseline route."""
    import flask_login.utils
    from itsdangerous import URLSafeTimedSerializer
    from sqlalchemy import insert, text

    from participation import create_app
    from participation.consult.models import Topic
    from participation.core.models import (
        Building,
        Community,
        Entrance,
        Membership,
        Owner,
        Residency,
        Unit,
        User,
    )
    from participation.core.timeutil import utcnow
    from participation.extensions import db
    from participation.voting import services

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET})
    with app.app_context():
        db.create_all()
        db.session.execute(
            text(
                "CREATE TABLE bench_baseline (id bigserial PRIMARY KEY, k integer NOT NULL, "
                "choice varchar(10) NOT NULL, created_at timestamptz NOT NULL)"
            )
        )
        now = utcnow()
        comm = Community(code="BENCH", name="基准小区", name_en="Bench Estate")
        db.session.add(comm)
        db.session.flush()

        def ids(model, rows):
            table = model.__table__
            stmt = insert(table).returning(table.c.id, sort_by_parameter_order=True)
            return [r[0] for r in db.session.execute(stmt, rows)]

        n_buildings = (owners + 99) // 100
        building_ids = ids(
            Building,
            [
                {"community_id": comm.id, "name": str(b), "sort_key": f"{b:06d}"}
                for b in range(1, n_buildings + 1)
            ],
        )
        entrance_ids = ids(
            Entrance,
            [
                {"building_id": bid, "name": str(e), "sort_key": f"{e:06d}"}
                for bid in building_ids
                for e in range(1, 11)
            ],
        )
        owner_ids = ids(
            Owner,
            [
                {
                    "community_id": comm.id,
                    "key": f"K{i}",
                    "name": "",
                    "phone": "",
                    "is_developer": False,
                }
                for i in range(owners)
            ],
        )
        unit_ids = ids(
            Unit,
            [
                {
                    "community_id": comm.id,
                    "entrance_id": entrance_ids[i // 10],
                    "room": f"{i % 10 + 1}01",
                    "sort_key": f"{i % 10 + 1:06d}",
                    "area": Decimal("60.00") + Decimal(i % 50),
                    "owner_id": oid,
                }
                for i, oid in enumerate(owner_ids)
            ],
        )
        # No password hashing: the benchmark signs sessions itself; nobody logs in.
        user_ids = ids(
            User,
            [
                {
                    "phone": f"138{i:08d}",
                    "name": "",
                    "password_hash": "!",
                    "active": True,
                    "created_at": now,
                    "session_version": 1,
                }
                for i in range(owners + 1)
            ],
        )
        committee_id, owner_user_ids = user_ids[0], user_ids[1:]
        db.session.execute(
            insert(Residency.__table__),
            [
                {
                    "user_id": uid,
                    "unit_id": unit_id,
                    "community_id": comm.id,
                    "relation": "owner",
                    "status": "active",
                    "created_at": now,
                    "revoke_reason": "",
                }
                for uid, unit_id in zip(owner_user_ids, unit_ids, strict=True)
            ],
        )
        db.session.add(Membership(user_id=committee_id, community_id=comm.id, role="committee"))
        topic = Topic(
            community_id=comm.id,
            title="基准测试议题",
            body="",
            posted_at=now - timedelta(days=10),
            status="posted",
        )
        db.session.add(topic)
        db.session.flush()
        committee = db.session.get(User, committee_id)
        vote = services.create_vote(
            committee,
            topic,
            title="基准测试投票",
            question="是否同意？",
            rule="ordinary",
            opens_at=now,
            closes_at=now + timedelta(days=7),
        )
        services.open_vote(committee, vote)
        db.session.commit()
        vote_id = vote.id
        with db.engine.connect() as conn:  # as autovacuum would, before the vote is busy
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))

        serializer = app.session_interface.get_signing_serializer(app)
        csrf = URLSafeTimedSerializer(SECRET, salt="wtf-csrf-token")
        with app.test_request_context(
            environ_base={"REMOTE_ADDR": "127.0.0.1"}, headers={"User-Agent": USER_AGENT}
        ):
            identifier = flask_login.utils._create_identifier()
        cast_lines, baseline_lines = [], []
        for i, uid in enumerate(owner_user_ids):
            raw = hashlib.sha1(os.urandom(64)).hexdigest()
            cookie = serializer.dumps(
                {"_user_id": f"{uid}:1", "_fresh": True, "_id": identifier, "csrf_token": raw}
            )
            choice = CHOICES[i % 3]
            cast_lines.append(f"session={cookie}\tcsrf_token={csrf.dumps(raw)}&choice={choice}")
            baseline_lines.append(f"\tk={i}&choice={choice}")
        db.engine.dispose()
    return vote_id, cast_lines, baseline_lines


def wait_for_port(port: int, timeout: float = 30) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"nothing listens on {port}")


def serve(module: str, port: int, url: str, workers: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "BENCH_DATABASE_URL": url,
        "BENCH_SECRET_KEY": SECRET,
    }
    cmd = [
        sys.executable,
        "-m",
        "gunicorn",
        "--no-control-socket",
        # The app is imported once, before the port opens, and the workers fork from it: none
        # is still importing (seconds on a loaded machine) while wrk measures.
        "--preload",
        "--workers",
        str(workers),
        "--bind",
        f"127.0.0.1:{port}",
        "--chdir",
        str(HERE),
        "--log-level",
        "warning",
        f"{module}:app",
    ]
    proc = subprocess.Popen(cmd, env=env, start_new_session=True)
    wait_for_port(port)
    return proc


def stop(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(proc.pid, signal.SIGKILL)


TICK = os.sysconf("SC_CLK_TCK")


def _cpu_ticks(pid: int) -> tuple[int, int] | None:
    """(process group, utime + stime in clock ticks) of a process, None if it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) "
    return int(fields[2]), int(fields[11]) + int(fields[12])


def cpu_snapshot(pgid: int, db_pids: set[int]) -> dict[int, int]:
    """CPU ticks used so far by the gunicorn under test (its process group: master and
    workers) and by the PostgreSQL backends serving the benchmark's database."""
    ticks: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            got = _cpu_ticks(int(entry))
            if got and (got[0] == pgid or int(entry) in db_pids):
                ticks[int(entry)] = got[1]
    return ticks


def backend_pids(url: str) -> set[int]:
    import psycopg

    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
        ).fetchall()
    return {r[0] for r in rows}


def wrk(
    port: int, lines_file: str, path: str, seconds: int, threads: int, connections: int
) -> dict:
    cmd = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "-s",
        str(HERE / "post.lua"),
        f"http://127.0.0.1:{port}",
        "--",
        lines_file,
        str(threads),
        path,
    ]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    result = json.loads(re.search(r"^RESULT (.*)$", out, re.M).group(1))
    result["rps"] = rps
    result["wrk_cpu_s"] = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return result


def measure(
    proc: subprocess.Popen, url: str, port: int, lines: str, path: str, args: argparse.Namespace
) -> dict:
    """wrk against one route, with the CPU time the whole request path used (gunicorn's
    processes, the PostgreSQL backends, wrk): CPU ms per request does not depend on what else
    the machine runs, unlike requests/s; on a machine of its own, throughput ≈ CPUs / that."""
    db_pids = backend_pids(url)
    start = cpu_snapshot(proc.pid, db_pids)
    r = wrk(port, lines, path, args.duration, args.threads, args.connections)
    db_pids |= backend_pids(url)
    end = cpu_snapshot(proc.pid, db_pids)
    used = {pid: (t - start.get(pid, 0)) / TICK for pid, t in end.items()}
    db_s = sum(v for pid, v in used.items() if pid in db_pids)
    app_s = sum(used.values()) - db_s
    n = max(r["requests"], 1)
    r["cpu_ms_per_request"] = round((app_s + db_s + r["wrk_cpu_s"]) * 1000 / n, 3)
    r["cpu_ms_split"] = {
        "gunicorn": round(app_s * 1000 / n, 3),
        "postgres": round(db_s * 1000 / n, 3),
        "wrk": round(r["wrk_cpu_s"] * 1000 / n, 3),
    }
    return r


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--owners", type=int, default=5000)
    parser.add_argument("--duration", type=int, default=15, help="seconds per measurement")
    parser.add_argument("--rounds", type=int, default=3, help="alternating measurements each")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections")
    parser.add_argument("--db", default="gj_bench")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--user", default="postgres")
    parser.add_argument("--json", dest="json_out", help="also write the results to this file")
    args = parser.parse_args()

    log(f"creating database {args.db} and seeding {args.owners} owners …")
    url = recreate_database(args.db, args.host, args.user)
    vote_id, cast_lines, baseline_lines = seed(url, args.owners)
    tmp = Path(tempfile.mkdtemp(prefix="gj_bench_"))
    cast_file, base_file = tmp / "cast.txt", tmp / "baseline.txt"
    cast_file.write_text("\n".join(cast_lines) + "\n")
    base_file.write_text("\n".join(baseline_lines) + "\n")

    # Each round measures the baseline first and the vote page's view right after it: on a
    # shared, noisy machine the per-round ratios (and their median) are the figures to trust.
    targets = {
        "baseline": ("baseline_app", 18081, str(base_file), "/bench/insert"),
        # The vote page's own cast view (the form a phone without JS posts; answers 302).
        "cast_view": ("bench_app", 18082, str(cast_file), f"/c/BENCH/votes/{vote_id}/cast"),
        "cast": ("bench_app", 18082, str(cast_file), f"/bench/votes/{vote_id}/cast"),
        "app_floor": ("bench_app", 18082, str(cast_file), "/bench/floor"),
    }
    procs: dict[int, subprocess.Popen] = {}  # one gunicorn per app (port)
    results: dict[str, list[dict]] = {name: [] for name in targets}
    try:
        for module, port, _lines, _path in targets.values():
            if port not in procs:
                procs[port] = serve(module, port, url, args.workers)
        for _module, port, lines, path in targets.values():  # warm-up
            wrk(port, lines, path, 3, args.threads, args.connections)
        for round_no in range(1, args.rounds + 1):
            for name, (_module, port, lines, path) in targets.items():
                r = measure(procs[port], url, port, lines, path, args)
                results[name].append(r)
                log(
                    f"round {round_no} {name:9s} {r['rps']:8.1f} req/s  p50 {r['p50_ms']:.1f} ms"
                    f"  p99 {r['p99_ms']:.1f} ms  CPU {r['cpu_ms_per_request']:.2f} ms/request"
                    f" {r['cpu_ms_split']}"
                    f"  non-2xx {r['non2xx']}  socket errors {r['socket_errors']}"
                )
    finally:
        for proc in procs.values():
            stop(proc)

    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        ballots = conn.execute(text("SELECT count(*) FROM ballot")).scalar()
        events = conn.execute(text("SELECT count(*) FROM ballot_event")).scalar()
        per_owner = conn.execute(
            text("SELECT max(c) FROM (SELECT count(*) c FROM ballot GROUP BY vote_id, owner_id) t")
        ).scalar()
    engine.dispose()

    base = statistics.mean(r["rps"] for r in results["baseline"])
    cast = statistics.mean(r["rps"] for r in results["cast"])
    app_floor = statistics.mean(r["rps"] for r in results["app_floor"])
    cast_view = statistics.mean(r["rps"] for r in results["cast_view"])

    def per_round(name: str) -> list[float]:
        return [
            r["rps"] / b["rps"] for b, r in zip(results["baseline"], results[name], strict=True)
        ]

    def cpu_ratio(name: str) -> float:
        """Baseline CPU per request over this route's, median over the rounds."""
        return statistics.median(
            b["cpu_ms_per_request"] / r["cpu_ms_per_request"]
            for b, r in zip(results["baseline"], results[name], strict=True)
        )

    ratios, view_ratios, floor_ratios = (
        per_round("cast"),
        per_round("cast_view"),
        per_round("app_floor"),
    )
    errors = sum(r["non2xx"] + r["socket_errors"] for rs in results.values() for r in rs)
    summary = {
        "owners": args.owners,
        "workers": args.workers,
        "wrk": {"threads": args.threads, "connections": args.connections, "seconds": args.duration},
        "baseline_rps": round(base, 1),
        "cast_rps": round(cast, 1),
        "ratio": round(cast / base, 3),
        "ratio_per_round": [round(r, 3) for r in ratios],
        "ratio_median": round(statistics.median(ratios), 3),
        "app_floor_rps": round(app_floor, 1),
        "app_floor_ratio": round(app_floor / base, 3),
        "app_floor_ratio_median": round(statistics.median(floor_ratios), 3),
        "cast_vs_app_floor": round(cast / app_floor, 3),
        "cast_view_rps": round(cast_view, 1),
        "cast_view_ratio": round(cast_view / base, 3),
        "cast_view_ratio_per_round": [round(r, 3) for r in view_ratios],
        "cast_view_ratio_median": round(statistics.median(view_ratios), 3),
        "cpu_ms_per_request_median": {
            name: round(statistics.median(r["cpu_ms_per_request"] for r in rs), 3)
            for name, rs in results.items()
        },
        "cpu_ratio_median": {
            name: round(cpu_ratio(name), 3) for name in ("cast_view", "cast", "app_floor")
        },
        "errors": errors,
        "ballots": ballots,
        "ballot_events": events,
        "max_ballots_per_owner": per_owner,
        "rounds": results,
    }

    def rounds(values: list[float]) -> str:
        return ", ".join(f"{r:.3f}" for r in values)

    log(
        f"\nbaseline (one INSERT) {base:.1f} req/s; target ≥ 0.5 of it; errors {errors}; "
        f"{ballots} ballots, {events} log events, at most {per_owner} ballot per owner\n"
        f"the vote page's cast view {cast_view:.1f} req/s = {cast_view / base:.3f} of the "
        f"baseline (per round {rounds(view_ratios)}; median "
        f"{statistics.median(view_ratios):.3f})\n"
        f"casting through the engine (bench route) {cast:.1f} req/s = {cast / base:.3f} "
        f"(per round {rounds(ratios)}; median {statistics.median(ratios):.3f})\n"
        f"app floor (one INSERT through the whole app) {app_floor:.1f} req/s = "
        f"{app_floor / base:.3f} of the baseline (median {statistics.median(floor_ratios):.3f})\n"
        f"CPU per request (gunicorn + PostgreSQL + wrk), baseline / route, median: cast view "
        f"{cpu_ratio('cast_view'):.3f}, engine {cpu_ratio('cast'):.3f}, app floor "
        f"{cpu_ratio('app_floor'):.3f}"
    )
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
