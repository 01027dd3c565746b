"""Where a resident page's time goes, in-process: CPU per request and queries per request for
each page of the load mix (benchmarks/load_mix), beside a bare Flask GET served the same way.
A guide for making pages cheaper, not the benchmark of record (that is load_mix under gunicorn
and wrk): the test client skips gunicorn's own parsing, so ratios here are harsher than there.

    .venv/bin/python benchmarks/page_profile.py [--requests 300] [--pages home,vote] [--top 25]
        [--db gj_page_profile] [--keep-db] [--reuse-db]

--top N prints cProfile's N most expensive functions (cumulative) for each page.
The database --db is DROPPED and re-created unless --reuse-db (then it must be a seeded one).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.load_mix import run as load_mix  # noqa: E402
from benchmarks.vote_cast import run as vote_cast  # noqa: E402


def parse_reads(reads: list[str]) -> dict[str, list[tuple[str, str]]]:
    """load_mix's request lines -> {page kind: [(path, cookie header)]}."""
    out: dict[str, list[tuple[str, str]]] = {}
    for line in reads:
        kind, _w, _method, path, cookie, _body = line.split("\t")
        out.setdefault(kind, []).append((path, cookie))
    return out


def measure(client, requests: list[tuple[str, str]], count: int, queries: list[int]):
    """CPU seconds per request, queries per request (from the statement counter)."""
    for path, cookie in requests[:20]:  # warm caches, as a long-running worker has them
        client.get(path, headers={"Cookie": cookie, "User-Agent": vote_cast.USER_AGENT})
    before_q = queries[0]
    start = time.process_time()
    for i in range(count):
        path, cookie = requests[i % len(requests)]
        response = client.get(
            path,
            headers={
                "Cookie": cookie,
                "User-Agent": vote_cast.USER_AGENT,
                "Accept-Encoding": "br",
            },
        )
        if response.status_code != 200:
            raise SystemExit(f"{path}: {response.status_code}")
    cpu = (time.process_time() - start) / count
    return cpu, (queries[0] - before_q) / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--pages", default="floor," + ",".join(load_mix.PAGES))
    parser.add_argument("--top", type=int, default=0)
    parser.add_argument("--db", default="gj_page_profile")
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument("--reuse-db", action="store_true")
    args = parser.parse_args()

    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{args.db}"
    cache = Path(f"/tmp/{args.db}.reads")
    if args.reuse_db and cache.exists():
        reads = cache.read_text().splitlines()
    else:
        vote_cast.recreate_database(args.db, "127.0.0.1", "postgres")
        reads = load_mix.seed(url, owners=300, issues=200, staff=2)["reads"]
        cache.write_text("\n".join(reads))
    pages = parse_reads(reads)

    from flask import Flask
    from sqlalchemy import event

    from participation import create_app
    from participation.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": vote_cast.SECRET})
    queries = [0]
    with app.app_context():

        @event.listens_for(db.engine, "before_cursor_execute")
        def count(*_args, **_kw):
            queries[0] += 1

    bare = Flask("bare")
    bare.get("/bench/get")(lambda: "ok")
    bare_cpu, _ = measure(bare.test_client(), [("/bench/get", "")], args.requests, [0])
    print(f"{'page':8} {'CPU ms':>8} {'× bare':>8} {'queries':>8}")
    print(f"{'bare':8} {bare_cpu * 1000:8.3f} {1:8.3f} {0:8}")
    client = app.test_client(use_cookies=False)  # each request carries its reader's cookie
    for kind in args.pages.split(","):
        cpu, per = measure(client, pages[kind], args.requests, queries)
        print(f"{kind:8} {cpu * 1000:8.3f} {bare_cpu / cpu:8.3f} {per:8.1f}", flush=True)
        if args.top:
            profiler = cProfile.Profile(time.process_time)  # CPU, not waiting on the database
            profiler.enable()
            measure(client, pages[kind], min(args.requests, 200), queries)
            profiler.disable()
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats(
                os.environ.get("PROFILE_SORT", "cumulative")
            ).print_stats(args.top)
            print(out.getvalue())
    if not args.keep_db and not args.reuse_db:
        with app.app_context():
            db.engine.dispose()
        subprocess.run(["dropdb", "--if-exists", "-h", "127.0.0.1", "-U", "postgres", args.db])
        cache.unlink(missing_ok=True)


if __name__ == "__main__":
    os.environ.setdefault("FLASK_DEBUG", "0")
    main()
