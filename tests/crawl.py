"""Every page of the seeded demo, as every role: a crawler shared by the page-quality tests
(tests/core/test_pages.py) and tools/page_quality.py (Lighthouse and the Nu HTML checker).

It starts from a role's home and follows same-site links (never a form, so it changes nothing),
keeping a few URLs per route (`/c/XFL/topics/1` and `/c/XFL/topics/2` are the same template), so
pages added by any feature are reached without being listed here. `fetch(path)` is the only
thing it needs: the Flask test client in the tests, HTTP against a live server in the tool.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from html import unescape
from urllib.parse import urldefrag, urljoin, urlsplit

# The demo accounts by role (README's table); the password is the seed's DEMO_PASSWORD.
ROLES: dict[str, str | None] = {
    "anonymous": None,
    "owner": "13800000011",  # XFL, two units
    "family": "13800000012",
    "tenant": "13800000013",
    "elder": "13800000014",
    "pending": "13800000015",  # owner claim waiting
    "owner_jsxc": "13800000021",  # JSXC, open vote
    "committee": "13800000001",
    "committee_jsxc": "13800000002",
    "property": "13800000003",
    "contractor": "13800000004",
    "city": "13800000005",
}
RESIDENT_ROLES = ("owner", "family", "tenant", "elder", "pending", "owner_jsxc")
PASSWORD = "demo1234"

# Never followed: leaving the session, files that are not pages, assets, the JSON API.
SKIP = re.compile(
    r"^/(static/|favicon\.ico|api/|logout)|\.(csv|xlsx|pdf|png|jpe?g|webp|gif|zip)(\?|$)"
    r"|/files/\d+"
)
HREF = re.compile(r"""<a\b[^>]*?\bhref\s*=\s*["']([^"']+)["']""", re.I)


@dataclass
class Page:
    role: str
    path: str
    status: int
    content_type: str
    headers: dict[str, str]
    body: str
    wire_bytes: int  # the body as sent (compressed when the client accepted it)

    @property
    def is_html(self) -> bool:
        return self.content_type.startswith("text/html")


@dataclass
class Crawl:
    pages: list[Page] = field(default_factory=list)

    def html(self, roles=None) -> list[Page]:
        return [
            p
            for p in self.pages
            if p.is_html and p.status == 200 and (roles is None or p.role in roles)
        ]


# path -> (status, content type, headers, decoded text, bytes of the body as sent)
Fetch = Callable[[str], tuple[int, str, dict[str, str], str, int]]


def links(base: str, html: str) -> list[str]:
    out = []
    for raw in HREF.findall(html):
        href = urldefrag(urljoin(base, unescape(raw)))[0]
        parts = urlsplit(href)
        if parts.scheme or parts.netloc or not href.startswith("/"):
            continue
        if SKIP.search(href):
            continue
        out.append(href)
    return out


def crawl_role(
    role: str,
    fetch: Fetch,
    route_of: Callable[[str], str | None],
    *,
    start: tuple[str, ...] = ("/",),
    per_route: int = 2,
    limit: int = 400,
) -> list[Page]:
    """Breadth first from `start`, at most `per_route` URLs per route and `limit` pages."""
    seen: set[str] = set()
    per: Counter[str] = Counter()
    queue = list(start)
    pages: list[Page] = []
    while queue and len(pages) < limit:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        route = route_of(path)
        if route is None:
            continue
        if per[route] >= per_route:
            continue
        per[route] += 1
        status, ctype, headers, body, wire = fetch(path)
        pages.append(Page(role, path, status, ctype, headers, body, wire))
        if status in (301, 302, 303, 307, 308) and headers.get("Location"):
            target = urljoin(path, headers["Location"])
            parts = urlsplit(target)
            if not parts.netloc or parts.netloc in ("localhost", "127.0.0.1"):
                queue.insert(0, parts.path + (f"?{parts.query}" if parts.query else ""))
            continue
        if ctype.startswith("text/html"):
            queue.extend(h for h in links(path, body) if h not in seen)
    return pages


def url_map_router(app) -> Callable[[str], str | None]:
    """The route of a path by the app's URL map (None for unknown paths and non-GET routes)."""
    adapter = app.url_map.bind("localhost")

    def route_of(path: str) -> str | None:
        parts = urlsplit(path)
        try:
            rule, _args = adapter.match(parts.path, method="GET", return_rule=True)
        except Exception:
            return None
        return rule.rule

    return route_of


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


# --- the Flask test client ------------------------------------------------------------------


def decode(data: bytes, encoding: str | None) -> bytes:
    if encoding == "br":
        import brotli

        return brotli.decompress(data)
    if encoding == "gzip":
        import gzip

        return gzip.decompress(data)
    return data


def client_fetch(client, accept_encoding: str = "br, gzip") -> Fetch:
    """GETs through the Flask test client, as a browser would (compression accepted)."""

    def fetch(path: str):
        headers = {"Accept-Encoding": accept_encoding} if accept_encoding else {}
        try:
            resp = client.get(path, headers=headers)
        except Exception as exc:  # the test client re-raises a view's error: a 500 here
            return 500, "text/plain", {}, f"{type(exc).__name__}: {exc}", 0
        wire = resp.get_data()
        data = decode(wire, resp.headers.get("Content-Encoding"))
        body = data.decode("utf-8", "replace") if resp.mimetype.startswith("text/") else ""
        return resp.status_code, resp.content_type or "", dict(resp.headers), body, len(wire)

    return fetch


def login_client(client, phone: str) -> None:
    token = csrf_from(client.get("/login").get_data(as_text=True))
    resp = client.post("/login", data={"phone": phone, "password": PASSWORD, "csrf_token": token})
    assert resp.status_code == 302, f"login {phone}: {resp.status_code}"


def crawl_app(app, roles=ROLES, **kwargs) -> Crawl:
    """Every role's pages through the test client (one address per role: the login limit)."""
    route_of = url_map_router(app)
    result = Crawl()
    for i, (role, phone) in enumerate(roles.items()):
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = f"10.8.0.{i + 1}"
        if phone:
            login_client(client, phone)
        result.pages += crawl_role(role, client_fetch(client), route_of, **kwargs)
    return result
