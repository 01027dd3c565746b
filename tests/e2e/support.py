"""Shared pieces of the browser tests: the live server, test data, login through the real form,
the axe-core check, the console watcher and the elder-mode measurements. Plain functions and
classes, so that tests/e2e/screens.py can use them outside pytest too."""

from __future__ import annotations

import gettext
import logging
import os
import re
import shutil
import threading
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from axe_playwright_python.sync_playwright import Axe
from sqlalchemy import select, text
from werkzeug.serving import make_server

from participation import create_app
from participation.config import ROOT, TestConfig
from participation.extensions import db
from tests import factories

PASSWORD = factories.PASSWORD
VIEWPORT = {"width": 390, "height": 844}
CHROME_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
LAUNCH_ARGS = {"executable_path": "/usr/bin/chromium", "args": CHROME_ARGS}
# A cheap phone held upright. device_scale_factor 2 keeps screenshots sharp and the run quick.
CONTEXT_ARGS = {
    "viewport": VIEWPORT,
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "zh-CN",
    "timezone_id": "Asia/Shanghai",
}
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21aa", "best-practice"]
HTMX = ROOT / "static" / "vendor" / "htmx.min.js"
HTMX_NPM = ROOT / "node_modules" / "htmx.org" / "dist" / "htmx.min.js"
ZH_CATALOGUE = ROOT / "translations" / "zh_Hans" / "LC_MESSAGES" / "messages.mo"
HAN = re.compile(r"[\u4e00-\u9fff]")


def ensure_htmx() -> bool:
    """Copy htmx from node_modules as `make assets` does, when it is there. Pages work without
    it, so a machine without the npm package still runs the tests (see ConsoleWatch)."""
    if not HTMX.exists() and HTMX_NPM.exists():
        HTMX.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(HTMX_NPM, HTMX)
    return HTMX.exists()


def zh(msgid: str) -> str:
    """What a Chinese page shows for `msgid`: its translation once the zh_Hans catalogue is
    compiled and has it (`make translations`), else the English msgid itself."""
    if not ZH_CATALOGUE.exists():
        return msgid
    with ZH_CATALOGUE.open("rb") as f:
        return gettext.GNUTranslations(f).gettext(msgid)


# --- the app and its server ------------------------------------------------------------------


def make_app(workdir: Path):
    """The real app on a throw-away database: TEST_DATABASE_URL when set (PostgreSQL), else a
    SQLite file (a file, not :memory:, because the server thread has its own connections)."""
    url = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{workdir / 'e2e.db'}"
    uploads = workdir / "uploads"
    uploads.mkdir(parents=True, exist_ok=True)
    config = type(
        "E2EConfig",
        (TestConfig,),
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "UPLOAD_FOLDER": str(uploads),
            "LOGIN_RATE_LIMIT": "10000 per minute",
        },
    )
    app = create_app(config)
    with app.app_context():
        db.drop_all()
        db.create_all()
    return app


def drop_all(app) -> None:
    with app.app_context():
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


def empty_all_tables(app) -> None:
    """Like tests/conftest.py `_empty_all_tables`, plus a fresh rate limiter."""
    from participation.extensions import limiter

    with app.app_context():
        db.session.rollback()
        tables = [t.name for t in reversed(db.metadata.sorted_tables)]
        if db.engine.dialect.name == "postgresql":
            db.session.execute(
                text(
                    "TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"
                )
            )
        else:
            for t in tables:
                db.session.execute(text(f'DELETE FROM "{t}"'))
        db.session.commit()
        db.session.remove()
        limiter.reset()


class LiveServer:
    """werkzeug's threaded server on 127.0.0.1 with a free port, in a daemon thread."""

    def __init__(self, app):
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> LiveServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(5)


# --- test data, written in the app context with tests/factories.py ---------------------------


@dataclass(frozen=True)
class Estate:
    code: str
    name: str
    name_en: str


class Data:
    """Creates data in the app context and returns plain values (ORM objects would be detached
    by the time a test uses them)."""

    def __init__(self, app):
        self.app = app

    def ctx(self):
        # A request context, because services build links (url_for) for inbox messages.
        return self.app.test_request_context()

    def community(self, code: str = "T01") -> Estate:
        with self.ctx():
            comm = factories.community(
                db.session,
                code=code,
                buildings=1,
                entrances=1,
                per_entrance=4,
                area=Decimal("80.5"),
            )
            return Estate(comm.code, comm.name, comm.name_en)

    def _community(self, code: str):
        from participation.core.models import Community

        return db.session.scalar(select(Community).where(Community.code == code))

    def committee(self, code: str = "T01") -> str:
        """A committee member's phone."""
        with self.ctx():
            return factories.staff(db.session, "committee", self._community(code)).phone

    def resident(self, code: str = "T01") -> str:
        """A confirmed owner's phone (the owner of the first unit)."""
        with self.ctx():
            return factories.resident(db.session, self._community(code)).phone

    def invites(self, code: str = "T01", by: str | None = None) -> list[tuple[str, str]]:
        """The committee issues invite codes: (code, register owner's phone) per unit."""
        from participation.core.models import Unit, User
        from participation.core.services.accounts import create_invites

        with self.ctx():
            actor = db.session.scalar(select(User).where(User.phone == by)) if by else None
            invites = create_invites(actor, self._community(code))
            db.session.commit()
            return [(i.code, db.session.get(Unit, i.unit_id).owner.phone) for i in invites]

    def residency(self, phone: str) -> list[tuple[str, str]]:
        """(relation, status) of the account's links to homes."""
        from participation.core.models import Residency, User

        with self.ctx():
            user = db.session.scalar(select(User).where(User.phone == phone))
            if user is None:
                return []
            links = db.session.scalars(select(Residency).where(Residency.user_id == user.id))
            return [(str(link.relation), str(link.status)) for link in links]

    def advance(self, code: str = "T01", times: int = 1) -> None:
        """The committee moves the project on: the first call opens step 1. Step 1 finishes only
        once the owners have passed the willingness vote (the "consult" gate), so leaving it
        first records one, every owner agreeing on paper."""
        from participation.core.services.community import (
            advance_step,
            current_step,
            ensure_project,
        )
        from tests.voting.helpers import closed_vote, topic

        with self.ctx():
            for _ in range(times):
                comm = self._community(code)
                step = current_step(ensure_project(comm))
                if step is not None and step.key == "consult":
                    closed_vote(
                        db.session,
                        comm,
                        the_topic=topic(db.session, comm, title="改造意愿征询"),
                        title="改造意愿表决",
                        question="您是否同意本小区实施老旧小区改造？",
                        rule="special",
                    )
                if step is not None and step.key == "plan":  # step 2 needs an adopted plan
                    from tests.plan.helpers import adopted_plan

                    adopted_plan(db.session, comm)
                advance_step(None, comm)
            db.session.commit()

    def notice(self, code: str, title: str, body: str, pinned: bool = False) -> None:
        """A notice posted by a committee member (the residents get it in their inbox)."""
        from participation.core.models import Membership
        from participation.core.services.community import post_notice

        with self.ctx():
            comm = self._community(code)
            author = db.session.scalar(select(Membership).where(Membership.community_id == comm.id))
            post_notice(author.user if author else None, comm, title, body, pinned=pinned)
            db.session.commit()


# --- browser helpers ---------------------------------------------------------------------------


def login(page, phone: str, password: str = PASSWORD) -> None:
    """Log in through the real form, as a resident would."""
    page.goto("/login")
    page.locator("#phone").fill(phone)
    page.locator("#password").fill(password)
    with page.expect_navigation():
        page.locator("main form button").click()
    assert "/login" not in page.url, f"login failed for {phone}: still on {page.url}"


def html_lang(page) -> str:
    return page.locator("html").get_attribute("lang") or ""


_axe = Axe()


def assert_no_axe_violations(page, label: str = "") -> None:
    """axe-core (WCAG 2.0 A/AA, 2.1 AA and best practices) finds nothing on the page."""
    results = _axe.run(
        page,
        options={
            "runOnly": {"type": "tag", "values": AXE_TAGS},
            "resultTypes": ["violations"],
        },
    )
    if results.violations_count:
        where = f"{label or ''} {page.url}".strip()
        raise AssertionError(f"axe on {where}:\n{results.generate_report()}")


class ConsoleWatch:
    """Collects JS errors, console errors (CSP violations are reported there too, and by the
    securitypolicyviolation event hooked below) and failed sub-resources of a page."""

    CSP_HOOK = """
      document.addEventListener('securitypolicyviolation', (e) => {
        console.error('CSP violation: ' + e.violatedDirective + ' blocked ' + e.blockedURI);
      });
    """

    def __init__(self, page):
        self.errors: list[str] = []
        self.htmx_missing = not HTMX.exists()
        page.add_init_script(self.CSP_HOOK)
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        page.on("requestfailed", self._failed)
        page.on("response", self._response)

    def _allowed(self, url: str) -> bool:
        # Without `make assets` the page still works; only then is the missing htmx tolerated.
        return self.htmx_missing and "/static/vendor/htmx.min.js" in url

    def _console(self, msg) -> None:
        if msg.type != "error":
            return
        text_ = msg.text
        if text_.startswith("Failed to load resource"):
            # Chromium logs this for every 4xx page too (a form with errors answers 400 by
            # design); failed sub-resources are caught by _response/_failed with their URL.
            return
        if self._allowed(text_):  # "Refused to execute script from …/htmx.min.js" (a 404 page)
            return
        self.errors.append(f"console: {text_} ({msg.location.get('url', '')})")

    def _failed(self, request) -> None:
        if request.resource_type != "document" and not self._allowed(request.url):
            self.errors.append(f"request failed: {request.url} {request.failure}")

    def _response(self, response) -> None:
        request = response.request
        if (
            request.resource_type != "document"
            and response.status >= 400
            and not self._allowed(response.url)
        ):
            self.errors.append(f"HTTP {response.status}: {response.url}")

    def check(self) -> None:
        assert not self.errors, "browser errors:\n" + "\n".join(self.errors)


# --- elder-mode measurements ---------------------------------------------------------------

# Every visible interactive element in the header, main and bottom nav, with its size. Radios
# and checkboxes are tapped through their label (label.choice / label.check), so the label is
# measured instead of the box. A link inside running text (a paragraph with other words, like
# "No account yet? Sign up") is reported as inline: WCAG 2.5.5/2.5.8 exempt inline targets,
# because enlarging them would break the line of text; the sentence's layout sets their size.
MEASURE_TARGETS = """
() => {
  const sel = 'a, button, input, select, textarea, summary, label.choice, label.check';
  const out = [];
  for (const root of document.querySelectorAll('header.top, main, nav.bottom')) {
    for (const el of root.querySelectorAll(sel)) {
      if (el.type === 'hidden' || el.closest('.sr')) continue;
      const r = el.getBoundingClientRect();
      const cs = getComputedStyle(el);
      if (r.width === 0 || r.height === 0 || cs.visibility === 'hidden') continue;
      if (el.matches('input[type=radio], input[type=checkbox]') && el.closest('label')) continue;
      let inline = false;
      const para = el.tagName === 'A' && el.closest('p, li, dd, td');
      if (para && !el.matches('.btn, .chip, .row-link, .tile')) {
        inline = para.textContent.replace(/\\s+/g, '') !== el.textContent.replace(/\\s+/g, '');
      }
      const name = (el.innerText || el.value || el.getAttribute('aria-label') || el.id || '')
        .trim().replace(/\\s+/g, ' ').slice(0, 40);
      out.push({tag: el.tagName.toLowerCase(), cls: el.className, name, inline,
                w: Math.round(r.width * 10) / 10, h: Math.round(r.height * 10) / 10});
    }
  }
  return out;
}
"""

# Font size and line height of every visible element that holds text itself (not only through
# children) in the header, main and bottom nav. Decorative icons (aria-hidden) are left out.
MEASURE_TEXT = """
() => {
  const out = [];
  for (const root of document.querySelectorAll('header.top, main, nav.bottom')) {
    for (const el of [root, ...root.querySelectorAll('*')]) {
      if (el.closest('[aria-hidden=true], .sr, script, style')) continue;
      const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
      const isField = el.matches('input:not([type=hidden]):not([type=radio]):not([type=checkbox]), select, textarea');
      if (!own && !isField) continue;
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.height === 0) continue;
      const cs = getComputedStyle(el);
      const fs = parseFloat(cs.fontSize);
      const lh = cs.lineHeight === 'normal' ? null : parseFloat(cs.lineHeight);
      const txt = (isField ? (el.value || el.id) : el.textContent).trim().replace(/\\s+/g, ' ').slice(0, 40);
      out.push({tag: el.tagName.toLowerCase(), cls: String(el.className), txt, fs, lh,
                ratio: lh ? Math.round(lh / fs * 100) / 100 : null});
    }
  }
  return out;
}
"""


# Scrolled to the end, does the fixed bottom navigation hide the last of the content?
MEASURE_NAV_OVERLAP = """
() => {
  const nav = document.querySelector('nav.bottom');
  if (!nav || getComputedStyle(nav).position !== 'fixed') return null;
  window.scrollTo(0, document.documentElement.scrollHeight);
  const navTop = nav.getBoundingClientRect().top;
  let bottom = 0;
  for (const el of document.querySelectorAll('main *')) {
    const r = el.getBoundingClientRect();
    if (r.height && getComputedStyle(el).visibility !== 'hidden') bottom = Math.max(bottom, r.bottom);
  }
  window.scrollTo(0, 0);
  return bottom > navTop + 0.5 ? {navTop, contentBottom: bottom} : null;
}
"""


def screenshot(page, path) -> None:
    """The whole page as it lays out on a phone as tall as the page, so the fixed bottom
    navigation is drawn where it ends up after scrolling to the end."""
    height = page.evaluate("document.documentElement.scrollHeight")
    page.set_viewport_size({"width": VIEWPORT["width"], "height": max(height, VIEWPORT["height"])})
    page.screenshot(path=path)
    page.set_viewport_size(VIEWPORT)


def tap_targets(page) -> list[dict]:
    return page.evaluate(MEASURE_TARGETS)


def text_metrics(page) -> list[dict]:
    return page.evaluate(MEASURE_TEXT)


def too_small_targets(page, minimum: float, selector_tags: set[str] | None = None) -> list[dict]:
    small = []
    for t in tap_targets(page):
        if t["inline"] or (selector_tags and t["tag"] not in selector_tags):
            continue
        if t["w"] < minimum - 0.5 or t["h"] < minimum - 0.5:
            small.append(t)
    return small


# --- elder-mode rules (DOMAIN.md §6) ---------------------------------------------------------

ELDER_TEXT_PX = 18
ELDER_TAP_PX = 60
NORMAL_TAP_PX = 44
LINE_HEIGHT = 1.3


def _fmt(rows: list[dict]) -> str:
    return "\n".join(f"  {r}" for r in rows)


def _problems(page, what: str, rows: list[dict]) -> list[str]:
    return [f"{what} on {page.url.split('/', 3)[-1] or '/'}:\n{_fmt(rows)}"] if rows else []


def _tight(metrics: list[dict]) -> list[dict]:
    return [m for m in metrics if m["ratio"] is None or m["ratio"] < LINE_HEIGHT - 0.005]


def _covered(page) -> list[dict]:
    overlap = page.evaluate(MEASURE_NAV_OVERLAP)
    return [overlap] if overlap else []


def check_elder_page(page) -> list[str]:
    """What on this page breaks the elder-mode rules (empty when nothing does)."""
    assert "elder" in (page.locator("html").get_attribute("class") or ""), page.url
    # A paragraph and the main buttons by name, then every piece of text on the page.
    for size in page.locator("main p, main .btn, main button").evaluate_all(
        "els => els.map(el => parseFloat(getComputedStyle(el).fontSize))"
    ):
        assert size >= ELDER_TEXT_PX, page.url
    metrics = text_metrics(page)
    return (
        _problems(
            page,
            f"text under {ELDER_TEXT_PX}px",
            [m for m in metrics if m["fs"] < ELDER_TEXT_PX - 0.01],
        )
        + _problems(page, f"line height under {LINE_HEIGHT}", _tight(metrics))
        # Links inside running text are exempt (see MEASURE_TARGETS in support.py).
        + _problems(
            page, f"tap targets under {ELDER_TAP_PX}px", too_small_targets(page, ELDER_TAP_PX)
        )
        + _problems(page, "bottom navigation covers content", _covered(page))
    )


def check_normal_page(page) -> list[str]:
    assert "elder" not in (page.locator("html").get_attribute("class") or "")
    controls = {"button", "input", "select", "textarea", "label", "summary"}
    return _problems(
        page,
        f"tap targets under {NORMAL_TAP_PX}px",
        too_small_targets(page, NORMAL_TAP_PX, controls),
    ) + _problems(page, f"line height under {LINE_HEIGHT}", _tight(text_metrics(page)))
    +_problems(page, "bottom navigation covers content", _covered(page))
