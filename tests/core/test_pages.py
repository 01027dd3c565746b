"""Every page of the seeded demo, reached by following links as every role (tests/crawl.py):
valid HTML by the Nu checker, security headers on every response, compressed pages and the
page-weight budget (≤ 40 kB first load, ≤ 12 kB later pages, for residents).

One seed and one crawl for the module (about 15 s); the Nu checker validates every page in one
Java run. Marked `pages`; `make test` and `make test-pg` run it (CI too: .ci/run installs Java).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from participation.core import seed
from participation.extensions import db as _db
from participation.extensions import limiter
from tests import htmlcheck
from tests.conftest import _empty_all_tables
from tests.crawl import RESIDENT_ROLES, ROLES, client_fetch, crawl_app, login_client

pytestmark = pytest.mark.pages

FIRST_LOAD_BUDGET = 40 * 1024
LATER_PAGE_BUDGET = 12 * 1024
ASSET = re.compile(r"""<(?:link|script)\b[^>]*?\b(?:href|src)="(/static/[^"]+)\"""")


@pytest.fixture(scope="module")
def demo(app):
    with app.app_context():
        limiter.reset()
        seed.seed_demo()
        _db.session.commit()
    try:
        yield crawl_app(app)
    finally:
        with app.app_context():
            _empty_all_tables()
            limiter.reset()
            _db.session.remove()


def test_the_crawl_reaches_every_role_and_part(demo):
    html = demo.html()
    for role in ROLES:
        assert any(p.role == role for p in html), role
    paths = {urlsplit(p.path).path for p in html}
    # The core pages and each feature's index, as one resident sees them: if a link is lost,
    # the pages behind it would silently go unchecked.
    for expected in ("/c/XFL/", "/c/XFL/notices", "/inbox", "/me", "/c/XFL/topics", "/c/XFL/votes"):
        assert expected in paths, expected
    assert len(html) > 100
    errors = [f"{p.role} {p.path}: {p.body[:200]}" for p in demo.pages if p.status >= 500]
    assert not errors, "\n".join(errors)


def test_every_page_is_valid_html(demo):
    pages = {f"{p.role} {p.path}": p.body for p in demo.html()}
    errors, htmx_spelling = htmlcheck.check(pages)
    assert not errors, "\n".join(str(e) for e in errors[:40])
    # base.html spells htmx's attributes the valid way (data-hx-headers), so no page may
    # report hx-headers; feature templates with `hx-*` are listed by tools/page_quality.py.
    assert not [e for e in htmx_spelling if "“hx-headers”" in e.message]


SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def _assert_secure(page) -> None:
    h = page.headers
    where = f"{page.role} {page.path} ({page.status})"
    for name, value in SECURITY_HEADERS.items():
        assert h.get(name) == value, f"{name} on {where}"
    csp = h.get("Content-Security-Policy", "")
    for directive in (
        "default-src 'self'",
        "script-src 'self'",
        "object-src 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ):
        assert directive in csp, f"{directive} on {where}"
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, where
    assert "Permissions-Policy" in h, where
    if page.is_html:
        # Pages are personal (language, role): never stored by a shared cache, and a
        # logged-in page not even by the browser.
        cache = h.get("Cache-Control", "")
        assert "no-store" in cache if page.role != "anonymous" else "no-" in cache, where


def test_security_headers_on_every_page(demo):
    assert demo.pages
    for page in demo.pages:
        if page.status < 500:  # a view's exception (reported above) never made a response
            _assert_secure(page)


def test_security_headers_on_every_get_route_and_error(app, demo):
    """Routes without parameters (whether linked or not), a 404 and a static file, per role."""
    from tests.crawl import Page

    paths = ["/no/such/page", "/static/css/app.css", "/favicon.ico", "/healthz"]
    for rule in app.url_map.iter_rules():
        if "GET" in (rule.methods or ()) and not rule.arguments and rule.endpoint != "static":
            paths.append(rule.rule)
    for i, (role, phone) in enumerate(ROLES.items()):
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = f"10.9.0.{i + 1}"
        if phone:
            login_client(client, phone)
        fetch = client_fetch(client)
        for path in paths:
            status, ctype, headers, body, wire = fetch(path)
            assert status < 500, (role, path)
            _assert_secure(Page(role, path, status, ctype, headers, body, wire))


def test_pages_are_compressed_and_assets_cached_immutably(app, demo):
    big = [p for p in demo.html() if p.wire_bytes >= 500]
    assert big
    for page in big:
        assert page.headers.get("Content-Encoding") == "br", page.path
        assert "Accept-Encoding" in page.headers.get("Vary", ""), page.path
    client = app.test_client()
    assets = set()
    for page in demo.html():
        assets.update(ASSET.findall(page.body))
    assert assets
    for url in assets:
        # Fingerprinted: name.<10 hex digits>.ext
        assert re.search(r"\.[0-9a-f]{10}\.[a-z]+$", url), url
        resp = client.get(url, headers={"Accept-Encoding": "gzip"})
        assert resp.status_code == 200, url
        cache = resp.headers["Cache-Control"]
        assert "max-age=31536000" in cache and "immutable" in cache, url
        if len(resp.data) >= 256:
            assert resp.headers["Content-Encoding"] == "gzip", url


def _asset_bytes(client, url: str) -> int:
    return len(client.get(url, headers={"Accept-Encoding": "br, gzip"}).get_data())


def test_resident_page_weight(app, demo):
    """The compressed HTML plus what it loads (CSS, JS, the icon) on a first visit, and only
    what is new on a later page (fingerprinted assets are cached). Header bytes are not
    counted here; tools/page_weight.py measures in Chromium with headers."""
    client = app.test_client()
    sizes: dict[str, int] = {"/favicon.ico": _asset_bytes(client, "/favicon.ico")}
    over = []
    pages = demo.html(RESIDENT_ROLES)
    assert pages
    # A later page comes after another one, as in tools/page_quality.py: /me, whose assets
    # (the shell: app.css, htmx, app.js) are then cached.
    common = set(ASSET.findall(next(p for p in pages if p.path == "/me").body))
    assert any("htmx" in url for url in common)
    for page in pages:
        assets = set(ASSET.findall(page.body))
        for url in assets:
            if url not in sizes:
                sizes[url] = _asset_bytes(client, url)
        first = page.wire_bytes + sum(sizes[u] for u in assets) + sizes["/favicon.ico"]
        later = page.wire_bytes + sum(sizes[u] for u in assets - common)
        if first > FIRST_LOAD_BUDGET or later > LATER_PAGE_BUDGET:
            over.append(f"{page.role} {page.path}: first {first} B, later {later} B")
    assert not over, "\n".join(over)


def test_htmx_only_left_out_of_print_sheets(demo):
    """Print sheets (notices, ledgers, the board's A4 page) are read on paper and need no htmx,
    which is most of a first visit's bytes; every other page keeps it, and no page that uses
    htmx attributes goes without it."""
    pages = demo.html()
    without = {p.path for p in pages if "htmx" not in "".join(ASSET.findall(p.body))}
    assert without, "no print sheet was crawled"
    for path in without:
        route = urlsplit(path).path
        assert route.endswith(("/print", "/notice")), path
    for page in pages:
        if "data-hx-" in page.body.split("<main", 1)[-1]:
            assert page.path not in without, page.path
