"""A realistic mix under wrk against gunicorn on PostgreSQL (residents reading pages and casting
ballots, staff answering issues), as ratios to a bare Flask baseline measured in the same run,
with every write accounted for afterwards. See README.md.

    .venv/bin/python benchmarks/load_mix/run.py [--duration 10] [--rounds 3] [--workers N]
        [--connections 8] [--db gj_load_mix] [--json out.json]

The database --db is DROPPED, re-created, and dropped again at the end (--keep-db to keep it).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))

# Shared with the ballot benchmark: database creation, the owners and their open vote (with a
# signed session and CSRF token per owner), gunicorn start/stop.
from benchmarks.vote_cast import run as vote_cast  # noqa: E402

SECRET = vote_cast.SECRET
USER_AGENT = vote_cast.USER_AGENT
APP = "benchmarks.load_mix.app_under_test"
BASELINE = "benchmarks.load_mix.baseline_app"

# Who does what, in requests per 100: residents' page views (80), ballots (12), staff answering
# issues (8). Page views are of the demo community 幸福里 (XFL: a finished willingness vote, a
# plan, a board and issues in every state); ballots are cast in an open vote of a 5-digit
# community (BENCH); staff answer reports in that community.
DEFAULT_MIX = "home:22,vote:18,plan:12,board:12,issues:16,cast:12,acknowledge:4,resolve:4"
PAGES = ("home", "vote", "plan", "board", "issues")
WRITES = ("cast", "acknowledge", "resolve")


def log(message: str) -> None:
    print(message, flush=True)


def signer(app):
    """(user id, session version) -> (Cookie header value, CSRF form token), as a login in a
    browser sending User-Agent wrk-bench from 127.0.0.1 would leave them."""
    import flask_login.utils
    from itsdangerous import URLSafeTimedSerializer

    serializer = app.session_interface.get_signing_serializer(app)
    csrf = URLSafeTimedSerializer(SECRET, salt="wtf-csrf-token")
    with app.test_request_context(
        environ_base={"REMOTE_ADDR": "127.0.0.1"}, headers={"User-Agent": USER_AGENT}
    ):
        identifier = flask_login.utils._create_identifier()

    def sign(uid: int, version: int) -> tuple[str, str]:
        raw = hashlib.sha1(os.urandom(64)).hexdigest()
        cookie = serializer.dumps(
            {"_user_id": f"{uid}:{version}", "_fresh": True, "_id": identifier, "csrf_token": raw}
        )
        return f"session={cookie}", csrf.dumps(raw)

    return sign


def seed(url: str, owners: int, issues: int, staff: int) -> dict:
    """BENCH (owners, an open vote: benchmarks/vote_cast), the demo neighbourhood (readers'
    pages), then property staff and `issues` fresh reports in BENCH. Returns the request lines."""
    from sqlalchemy import insert, select, text

    from participation import create_app
    from participation.build import rules, workflow
    from participation.build.models import Issue, IssueEvent
    from participation.core.models import Community, Membership, Residency, User
    from participation.core.seed import seed_demo
    from participation.core.timeutil import utcnow
    from participation.extensions import db
    from participation.plan.public import current_plan
    from participation.voting.models import Vote

    started = time.perf_counter()
    vote_id, cast_lines, _ = vote_cast.seed(url, owners)
    log(f"  BENCH: {owners} owners and an open vote ({time.perf_counter() - started:.0f} s)")
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET})
    with app.app_context():
        # BENCH's accounts use 138… phones, as the demo does: move them out of its way.
        db.session.execute(text("UPDATE \"user\" SET phone = '199' || substr(phone, 4)"))
        db.session.commit()
        seed_demo()
        db.session.commit()
        log(f"  demo neighbourhood seeded ({time.perf_counter() - started:.0f} s)")

        now = utcnow()
        bench = db.session.scalar(select(Community).where(Community.code == "BENCH"))
        reporters = list(
            db.session.scalars(
                select(Residency.user_id)
                .where(Residency.community_id == bench.id)
                .order_by(Residency.id)
                .limit(200)
            )
        )
        staff_ids = [
            r[0]
            for r in db.session.execute(
                insert(User.__table__).returning(User.__table__.c.id, sort_by_parameter_order=True),
                [
                    {
                        "phone": f"197{i:08d}",
                        "name": f"物业{i}",
                        "password_hash": "!",
                        "active": True,
                        "created_at": now,
                        "session_version": 1,
                    }
                    for i in range(staff)
                ],
            )
        ]
        db.session.execute(
            insert(Membership.__table__),
            [
                {"user_id": u, "community_id": bench.id, "role": "property", "title": "物业"}
                for u in staff_ids
            ],
        )
        category = next(c for c, p in rules.DEFAULT_ROUTES.items() if p == rules.PROPERTY)
        due = rules.deadlines(now, rules.NORMAL, category, None)
        table = Issue.__table__
        issue_ids = [
            r[0]
            for r in db.session.execute(
                insert(table).returning(table.c.id, sort_by_parameter_order=True),
                [
                    {
                        "community_id": bench.id,
                        "reporter_id": reporters[i % len(reporters)],
                        "category": category,
                        "urgency": rules.NORMAL,
                        "party": rules.PROPERTY,
                        "status": workflow.SUBMITTED,
                        "description": f"{i % 12 + 1}号楼楼道灯不亮",
                        "created_at": now - timedelta(minutes=i % 600),
                        "ack_due": due.acknowledge,
                        "resolve_due": due.resolve,
                    }
                    for i in range(issues)
                ],
            )
        ]
        db.session.execute(
            insert(IssueEvent.__table__),
            [
                {
                    "issue_id": iid,
                    "actor_id": reporters[i % len(reporters)],
                    "kind": "submitted",
                    "status": workflow.SUBMITTED,
                    "at": now,
                    "detail": rules.PROPERTY,
                }
                for i, iid in enumerate(issue_ids)
            ],
        )
        db.session.commit()

        xfl = db.session.scalar(select(Community).where(Community.code == "XFL"))
        xfl_vote = db.session.scalar(
            select(Vote.id).where(Vote.community_id == xfl.id).order_by(Vote.id.desc()).limit(1)
        )
        readers = db.session.execute(
            select(User.id, User.session_version)
            .join(Residency, Residency.user_id == User.id)
            .where(
                Residency.community_id == xfl.id,
                Residency.status == "active",
                User.active.is_(True),
            )
            .distinct()
            .order_by(User.id)
        ).all()
        sign = signer(app)
        paths = {
            "home": "/c/XFL/",
            "vote": f"/c/XFL/votes/{xfl_vote}",
            "plan": f"/c/XFL/plan/{current_plan(xfl.id).id}",  # /plan/ redirects here
            "board": "/c/XFL/board",
            "issues": "/c/XFL/issues",
        }
        reads = []
        for uid, version in readers:
            cookie, _token = sign(uid, version)
            reads += [f"{kind}\t0\tGET\t{path}\t{cookie}\t" for kind, path in paths.items()]
            reads.append(f"floor\t0\tGET\t/healthz\t{cookie}\t")  # the app's own floor
        staff_cookies = [sign(u, 1) for u in staff_ids]
        acts = {"acknowledge": [], "resolve": []}
        for i, iid in enumerate(issue_ids):
            action = "acknowledge" if i % 2 == 0 else "resolve"
            cookie, token = staff_cookies[i % len(staff_cookies)]
            body = f"csrf_token={token}&action={action}"
            if action == "resolve":
                body += "&note=%E5%B7%B2%E6%8D%A2%E7%81%AF%E6%B3%A1"  # 已换灯泡
            acts[action].append(f"{action}\t1\tPOST\t/c/BENCH/issues/{iid}/act\t{cookie}\t{body}")
        casts = [f"cast\t1\tPOST\t/c/BENCH/votes/{vote_id}/cast\t{line}" for line in cast_lines]
        with db.engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
        db.engine.dispose()
    log(
        f"  {len(readers)} readers in XFL, {staff} property staff and {issues} reports in BENCH "
        f"(seeding took {time.perf_counter() - started:.0f} s)"
    )
    return {
        "vote_id": vote_id,
        "paths": paths,
        "reads": reads,
        "cast": casts,
        **acts,
    }


def wrk(
    server: tuple[int, str],
    port: int,
    file: Path,
    weights: str,
    args: argparse.Namespace,
    seconds: int,
) -> dict:
    """One wrk run; server: (gunicorn's process group, database URL) for the CPU account."""
    cutoff = max(seconds - args.write_margin, 1) if args.write_margin > 0 else 0
    cmd = [
        "wrk",
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(HERE / "mix.lua"),
        f"http://127.0.0.1:{port}",
        "--",
        str(file),
        str(args.threads),
        weights,
        str(cutoff),
    ]
    load_before = os.getloadavg()[0]
    db_pids = vote_cast.backend_pids(server[1])
    cpu_before = vote_cast.cpu_snapshot(server[0], db_pids)
    wrk_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run(cmd, capture_output=True, text=True)
    wrk_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode:
        raise SystemExit(f"wrk failed: {proc.stdout}{proc.stderr}")
    db_pids |= vote_cast.backend_pids(server[1])
    cpu_after = vote_cast.cpu_snapshot(server[0], db_pids)
    out = proc.stdout
    result = json.loads(re.search(r"^RESULT (.*)$", out, re.M).group(1))
    result["rps"] = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    result["load_avg"] = round((load_before + os.getloadavg()[0]) / 2, 1)
    # CPU time of the whole request path (gunicorn master and workers, the PostgreSQL backends,
    # wrk) per request: unlike req/s, it hardly depends on what else the machine runs.
    used = {pid: (t - cpu_before.get(pid, 0)) / vote_cast.TICK for pid, t in cpu_after.items()}
    wrk_s = (wrk_after.ru_utime + wrk_after.ru_stime) - (wrk_before.ru_utime + wrk_before.ru_stime)
    n = max(result["requests"], 1)
    result["cpu_ms_per_request"] = round((sum(used.values()) + wrk_s) * 1000 / n, 3)
    return result


def check_pages(port: int, paths: dict, reads: list[str]) -> None:
    """Each resident page answers 200 to a logged-in reader (not a redirect to the login)."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *a, **k):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    cookie = reads[0].split("\t")[4]
    for kind, path in paths.items():
        req = urllib.request.Request(
            f"http://127.0.0.1:{port}{path}", headers={"Cookie": cookie, "User-Agent": USER_AGENT}
        )
        try:
            with opener.open(req, timeout=60) as resp:
                size = len(resp.read())
                status = resp.status
        except urllib.error.HTTPError as err:
            status, size = err.code, 0
        if status != 200:
            raise SystemExit(f"{kind} page {path} answered {status}, not 200")
        log(f"  {kind:7s} {path:22s} 200, {size} bytes")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per measurement")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections")
    parser.add_argument("--mix", default=DEFAULT_MIX, help="kind:weight,… (see DEFAULT_MIX)")
    parser.add_argument(
        "--write-margin",
        type=int,
        default=2,
        help="no write is started in the last N seconds of a run (so none is in flight at "
        "the end and the row check is exact)",
    )
    parser.add_argument("--writes-per-run", type=int, default=800, help="ballots per mix run")
    parser.add_argument("--no-pages", action="store_true", help="skip the per-page runs")
    parser.add_argument("--db", default="gj_load_mix")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--user", default="postgres")
    parser.add_argument("--port", type=int, default=18101, help="app; the baseline: next port")
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument("--json", dest="json_out")
    args = parser.parse_args()

    weights = dict((k, int(w)) for k, w in (p.split(":") for p in args.mix.split(",")))
    mix_runs = args.rounds + 1  # a warm-up, then the rounds
    per_run = {"cast": args.writes_per_run}
    per_run["acknowledge"] = per_run["resolve"] = max(
        50, args.writes_per_run * max(weights.get("acknowledge", 0), 1) // max(weights["cast"], 1)
    )
    owners = per_run["cast"] * mix_runs
    issues = (per_run["acknowledge"] + per_run["resolve"]) * mix_runs

    log(f"creating database {args.db} and seeding …")
    url = vote_cast.recreate_database(args.db, args.host, args.user)
    data = seed(url, owners, issues, staff=8)
    tmp = Path(tempfile.mkdtemp(prefix="gj_load_mix_"))

    def mix_file(run_no: int) -> Path:
        """Page views (shared) and this run's own slice of each write: no write is sent twice,
        across runs either."""
        lines = list(data["reads"])
        for kind in WRITES:
            n = per_run[kind]
            lines += data[kind][run_no * n : (run_no + 1) * n]
        path = tmp / f"mix{run_no}.txt"
        path.write_text("\n".join(lines) + "\n")
        return path

    pages_file = tmp / "pages.txt"
    pages_file.write_text("\n".join(data["reads"]) + "\n")
    base_file = tmp / "baseline.txt"
    base_file.write_text(
        "get\t0\tGET\t/bench/get\t\t\n" * 16  # every wrk thread needs lines of each kind
        + "".join(f"insert\t0\tPOST\t/bench/insert\t\tk={i}&choice=agree\n" for i in range(1000))
    )
    read_share = sum(w for k, w in weights.items() if k in PAGES)
    write_share = sum(w for k, w in weights.items() if k in WRITES)

    app_port, base_port = args.port, args.port + 1
    mix_no = iter(range(mix_runs))
    targets: dict[str, tuple] = {
        "baseline_get": (base_port, lambda: base_file, "get:1"),
        "baseline_insert": (base_port, lambda: base_file, "insert:1"),
        "baseline_mix": (base_port, lambda: base_file, f"get:{read_share},insert:{write_share}"),
        "mix": (app_port, lambda: mix_file(next(mix_no)), args.mix),
    }
    if not args.no_pages:
        # The app's floor: GET /healthz (one SELECT 1) through the whole app, logged in.
        targets["app_floor"] = (app_port, lambda: pages_file, "floor:1")
        for page in PAGES:
            targets[f"page_{page}"] = (app_port, lambda: pages_file, f"{page}:1")

    def interrupted(signum, _frame):  # SIGTERM/SIGINT: stop the servers on the way out
        raise SystemExit(f"stopped by signal {signum}")

    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGINT, interrupted)
    procs = {}
    results: dict[str, list[dict]] = {name: [] for name in targets}
    warmups: list[dict] = []
    started = time.perf_counter()
    try:
        procs["app"] = vote_cast.serve(APP, app_port, url, args.workers)
        procs["baseline"] = vote_cast.serve(BASELINE, base_port, url, args.workers)
        servers = {app_port: (procs["app"].pid, url), base_port: (procs["baseline"].pid, url)}
        check_pages(app_port, data["paths"], data["reads"])
        for name, (port, file, w) in targets.items():  # warm-up (its writes are counted too)
            r = wrk(servers[port], port, file(), w, args, 3)
            if name == "mix":
                warmups.append(r)
        for round_no in range(1, args.rounds + 1):
            for name, (port, file, w) in targets.items():
                r = wrk(servers[port], port, file(), w, args, args.duration)
                results[name].append(r)
                log(
                    f"round {round_no} {name:15s} {r['rps']:8.1f} req/s  p50 {r['p50_ms']:7.1f}"
                    f"  p95 {r['p95_ms']:7.1f}  p99 {r['p99_ms']:7.1f} ms  non-2xx/3xx "
                    f"{r['non2xx']}  socket errors {r['socket_errors']}  CPU {r['cpu_ms_per_request']:.2f}"
                    f" ms/request  load {r['load_avg']}"
                )
    finally:
        for proc in procs.values():
            vote_cast.stop(proc)
    elapsed = time.perf_counter() - started

    # ----- accounting: every answered write is in the database exactly once
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:

        def one(sql: str, **params) -> int:
            return conn.execute(text(sql), params).scalar()

        rows = {
            "ballots": one("SELECT count(*) FROM ballot WHERE vote_id = :v", v=data["vote_id"]),
            "ballot_history": one(
                "SELECT count(*) FROM ballot_event WHERE vote_id = :v", v=data["vote_id"]
            ),
            "max_ballots_per_owner": one(
                "SELECT coalesce(max(c), 0) FROM (SELECT count(*) c FROM ballot "
                "WHERE vote_id = :v GROUP BY owner_id) t",
                v=data["vote_id"],
            ),
            "acknowledged_transitions": one(
                "SELECT count(*) FROM issue_event e JOIN issue i ON i.id = e.issue_id "
                "JOIN community c ON c.id = i.community_id "
                "WHERE c.code = 'BENCH' AND e.kind = 'acknowledged'"
            ),
            "resolved_transitions": one(
                "SELECT count(*) FROM issue_event e JOIN issue i ON i.id = e.issue_id "
                "JOIN community c ON c.id = i.community_id "
                "WHERE c.code = 'BENCH' AND e.kind = 'resolved'"
            ),
            "issues_acknowledged": one(
                "SELECT count(*) FROM issue i JOIN community c ON c.id = i.community_id "
                "WHERE c.code = 'BENCH' AND i.status = 'acknowledged'"
            ),
            "issues_resolved": one(
                "SELECT count(*) FROM issue i JOIN community c ON c.id = i.community_id "
                "WHERE c.code = 'BENCH' AND i.status = 'resolved'"
            ),
        }
    engine.dispose()

    mix_runs_done = warmups + results["mix"]
    answered: dict[str, int] = {}
    sent: dict[str, int] = {}
    for r in mix_runs_done:
        for k, v in r["answered"].items():
            answered[k] = answered.get(k, 0) + v
        for k, v in r["sent"].items():
            sent[k] = sent.get(k, 0) + v
    ok = {k: answered.get(f"{k}:ok", 0) for k in WRITES}
    not_ok = {k: v for k, v in answered.items() if not k.endswith(":ok") and k != "insert:ok"}
    expected = {
        "ballots": ok["cast"],
        "ballot_history": ok["cast"],
        "max_ballots_per_owner": 1 if ok["cast"] else 0,
        "acknowledged_transitions": ok["acknowledge"],
        "resolved_transitions": ok["resolve"],
        "issues_acknowledged": ok["acknowledge"],
        "issues_resolved": ok["resolve"],
    }
    # Prepared by request() but never answered: wrk prepares about one request per run that it
    # never sends when the time is up (the write margin keeps real writes from being in flight).
    # Whether any of them reached the server is what the row check below tells.
    unanswered = {
        k: sent.get(k, 0) - sum(v for t, v in answered.items() if t.startswith(k + ":"))
        for k in WRITES
    }
    app_runs = [r for name, rs in results.items() if not name.startswith("baseline") for r in rs]
    errors = {
        "non_2xx_3xx": sum(r["non2xx"] for r in app_runs + warmups),
        "socket_errors": sum(r["socket_errors"] for r in app_runs + warmups),
        "page_views_not_200": sum(r["reads_not_200"] for r in app_runs + warmups),
        "writes_not_ok": not_ok,
        "writes_exhausted": sum(r["writes_exhausted"] for r in mix_runs_done),
        "baseline_errors": sum(
            r["non2xx"] + r["socket_errors"]
            for name, rs in results.items()
            if name.startswith("baseline")
            for r in rs
        ),
    }

    def med(name: str, key: str) -> float:
        return statistics.median(r[key] for r in results[name])

    def ratios(name: str, base: str) -> dict:
        """Median over rounds of per-round ratios (each round measures both back to back)."""
        out = {}
        for key in ("rps", "p50_ms", "p95_ms", "p99_ms"):
            per_round = [
                r[key] / b[key] if b[key] else float("nan")
                for r, b in zip(results[name], results[base], strict=True)
            ]
            out[key] = {
                "median": round(statistics.median(per_round), 3),
                "rounds": [round(x, 3) for x in per_round],
            }
        # Baseline CPU per request / this target's: the throughput ratio on a machine of its
        # own, independent of what else runs (the figure to trust on a loaded machine).
        per_round = [
            b["cpu_ms_per_request"] / r["cpu_ms_per_request"]
            for r, b in zip(results[name], results[base], strict=True)
        ]
        out["cpu"] = {
            "median": round(statistics.median(per_round), 3),
            "rounds": [round(x, 3) for x in per_round],
        }
        return out

    table = {
        name: {
            "rps": round(med(name, "rps"), 1),
            "p50_ms": round(med(name, "p50_ms"), 1),
            "p95_ms": round(med(name, "p95_ms"), 1),
            "p99_ms": round(med(name, "p99_ms"), 1),
            "rps_spread": [round(r["rps"], 1) for r in results[name]],
            "cpu_ms_per_request": round(med(name, "cpu_ms_per_request"), 2),
        }
        for name in results
    }
    comparisons = {"mix_vs_baseline_mix": ratios("mix", "baseline_mix")}
    comparisons["mix_vs_baseline_get"] = ratios("mix", "baseline_get")
    comparisons["mix_vs_baseline_insert"] = ratios("mix", "baseline_insert")
    if not args.no_pages:
        comparisons["app_floor_vs_baseline_get"] = ratios("app_floor", "baseline_get")
    for page in PAGES if not args.no_pages else ():
        comparisons[f"page_{page}_vs_baseline_get"] = ratios(f"page_{page}", "baseline_get")
    loads = [r["load_avg"] for rs in results.values() for r in rs]

    log(
        f"\n{args.rounds} rounds of {args.duration} s per target, {args.workers} gunicorn "
        f"workers each, wrk -t{args.threads} -c{args.connections}; {elapsed:.0f} s; "
        f"load average {min(loads)}–{max(loads)} on {os.cpu_count()} CPUs"
    )
    log(
        f"{'target':16s} {'req/s':>8s} {'p50 ms':>8s} {'p95 ms':>8s} {'p99 ms':>8s} {'CPU ms':>8s}  req/s per round"
    )
    for name, t in table.items():
        log(
            f"{name:16s} {t['rps']:8.1f} {t['p50_ms']:8.1f} {t['p95_ms']:8.1f} {t['p99_ms']:8.1f}"
            f" {t['cpu_ms_per_request']:8.2f}  {t['rps_spread']}"
        )
    log("\nratios (median of per-round ratios; throughput: higher is better, latency: lower)")
    for name, c in comparisons.items():
        log(
            f"{name:32s} throughput {c['rps']['median']:.3f}  p50 {c['p50_ms']['median']:.2f}  "
            f"p95 {c['p95_ms']['median']:.2f}  p99 {c['p99_ms']['median']:.2f}  "
            f"CPU-based throughput {c['cpu']['median']:.3f}   "
            f"(throughput per round {c['rps']['rounds']})"
        )
    if not args.no_pages:
        log(
            "\nDESIGN.md §9, a resident page (GET, logged in): throughput ≥ 0.2 × bare GET, "
            "p95 ≤ 3 × its p95"
        )
        for page in PAGES:
            c = comparisons[f"page_{page}_vs_baseline_get"]
            good = c["rps"]["median"] >= 0.2 and c["p95_ms"]["median"] <= 3
            log(
                f"  {page:7s} throughput {c['rps']['median']:.3f}  p95 {c['p95_ms']['median']:.2f}"
                f"  {'meets' if good else 'MISSES'} the budget"
            )
    log(f"\nerrors: {errors}")
    log(
        f"writes answered in the mix runs (warm-up included): {answered}; prepared by wrk {sent};"
        f" prepared but not answered {unanswered}"
    )
    matches = all(rows[k] == v for k, v in expected.items())
    log(
        f"rows afterwards {rows}\nexpected from the answered writes {expected}\n"
        f"{'every answered write is there exactly once' if matches else 'MISMATCH'}"
    )
    if args.json_out:
        Path(args.json_out).write_text(
            json.dumps(
                {
                    "args": vars(args),
                    "table": table,
                    "comparisons": comparisons,
                    "errors": errors,
                    "answered": answered,
                    "sent": sent,
                    "unanswered": unanswered,
                    "rows": rows,
                    "expected": expected,
                    "rows_match": matches,
                    "load_avg": [min(loads), max(loads)],
                    "rounds": results,
                    "warmups": warmups,
                },
                indent=2,
            )
        )
    if not args.keep_db:  # --force: a worker's connection may outlive gunicorn's exit briefly
        subprocess.run(["dropdb", "--force", "-h", args.host, "-U", args.user, args.db])
    if not matches or any(v for k, v in errors.items() if k != "writes_exhausted" and v):
        sys.exit(1)


if __name__ == "__main__":
    main()
