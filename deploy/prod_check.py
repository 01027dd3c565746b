"""`make prod-check`: the production setup, started locally and smoke-tested.

Creates its own PostgreSQL database (`gongjian_prodcheck`, dropped and recreated), runs
`flask db upgrade` and seeds the demo, starts gunicorn with deploy/gunicorn.conf.py (2 workers)
with Redis as the rate-limit store and FLASK_ENV=production, then checks: /healthz, a page,
security headers, a compressed response, a fingerprinted static file cached for a year, the
login of a demo resident, a CSRF-less form refused, and the login limit counted in Redis. Then
it backs the database up and restores it into a new one (deploy/restore_check.py), comparing
every table's row count. Exits non-zero on the first failure.

Needs PostgreSQL (PGHOST/PGPORT, default 127.0.0.1:5432, user postgres, trust auth) and Redis
(PRODCHECK_REDIS, default redis://127.0.0.1:6379/0; its keys get a unique prefix and are deleted
afterwards).
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PGHOST = os.environ.get("PGHOST", "127.0.0.1")
PGPORT = os.environ.get("PGPORT", "5432")
PGUSER = os.environ.get("PGUSER", "postgres")
DBNAME = os.environ.get("PRODCHECK_DB", "gongjian_prodcheck")
REDIS = os.environ.get("PRODCHECK_REDIS", "redis://127.0.0.1:6379/0")
RESIDENT = "13800000011"  # demo owner in XFL (README's table)
PASSWORD = "demo1234"


def step(text: str) -> None:
    print(f"== {text}", flush=True)


def fail(text: str) -> None:
    print(f"FAILED: {text}", flush=True)
    raise SystemExit(1)


def check(condition: bool, text: str) -> None:
    if not condition:
        fail(text)
    print(f"   ok  {text}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pg(*args: str) -> None:
    subprocess.run([*args, "-h", PGHOST, "-p", PGPORT, "-U", PGUSER], check=True)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # noqa: ARG002
        return None


class Client:
    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirect()
        )

    def request(self, path: str, data: dict | None = None, headers: dict | None = None):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(self.base + path, data=body, headers=headers or {})
        try:
            with self.opener.open(req, timeout=10) as resp:
                return resp.status, resp.headers, resp.read()
        except urllib.error.HTTPError as err:
            return err.code, err.headers, err.read()

    def csrf(self, path: str = "/login") -> str:
        _, _, body = self.request(path)
        match = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', body)
        if not match:
            fail(f"no CSRF token on {path}")
        return match.group(1).decode()


def wait_ready(base: str, proc: subprocess.Popen, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            print(proc.stderr.read() if proc.stderr else "")
            fail(f"gunicorn exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=1) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    fail("gunicorn did not answer /healthz in time")


def smoke(base: str, redis_prefix: str) -> None:
    anon = Client(base)
    status, headers, body = anon.request("/healthz")
    check(status == 200 and b'"ok"' in body, "/healthz answers ok (the database is reachable)")

    status, headers, body = anon.request("/", headers={"Accept-Encoding": "br, gzip"})
    check(status == 200, "the welcome page answers 200")
    check(headers.get("Content-Encoding") == "br", "pages are compressed (brotli)")
    for name, value in (
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "same-origin"),
    ):
        check(headers.get(name) == value, f"{name}: {value}")
    csp = headers.get("Content-Security-Policy", "")
    check("default-src 'self'" in csp and "frame-ancestors 'none'" in csp, "CSP set")

    status, headers, body = anon.request("/login")
    css = re.search(rb'href="(/static/css/app\.[0-9a-f]{10}\.css)"', body)
    check(css is not None, "the stylesheet has a fingerprinted URL")
    status, headers, _ = anon.request(css.group(1).decode(), headers={"Accept-Encoding": "gzip"})
    cache = headers.get("Cache-Control", "")
    check(
        status == 200 and "max-age=31536000" in cache and "immutable" in cache,
        f"static files are cached for a year ({cache})",
    )
    check(headers.get("Content-Encoding") == "gzip", "static files are compressed (gzip asked)")
    status, headers, _ = anon.request("/favicon.ico")
    check(status == 200, "/favicon.ico is served")

    status, _, _ = anon.request("/login", {"phone": RESIDENT, "password": PASSWORD})
    check(status == 400, "a form without its CSRF token is refused (400)")

    resident = Client(base)
    token = resident.csrf()
    status, headers, _ = resident.request(
        "/login", {"phone": RESIDENT, "password": PASSWORD, "csrf_token": token}
    )
    check(status == 302, "a demo resident logs in")
    status, headers, body = resident.request("/c/XFL/")
    check(status == 200 and "幸福里".encode() in body, "their community page (幸福里小区)")
    check("no-store" in headers.get("Cache-Control", ""), "logged-in pages are not stored")

    import redis

    client = redis.Redis.from_url(REDIS)
    keys = list(client.scan_iter(f"*{redis_prefix}*"))
    check(bool(keys), f"the login limit is counted in Redis ({len(keys)} keys)")


def main() -> int:
    started = time.monotonic()
    url = f"postgresql+psycopg://{PGUSER}@{PGHOST}:{PGPORT}/{DBNAME}"
    step(f"database {DBNAME} (dropped and recreated)")
    pg("dropdb", "--if-exists", DBNAME)
    pg("createdb", DBNAME)
    uploads = tempfile.mkdtemp(prefix="gongjian-prodcheck-uploads-")
    prefix = f"prodcheck-{secrets.token_hex(4)}"
    env = {
        **os.environ,
        "FLASK_ENV": "production",
        "SECRET_KEY": secrets.token_hex(32),
        "DATABASE_URL": url,
        "RATELIMIT_STORAGE_URI": REDIS,
        "RATELIMIT_KEY_PREFIX": prefix,
        "UPLOAD_FOLDER": uploads,
        "WEB_CONCURRENCY": "2",
        "GUNICORN_ACCESSLOG": "",
        "PROXY_COUNT": "0",
    }
    flask = [str(BIN / "flask"), "--app", "app"]
    step("flask db upgrade")
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True)
    step("flask seed-demo")
    subprocess.run(
        [*flask, "seed-demo", "--if-empty"],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env["GUNICORN_BIND"] = f"127.0.0.1:{port}"
    step(f"gunicorn -c deploy/gunicorn.conf.py app:app on {base} (2 workers)")
    proc = subprocess.Popen(
        [str(BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py", "app:app"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_ready(base, proc)
        step("smoke test")
        smoke(base, prefix)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            _, err = proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
        if "Traceback" in (err or ""):
            print(err[-4000:])
            fail("gunicorn logged a traceback")
        import redis

        client = redis.Redis.from_url(REDIS)
        for key in client.scan_iter(f"*{prefix}*"):
            client.delete(key)
    step("backup and restore (deploy/restore_check.py)")
    subprocess.run([sys.executable, str(ROOT / "deploy" / "restore_check.py"), DBNAME], check=True)
    pg("dropdb", "--if-exists", DBNAME)
    print(f"prod-check passed in {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
