"""City dashboard benchmark: 555 communities and ~500,000 units in PostgreSQL, the dashboard's
latency as a ratio to a trivial page (/healthz) measured in the same run (target ≤ 5×).

    .venv/bin/python benchmarks/city_dashboard/run.py [--communities 555] [--units-per 900]
        [--duration 10] [--rounds 2] [--workers N] [--connections 4] [--db gj_city_bench]

The database is DROPPED and re-created. See README.md here.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))
SECRET = "bench-secret-not-for-production"
DISTRICTS = ["海曙区", "江北区", "鄞州区", "镇海区", "北仑区", "奉化区", "余姚市", "慈溪市"]
STEP_KEYS = ("consult", "plan", "pledge", "build", "share")


def psql(dbname: str, sql: str, host: str, user: str) -> None:
    subprocess.run(
        ["psql", "-h", host, "-U", user, "-d", dbname, "-v", "ON_ERROR_STOP=1", "-q", "-c", sql],
        check=True,
    )


def seed(url: str, communities: int, units_per: int) -> tuple[int, float]:
    """Schema and data; returns (units written, seconds)."""
    import psycopg

    from participation import create_app
    from participation.extensions import db

    started = time.perf_counter()
    app = create_app(SQLALCHEMY_DATABASE_URI=url, SECRET_KEY=SECRET)
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    rng = random.Random(555)
    now = datetime.now(UTC)
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    per_entrance = 20
    entrances_per_building = 3
    buildings = max(1, units_per // (per_entrance * entrances_per_building))
    with psycopg.connect(dsn) as conn, conn.cursor() as cur:
        with cur.copy(
            "COPY community (id, code, name, name_en, district, address, created_at) FROM STDIN"
        ) as cp:
            for c in range(1, communities + 1):
                cp.write_row(
                    (
                        c,
                        f"C{c:04d}",
                        f"小区{c:04d}",
                        f"Estate {c:04d}",
                        DISTRICTS[c % len(DISTRICTS)],
                        "",
                        now,
                    )
                )
        unit_id = building_id = entrance_id = 0
        with cur.copy("COPY building (id, community_id, name, sort_key) FROM STDIN") as cp:
            for c in range(1, communities + 1):
                for b in range(1, buildings + 1):
                    building_id += 1
                    cp.write_row((building_id, c, str(b), f"{b:06d}"))
        with cur.copy("COPY entrance (id, building_id, name, sort_key) FROM STDIN") as cp:
            for b in range(1, building_id + 1):
                for e in range(1, entrances_per_building + 1):
                    entrance_id += 1
                    cp.write_row((entrance_id, b, str(e), f"{e:06d}"))
        total_units = communities * buildings * entrances_per_building * per_entrance
        with cur.copy(
            "COPY owner (id, community_id, key, name, phone, is_developer) FROM STDIN"
        ) as cp:
            for o in range(1, total_units + 1):
                c = (o - 1) // (buildings * entrances_per_building * per_entrance) + 1
                cp.write_row((o, c, f"O{o}", "", "", False))
        with cur.copy(
            "COPY unit (id, community_id, entrance_id, room, sort_key, area, owner_id) FROM STDIN"
        ) as cp:
            for e in range(1, entrance_id + 1):
                c = (e - 1) // (buildings * entrances_per_building) + 1
                for n in range(per_entrance):
                    unit_id += 1
                    room = f"{n // 2 + 1}{n % 2 + 1:02d}"
                    area = Decimal(5000 + rng.randrange(4000)) / 100
                    cp.write_row((unit_id, c, e, room, room.zfill(6), area, unit_id))

        # Projects at every step, a closed willingness vote where step 1 is done, ratings in step 5.
        steps_of = {
            c: rng.choice([0, 1, 1, 2, 2, 3, 3, 4, 4, 4, 5, 5, 6])
            for c in range(1, communities + 1)
        }
        with cur.copy("COPY project (id, community_id, title, created_at) FROM STDIN") as cp:
            for c in range(1, communities + 1):
                cp.write_row((c, c, "综合改造", now))
        with cur.copy(
            "COPY project_step (project_id, key, position, state, started_at, finished_at) FROM STDIN"
        ) as cp:
            for c, step in steps_of.items():
                for p, key in enumerate(STEP_KEYS, start=1):
                    state = (
                        "done" if p < step or step == 6 else "active" if p == step else "pending"
                    )
                    cp.write_row(
                        (
                            c,
                            key,
                            p,
                            state,
                            now if state != "pending" else None,
                            now if state == "done" else None,
                        )
                    )
        per = buildings * entrances_per_building * per_entrance
        voted = [c for c, s in steps_of.items() if s >= 2]
        with cur.copy(
            "COPY topic (id, community_id, title, body, posted_at, notice_days, status, created_at) FROM STDIN"
        ) as cp:
            for c in voted:
                cp.write_row((c, c, "改造意愿", "", now - timedelta(days=300), 7, "posted", now))
        with cur.copy(
            "COPY vote (id, community_id, topic_id, title, question, rule, scope_kind, scope_ids, opens_at, closes_at, "
            "turnout_public, auto_open, status, opened_at, closed_at, closed_early_reason, electorate_owners, "
            "electorate_units, electorate_area_cents, final_hash, result, result_notice_days, created_at, updated_at) FROM STDIN"
        ) as cp:
            for c in voted:
                part = per * rng.randrange(680, 950) // 1000
                result = {
                    "rule": "ordinary",
                    "electorate": {"owners": per, "units": per, "area": "60000.00"},
                    "participation": {"owners": part, "units": part, "area": "45000.00"},
                    "agree": {
                        "owners": part * 9 // 10,
                        "units": part * 9 // 10,
                        "area": "40000.00",
                    },
                    "passed": True,
                }
                cp.write_row(
                    (
                        c,
                        c,
                        c,
                        "改造意愿表决",
                        "?",
                        "ordinary",
                        "community",
                        "[]",
                        now - timedelta(days=290),
                        now - timedelta(days=280),
                        False,
                        False,
                        "closed",
                        now - timedelta(days=290),
                        now - timedelta(days=280),
                        "",
                        per,
                        per,
                        6000000,
                        "0" * 64,
                        json.dumps(result),
                        7,
                        now,
                        now,
                    )
                )
        rated = [c for c, s in steps_of.items() if s >= 5]
        rating_id = 0
        with cur.copy("COPY rating_round (id, community_id, opens_at, closes_at) FROM STDIN") as cp:
            for c in rated:
                cp.write_row((c, c, now - timedelta(days=40), now - timedelta(days=20)))
        with cur.copy(
            "COPY rating (id, round_id, unit_id, overall, comment, created_at, updated_at, changes) FROM STDIN"
        ) as cp:
            for c in rated:
                first = (c - 1) * per + 1
                for u in range(first, first + per * 2 // 3):
                    rating_id += 1
                    cp.write_row(
                        (rating_id, c, u, rng.choice([5, 5, 4, 4, 4, 3, 2, 1]), "", now, now, 0)
                    )
        # The city account.
        from werkzeug.security import generate_password_hash

        cur.execute(
            'INSERT INTO "user" (id, phone, name, password_hash, active, created_at, session_version) '
            "VALUES (1, '13900000000', 'city', %s, true, now(), 1)",
            (generate_password_hash("x", method="pbkdf2:sha256:1000"),),
        )
        cur.execute(
            "INSERT INTO membership (user_id, community_id, role, title, created_at) VALUES (1, NULL, 'city', '', now())"
        )
        for table in (
            "community",
            "building",
            "entrance",
            "owner",
            "unit",
            "project",
            "topic",
            "vote",
            "rating_round",
            "rating",
            '"user"',
        ):
            cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
            )
        conn.commit()
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return unit_id, time.perf_counter() - started


def session_cookie(url: str) -> str:
    import flask_login

    from participation import create_app

    app = create_app(SQLALCHEMY_DATABASE_URI=url, SECRET_KEY=SECRET)
    with app.test_request_context(environ_base={"REMOTE_ADDR": "127.0.0.1"}):
        identifier = flask_login.utils._create_identifier()
    serializer = app.session_interface.get_signing_serializer(app)
    return serializer.dumps({"_user_id": "1:1", "_fresh": True, "_id": identifier})


def wait_for_port(port: int, timeout: float = 30) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"nothing listens on {port}")


def serve(url: str, port: int, workers: int, target: str = "app:app") -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": SECRET, "PYTHONPATH": str(ROOT)}
    cmd = [
        sys.executable,
        "-m",
        "gunicorn",
        "--no-control-socket",
        "--preload",
        "--workers",
        str(workers),
        "--bind",
        f"127.0.0.1:{port}",
        "--chdir",
        str(ROOT if target == "app:app" else HERE),
        "--log-level",
        "warning",
        target,
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


def _ms(text: str) -> float:
    value, unit = re.match(r"([\d.]+)(us|ms|s)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(port: int, path: str, cookie: str, seconds: int, connections: int) -> dict:
    cmd = [
        "wrk",
        "-t2",
        f"-c{connections}",
        f"-d{seconds}s",
        "--latency",
        "-H",
        f"Cookie: session={cookie}",
        f"http://127.0.0.1:{port}{path}",
    ]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    avg = _ms(re.search(r"Latency\s+(\S+)", out).group(1))
    p50 = _ms(re.search(r"50%\s+(\S+)", out).group(1))
    p99 = _ms(re.search(r"99%\s+(\S+)", out).group(1))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "avg_ms": avg,
        "p50_ms": p50,
        "p99_ms": p99,
        "rps": rps,
        "non2xx": int(bad.group(1)) if bad else 0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--communities", type=int, default=555)
    parser.add_argument("--units-per", type=int, default=900)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--db", default="gj_city_bench")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--user", default="postgres")
    parser.add_argument("--port", type=int, default=18091)
    parser.add_argument("--json", dest="json_out")
    parser.add_argument("--reuse", action="store_true", help="keep the database of an earlier run")
    args = parser.parse_args()

    url = f"postgresql+psycopg://{args.user}@{args.host}:5432/{args.db}"
    if args.reuse:
        units = int(
            subprocess.run(
                [
                    "psql",
                    "-h",
                    args.host,
                    "-U",
                    args.user,
                    "-d",
                    args.db,
                    "-tAc",
                    "SELECT count(*) FROM unit",
                ],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
        )
        # Start from no summary, as after a deployment.
        psql(args.db, "DELETE FROM city_summary", args.host, args.user)
    else:
        psql("postgres", f"DROP DATABASE IF EXISTS {args.db}", args.host, args.user)
        psql("postgres", f"CREATE DATABASE {args.db}", args.host, args.user)
        units, seconds = seed(url, args.communities, args.units_per)
        print(f"seeded {args.communities} communities, {units} units in {seconds:.1f} s")
    cookie = session_cookie(url)
    results: dict[str, list[dict]] = {"trivial": [], "dashboard": [], "dashboard_uncached": []}
    servers = {
        "app": serve(url, args.port, args.workers),
        "nocache": serve(url, args.port + 1, args.workers, "nocache_app:app"),
    }
    try:
        import urllib.request

        request = urllib.request.Request(
            f"http://127.0.0.1:{args.port}/city/", headers={"Cookie": f"session={cookie}"}
        )
        t0 = time.perf_counter()
        with urllib.request.urlopen(request) as resp:
            body = resp.read()
            assert resp.status == 200 and body.count(b"<tr") >= 50, "dashboard not served"
        print(
            f"first dashboard view (computes the summary): {(time.perf_counter() - t0) * 1000:.0f} ms, {len(body)} bytes"
        )
        for port, path in (
            (args.port, "/healthz"),
            (args.port, "/city/"),
            (args.port + 1, "/city/"),
        ):
            wrk(port, path, cookie, 3, args.connections)  # warm-up
        for _ in range(args.rounds):
            results["trivial"].append(
                wrk(args.port, "/healthz", cookie, args.duration, args.connections)
            )
            results["dashboard"].append(
                wrk(args.port, "/city/", cookie, args.duration, args.connections)
            )
            results["dashboard_uncached"].append(
                wrk(args.port + 1, "/city/", cookie, args.duration, args.connections)
            )
    finally:
        for proc in servers.values():
            stop(proc)
    mean = {k: sum(r["avg_ms"] for r in v) / len(v) for k, v in results.items()}
    median = {k: sorted(r["p50_ms"] for r in v)[len(v) // 2] for k, v in results.items()}
    ratio = mean["dashboard"] / mean["trivial"]
    for name, rows in results.items():
        for r in rows:
            print(
                f"{name:9} avg {r['avg_ms']:7.2f} ms  p50 {r['p50_ms']:7.2f}  p99 {r['p99_ms']:7.2f}  {r['rps']:8.1f} req/s  non-2xx {r['non2xx']}"
            )
    print(
        f"latency ratio dashboard / trivial page: {ratio:.2f} (target ≤ 5), by p50 {median['dashboard'] / median['trivial']:.2f}"
    )
    uncached = mean["dashboard_uncached"] / mean["trivial"]
    print(
        f"render cache off: {uncached:.2f}, by p50 {median['dashboard_uncached'] / median['trivial']:.2f}"
    )
    if args.json_out:
        Path(args.json_out).write_text(
            json.dumps(
                {"results": results, "ratio": ratio, "ratio_uncached": uncached, "units": units},
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
