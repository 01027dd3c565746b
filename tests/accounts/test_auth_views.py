"""Sign-up, login, logout, adding a home and changing the password, through HTTP."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from participation.core.models import Residency, ResidencyStatus, User
from participation.extensions import db
from tests import factories

from .helpers import count, invite_by_code, issue, signup_form, text, units_of

CSRF_ERROR = "The form expired or was sent from elsewhere"


def _logged_in(client) -> bool:
    resp = client.get("/me")
    assert resp.status_code in (200, 302)
    return resp.status_code == 200


# --- sign-up ----------------------------------------------------------------------------------


def test_signup_page_shows_the_privacy_notice_before_the_form(client):
    html = text(client.get("/signup"))
    notice = html.find("Before you sign up: how we use your information")
    form = html.find('<form method="post" class="form"')
    assert 0 < notice < form
    for part in ("What we keep", "Why", "Who sees it", "How long", "138****1234"):
        assert part in html
    assert 'name="privacy"' in html


def test_signup_without_accepting_the_privacy_notice_is_refused(client, community):
    code = issue(community, units_of(community)[0])
    resp = client.post("/signup", signup_form(code, privacy=None))
    assert resp.status_code == 400
    assert "Please read and accept the privacy notice to continue." in text(resp)
    assert count(User) == 0
    assert invite_by_code(code).usable


def test_good_signup_logs_in_and_redirects_home(client, community):
    unit = units_of(community)[2]
    code = issue(community, unit)
    data = signup_form(code, relation="tenant")
    resp = client.post("/signup", data)
    assert resp.status_code == 302
    assert resp.headers["Location"] == "/"
    user = db.session.scalar(select(User).where(User.phone == data["phone"]))
    assert user is not None and user.name == "王阿姨"
    (link,) = user.residencies
    assert (link.unit_id, link.relation, link.status) == (unit.id, "tenant", "active")
    assert _logged_in(client)
    home = client.get("/", follow_redirects=True)
    assert community.name_en in text(home) or community.name in text(home)


def test_owner_signup_with_another_phone_says_it_waits(client, community):
    code = issue(community, units_of(community)[2])
    resp = client.post("/signup", signup_form(code, relation="owner"), follow_redirects=True)
    assert "Your owner link will count once the committee confirms it." in text(resp)
    assert db.session.scalar(select(Residency.status)) == ResidencyStatus.PENDING


def test_signup_link_from_the_slip_prefills_the_code(client):
    html = text(client.get("/signup?code=ABCD2345"))
    assert 'name="code"' in html
    assert 'value="ABCD2345"' in html
    assert 'value="ABCD2345"' not in text(client.get("/signup"))


def test_signup_with_a_bad_code_shows_the_error_at_the_code(client, community):
    resp = client.post("/signup", signup_form("ZZZZ-ZZZZ"))
    assert resp.status_code == 400
    html = text(resp)
    assert 'id="code-err"' in html
    assert "This invite code is not valid or was already used." in html
    assert count(User) == 0


def test_logged_in_user_adds_a_second_home(client, community):
    first, second = units_of(community)[2:4]
    user = factories.resident(db.session, community, relation="family", unit=first)
    client.login(user)
    code = issue(community, second)
    form = client.get(f"/me/add-home?code={code}")
    assert f'value="{code}"' in text(form)
    resp = client.post("/me/add-home", {"code": code, "relation": "tenant"})
    assert resp.status_code == 302 and resp.headers["Location"] == "/me"
    links = db.session.scalars(
        select(Residency).where(Residency.user_id == user.id).order_by(Residency.id)
    ).all()
    assert [(link.unit_id, link.relation) for link in links] == [
        (first.id, "family"),
        (second.id, "tenant"),
    ]
    assert second.label() in text(client.get("/me"))


def test_signup_link_when_logged_in_goes_to_add_home(client, community):
    user = factories.resident(db.session, community, relation="family")
    client.login(user)
    resp = client.get("/signup?code=ABCD2345")
    assert resp.status_code == 302
    assert resp.headers["Location"] == "/me/add-home?code=ABCD2345"


# --- login and logout -------------------------------------------------------------------------


def test_login_with_a_wrong_password_shows_an_error_and_opens_no_session(client, db):
    user = factories.user(db.session)
    resp = client.post("/login", {"phone": user.phone, "password": "wrong-password"})
    assert resp.status_code == 400
    assert "The number or the password is not right." in text(resp)
    assert not _logged_in(client)


def test_login_with_the_right_password_opens_a_session(client, db):
    user = factories.user(db.session)
    assert not _logged_in(client)
    resp = client.post("/login", {"phone": user.phone, "password": factories.PASSWORD})
    assert resp.status_code == 302
    assert _logged_in(client)


def test_login_is_rate_limited_per_address(client, app, db):
    user = factories.user(db.session)
    per_minute = int(app.config["LOGIN_RATE_LIMIT"].split(" ")[0])
    for _ in range(per_minute):
        resp = client.post("/login", {"phone": user.phone, "password": "wrong-password"})
        assert resp.status_code == 400
    resp = client.post("/login", {"phone": user.phone, "password": factories.PASSWORD})
    assert resp.status_code == 429
    assert "Too many attempts" in text(resp)
    assert not _logged_in(client), "even the right password waits"


def test_login_is_rate_limited_per_phone_across_addresses(client, app, db, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT", "3 per minute")
    user, other = factories.user(db.session), factories.user(db.session)

    def attempt(phone, n, password="wrong-password"):
        return client.post(
            "/login",
            {"phone": phone, "password": password},
            environ_base={"REMOTE_ADDR": f"10.0.0.{n}"},
        )

    assert [attempt(user.phone, n).status_code for n in range(1, 5)] == [400, 400, 400, 429]
    # Another number from a fresh address is not held back.
    assert attempt(other.phone, 9, factories.PASSWORD).status_code == 302


def test_logout_is_post_only_and_needs_the_csrf_token(client, db):
    user = factories.user(db.session)
    client.login(user)
    assert client.get("/logout").status_code == 405
    assert _logged_in(client)
    resp = client.post("/logout", csrf=False)
    assert resp.status_code == 400
    assert CSRF_ERROR in text(resp)
    assert _logged_in(client)
    resp = client.post("/logout")
    assert resp.status_code == 302
    assert not _logged_in(client)


@pytest.mark.parametrize("url", ["/login", "/signup", "/logout"])
def test_posts_without_the_csrf_token_are_refused(client, community, url):
    code = issue(community, units_of(community)[0])
    user = factories.user(db.session)
    data = (
        {"phone": user.phone, "password": factories.PASSWORD}
        if url == "/login"
        else signup_form(code)
    )
    before = count(User)
    resp = client.post(url, data, csrf=False)
    assert resp.status_code == 400
    assert CSRF_ERROR in text(resp)
    assert count(User) == before
    assert not _logged_in(client)
    assert invite_by_code(code).usable


def test_a_token_from_another_session_is_refused(client, other_client, db):
    user = factories.user(db.session)
    token = other_client.csrf_token()
    resp = client.post(
        "/login", {"phone": user.phone, "password": factories.PASSWORD, "csrf_token": token}
    )
    assert resp.status_code == 400
    assert not _logged_in(client)


# --- password ---------------------------------------------------------------------------------


def test_changing_the_password_logs_out_other_sessions(client, other_client, db):
    user = factories.user(db.session)
    client.login(user)
    # The other phone holds the same cookies as this one had before the change.
    for name in ("session", "remember_token"):
        cookie = client.get_cookie(name)
        assert cookie is not None
        other_client.set_cookie(name, cookie.value)
    assert _logged_in(other_client)

    resp = client.post("/me/password", {"current": factories.PASSWORD, "new": "a-new-password"})
    assert resp.status_code == 302 and resp.headers["Location"] == "/me"

    resp = other_client.get("/me")
    assert resp.status_code == 302
    assert resp.headers["Location"].startswith("/login")
    assert _logged_in(client), "this phone stays logged in"
    client.post("/logout")
    client.login(user, password="a-new-password")


def test_changing_the_password_needs_the_current_one(client, db):
    user = factories.user(db.session)
    client.login(user)
    resp = client.post("/me/password", {"current": "not-it-at-all", "new": "a-new-password"})
    assert resp.status_code == 400
    assert "The current password is not right." in text(resp)
    db.session.expire_all()
    assert db.session.get(User, user.id).session_version == 1
