"""The per-request machinery made cheaper (core/sessions.py, the limiter's hooks wrapped in
core/web.py) keeps its guarantees."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from flask import request
from sqlalchemy import select

from participation.core.sessions import RememberingSessionInterface
from tests import factories

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def owner(db, community):
    return factories.resident(db.session, community, "owner")


def test_every_rate_limit_is_on_posts_only():
    """Page views skip the limiter (core/web.py): that is only right while no limit applies
    to a GET. Every limiter.limit(...) in the app must say methods=["POST"]."""
    calls = []
    for path in (ROOT / "participation").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for match in re.finditer(r"limiter\.(?:limit|shared_limit)\((.*?)\)\n", text, re.S):
            calls.append((path.name, match.group(1)))
    assert len(calls) >= 6, calls  # login, sign-up, comments, ideas…
    for name, args in calls:
        assert 'methods=["POST"]' in args, (name, args)
    text = (ROOT / "participation" / "core" / "web.py").read_text(encoding="utf-8")
    assert "default_limits" not in text and "application_limits" not in text


def test_page_views_do_not_enter_the_limiters_hooks(app):
    """Its three hooks (before, after and teardown) are found and wrapped: a Flask-Limiter
    that registered them some other way would leave page views paying for them again."""
    from participation.extensions import limiter

    wrapped = [
        f.__wrapped__
        for funcs in (app.before_request_funcs, app.after_request_funcs, app.teardown_request_funcs)
        for f in funcs.get(None, [])
        if hasattr(f, "__wrapped__")
    ]
    assert len(wrapped) == 3, wrapped
    assert limiter._check_request_limit in wrapped


def test_login_posts_are_still_limited_and_page_views_are_not(client, db, owner):
    for _ in range(40):
        assert client.get("/login").status_code == 200
    statuses = [
        client.post("/login", {"phone": owner.phone, "password": "wrong"}).status_code
        for _ in range(12)
    ]
    assert 429 in statuses, statuses


def _cookie(client) -> str:
    return next(c.value for c in client._cookies.values() if c.key == "session")


def test_a_remembered_session_is_the_same_session(app, client, db, owner):
    client.login(owner)
    assert client.get("/me").status_code == 200  # verified once, remembered
    assert client.get("/me").status_code == 200  # from memory: still logged in
    assert isinstance(app.session_interface, RememberingSessionInterface)
    value = _cookie(client)
    assert value in app.session_interface._verified


def test_a_tampered_cookie_is_refused_even_next_to_a_remembered_one(app, client, db, owner):
    client.login(owner)
    assert client.get("/me").status_code == 200
    good = _cookie(client)
    forged = good[:-3] + ("AAA" if not good.endswith("AAA") else "BBB")
    client.set_cookie("session", forged)
    client.delete_cookie("remember_token")  # else Flask-Login logs the user in again from it
    assert client.get("/me").status_code == 302  # logged out: sent to the login page
    assert forged not in app.session_interface._verified


def test_an_expired_remembered_cookie_is_refused(app, client, db, owner):
    client.login(owner)
    assert client.get("/me").status_code == 200
    value = _cookie(client)
    data, signed_at = app.session_interface._verified[value]
    lifetime = app.permanent_session_lifetime.total_seconds()
    app.session_interface._verified[value] = (data, time.time() - lifetime - 5)
    try:
        with app.test_request_context("/", headers={"Cookie": f"session={value}"}):
            opened = app.session_interface.open_session(app, request)
            # Remembered but too old: verified again, and itsdangerous' own check of the
            # signed time decides (the cookie was signed a moment ago, so it is valid again).
            assert opened.get("_user_id")
        assert app.session_interface._verified[value][1] > time.time() - 60
    finally:
        app.session_interface._verified.pop(value, None)


def test_each_request_gets_its_own_copy_of_the_session(app, db):
    """A remembered session's flashed messages (a list) changed by one request are not seen
    by the next request with the same cookie."""
    iface = app.session_interface
    signed = iface.get_signing_serializer(app).dumps({"_flashes": [["info", "start"]]})
    headers = {"Cookie": f"session={signed}"}
    with app.test_request_context("/", headers=headers):
        first = iface.open_session(app, request)
        first["_flashes"].append(["info", "more"])
        first["_flashes"][0][1] = "changed"
    with app.test_request_context("/", headers=headers):
        second = iface.open_session(app, request)
    assert signed in iface._verified
    assert second["_flashes"] == [["info", "start"]]


def _badge(html: str) -> str | None:
    match = re.search(r'<span class="badge">(\d+)<span class="sr">', html)
    return match.group(1) if match else None


def test_the_inbox_badge_comes_with_the_user_and_follows_reading(client, db, owner):
    from participation.core import notify
    from participation.core.models import Message

    notify.send([owner.id], "First")
    notify.send([owner.id], "Second")
    db.session.commit()
    client.login(owner)
    assert _badge(client.get("/me").get_data(as_text=True)) == "2"
    first = db.session.scalar(select(Message.id).where(Message.title == "First"))
    # Reading a message on its page: that very page's badge already counts one fewer.
    assert _badge(client.get(f"/inbox/{first}").get_data(as_text=True)) == "1"
    client.post("/inbox/read-all")
    assert _badge(client.get("/me").get_data(as_text=True)) is None


def test_a_community_page_loads_the_reader_with_the_community(client, db, community, owner):
    """core/context.py load_community: the community, the reader, the inbox badge and the
    reader's roles in one round trip; the checks of _load_user still hold."""
    from participation.core import notify
    from participation.core.models import User
    from tests.voting.view_fixtures import count_queries

    notify.send([owner.id], "Hello")
    db.session.commit()
    client.login(owner)
    url = f"/c/{community.code}/"
    client.get(url)  # the page's sections are now cached
    with count_queries() as statements:
        page = client.get(url).get_data(as_text=True)
    assert len(statements) == 1, [s[:80] for s in statements]
    assert _badge(page) == "1" and 'class="with-nav"' in page
    # The committee's page needs a role this reader does not hold: refused, from the same roles.
    assert client.get(f"/c/{community.code}/notices/new").status_code == 403
    # An unknown community: 404, logged in or not.
    assert client.get("/c/NOPE/").status_code == 404
    # Logged out everywhere (the account's session version moved on): sent to log in.
    db.session.get(User, owner.id).session_version += 1
    db.session.commit()
    response = client.get(f"/c/{community.code}/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_another_communitys_page_gives_no_roles_from_this_one(client, db, community, owner):
    """Roles loaded with the reader cover every community; each page takes only its own."""
    other = factories.community(db.session, code="T09", buildings=1, entrances=1, per_entrance=1)
    db.session.commit()
    client.login(owner)
    assert client.get(f"/c/{community.code}/").status_code == 200
    assert client.get(f"/c/{other.code}/").status_code == 403


def test_a_page_view_that_wrote_nothing_ends_with_commit_and_one_that_wrote_does_not(app, db):
    """core/web.py _end_reads_with_commit: COMMIT keeps psycopg's prepared statements (a
    ROLLBACK drops them); a transaction that wrote anything still ends with the rollback of
    the session's close, so a view that failed after a flush leaves nothing behind."""
    from participation.core.models import Community

    with app.test_request_context("/", method="GET"):
        db.session.scalar(select(Community.id).limit(1))
        assert db.session().in_transaction()
        app.do_teardown_request(None)
        assert not db.session().in_transaction()  # committed
    with app.test_request_context("/", method="GET"):
        db.session.add(Community(code="W01", name="写了没提交"))
        db.session.flush()
        app.do_teardown_request(None)
        assert db.session().in_transaction()  # left for the close to roll back
        db.session.rollback()
    assert db.session.scalar(select(Community.id).where(Community.code == "W01")) is None
    with app.test_request_context("/", method="GET"):
        db.session.scalar(select(Community.id).limit(1))
        app.do_teardown_request(RuntimeError("the view failed"))
        assert db.session().in_transaction()
        db.session.rollback()
    with app.test_request_context("/", method="POST"):
        db.session.scalar(select(Community.id).limit(1))
        app.do_teardown_request(None)
        assert db.session().in_transaction()  # posts are left as they were
        db.session.rollback()
