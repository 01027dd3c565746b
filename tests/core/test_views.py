"""Core pages through the Flask client: notices, inbox, project steps, audit, prefs, errors,
security headers, htmx fragments."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from participation.core.models import (
    AuditEntry,
    Membership,
    Message,
    Notice,
    ProjectStep,
    StepState,
)
from tests import factories
from tests.voting import helpers as voting_helpers


@pytest.fixture()
def committee(db, community):
    return factories.staff(db.session, "committee", community)


@pytest.fixture()
def owner(db, community):
    return factories.resident(db.session, community, "owner")


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_committee_posts_notice_residents_get_inbox_message(
    client, db, community, committee, owner
):
    client.login(committee)
    resp = client.post(
        "/c/T01/notices/new", {"title": "停水通知", "body": "周三 9:00-12:00 停水。"}
    )
    assert resp.status_code == 302
    notice = db.session.scalar(select(Notice))
    assert notice.title == "停水通知"
    # Every linked resident and the staff get it in their inbox, once.
    msgs = db.session.scalars(select(Message).where(Message.title == "停水通知")).all()
    assert sorted(m.user_id for m in msgs) == sorted([owner.id, committee.id])
    assert db.session.scalar(select(AuditEntry.action)) == "notice.post"

    reader = app_client(client)
    reader.login(owner)
    page = reader.get("/inbox").get_data(as_text=True)
    assert "停水通知" in page and 'class="badge"' in page
    msg_id = next(m.id for m in msgs if m.user_id == owner.id)
    assert "周三" in reader.get(f"/inbox/{msg_id}").get_data(as_text=True)
    assert 'class="badge"' not in reader.get("/inbox").get_data(as_text=True)


def app_client(client):
    from tests.conftest import FormClient

    return FormClient(client.application.test_client())


def test_notice_with_empty_fields_writes_nothing(client, db, committee):
    client.login(committee)
    resp = client.post("/c/T01/notices/new", {"title": "", "body": ""})
    assert resp.status_code == 400
    assert count(db, Notice) == 0
    assert count(db, Message) == 0


def test_resident_cannot_post_notice(client, db, owner):
    client.login(owner)
    assert client.post("/c/T01/notices/new", {"title": "x", "body": "y"}).status_code == 403
    assert count(db, Notice) == 0


def test_notice_of_another_community_is_404(client, db, community, committee):
    other = factories.community(db.session, code="T02", buildings=1, entrances=1, per_entrance=1)
    db.session.add(Notice(community_id=other.id, title="别的小区", body="x"))
    db.session.commit()
    nid = db.session.scalar(select(Notice.id))
    client.login(committee)
    assert client.get(f"/c/T01/notices/{nid}").status_code == 404


def test_notices_htmx_fragment_and_vary(client, db, community, owner):
    for i in range(25):
        db.session.add(Notice(community_id=community.id, title=f"公告{i:02d}", body="x"))
    db.session.commit()
    client.login(owner)
    full = client.get("/c/T01/notices")
    assert "<html" in full.get_data(as_text=True)
    assert "HX-Request" in full.headers["Vary"]
    frag = client.get("/c/T01/notices?page=2", headers={"HX-Request": "true"})
    body = frag.get_data(as_text=True)
    assert "<html" not in body and body.count("<li>") == 5


def test_csrf_missing_is_refused(client, db, committee):
    client.login(committee)
    resp = client.post("/c/T01/notices/new", {"title": "t", "body": "b"}, csrf=False)
    assert resp.status_code == 400
    assert count(db, Notice) == 0


def test_csrf_token_in_htmx_header_is_accepted(client, db, committee):
    client.login(committee)
    token = client.csrf_token()
    resp = client.client.post(
        "/c/T01/notices/new",
        data={"title": "t", "body": "b"},
        headers={"X-CSRFToken": token, "HX-Request": "true"},
    )
    assert resp.status_code == 302
    assert count(db, Notice) == 1


def test_project_steps_advance_in_order(client, db, community, committee):
    client.login(committee)
    keys = []
    vote_entries = 0
    for _ in range(5):
        if keys == ["consult"]:
            # Leaving step 1 needs the owners' passed willingness vote (the "consult" gate).
            before = count(db, AuditEntry)
            voting_helpers.closed_vote(db.session, community, actor=committee, rule="special")
            vote_entries = count(db, AuditEntry) - before
        if keys == ["consult", "plan"]:
            # Leaving step 2 needs an adopted renovation plan (the "plan" gate).
            from tests.plan.helpers import adopted_plan

            adopted_plan(db.session, community)
        assert client.post("/c/T01/project").status_code == 302
        active = db.session.scalars(
            select(ProjectStep).where(ProjectStep.state == StepState.ACTIVE)
        ).all()
        keys.append(active[0].key)
        assert len(active) == 1
        db.session.expire_all()
    assert keys == ["consult", "plan", "pledge", "build", "share"]
    client.post("/c/T01/project")  # finishes the last step
    client.post("/c/T01/project")  # nothing left: refused with a message, no change
    states = db.session.scalars(select(ProjectStep.state)).all()
    assert states == ["done"] * 5
    assert count(db, AuditEntry) == 6 + vote_entries


def test_step_gate_blocks_advance(client, db, community, committee, monkeypatch):
    from participation.core.services import community as service

    client.login(committee)
    client.post("/c/T01/project")  # open consult
    # Stands in for the real gate (participation.voting.gates) and is put back afterwards.
    monkeypatch.setitem(service.STEP_GATES, "consult", lambda c: "意愿投票尚未通过")
    resp = client.post("/c/T01/project", follow_redirects=True)
    assert "意愿投票尚未通过" in resp.get_data(as_text=True)
    active = db.session.scalar(select(ProjectStep.key).where(ProjectStep.state == "active"))
    assert active == "consult"


def test_step_progress_shown_on_every_community_page(client, db, community, owner):
    client.login(owner)
    html = client.get("/c/T01/notices").get_data(as_text=True)
    assert 'class="steps"' in html and html.count('class="step ') == 5


def test_audit_log_is_append_only(app, db, community, committee):
    from participation.core import audit

    entry = audit.record(committee, "test.action", community_id=community.id)
    db.session.commit()
    entry.action = "changed"
    with pytest.raises(RuntimeError):
        db.session.commit()
    db.session.rollback()
    with pytest.raises(RuntimeError):
        db.session.delete(entry)
        db.session.commit()
    db.session.rollback()
    assert db.session.scalar(select(AuditEntry.action)) == "test.action"


def test_audit_page_shows_actions(client, db, community, committee):
    client.login(committee)
    client.post("/c/T01/notices/new", {"title": "公告", "body": "正文"})
    html = client.get("/c/T01/audit").get_data(as_text=True)
    assert "notice.post" in html


def test_security_headers_on_pages(client):
    resp = client.get("/")
    csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Referrer-Policy"] == "same-origin"


def test_no_inline_scripts_or_styles(client, db, committee):
    client.login(committee)
    for url in ("/", "/c/T01/", "/c/T01/notices", "/inbox", "/me", "/privacy"):
        html = client.get(url, follow_redirects=True).get_data(as_text=True)
        assert "<script>" not in html and " style=" not in html and "onclick" not in html, url


@pytest.mark.parametrize("lang,text", [("zh_Hans", "zh-Hans"), ("en", "Page not found")])
def test_404_page_in_both_languages(client, lang, text):
    client.client.set_cookie(key="lang", value=lang)
    resp = client.get("/no/such/page")
    assert resp.status_code == 404
    assert text in resp.get_data(as_text=True)
    assert "Traceback" not in resp.get_data(as_text=True)


def test_500_page_hides_traceback(app):
    from participation import create_app
    from participation.config import TestConfig

    fresh = create_app(
        TestConfig,
        SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
        PROPAGATE_EXCEPTIONS=False,
    )

    @fresh.get("/_boom")
    def _boom():
        raise RuntimeError("secret detail")

    resp = fresh.test_client().get("/_boom")
    body = resp.get_data(as_text=True)
    assert resp.status_code == 500
    assert "secret detail" not in body and "Traceback" not in body


def test_413_for_oversized_upload(app, client, db, committee):
    client.login(committee)
    app.config["MAX_CONTENT_LENGTH"] = 1024
    try:
        resp = client.post("/c/T01/notices/new", {"title": "t", "body": "x" * 5000})
    finally:
        app.config["MAX_CONTENT_LENGTH"] = 10 * 1024 * 1024
    assert resp.status_code == 413
    assert count(db, Notice) == 0


def test_prefs_cookies_language_and_elder_mode(client):
    resp = client.post("/prefs", {"lang": "en", "next": "/privacy"})
    assert resp.status_code == 302 and resp.headers["Location"] == "/privacy"
    html = client.get("/privacy").get_data(as_text=True)
    assert '<html lang="en"' in html
    client.post("/prefs", {"elder": "1"})
    assert 'class="elder"' in client.get("/privacy").get_data(as_text=True)
    client.post("/prefs", {"elder": "0", "lang": "zh_Hans"})
    html = client.get("/privacy").get_data(as_text=True)
    assert 'class="elder"' not in html and '<html lang="zh-Hans"' in html


def test_prefs_refuses_offsite_redirect(client):
    for target in ("https://evil.example/", "//evil.example/", "javascript:alert(1)"):
        resp = client.post("/prefs", {"lang": "en", "next": target})
        assert resp.headers["Location"] == "/", target


def test_healthz_and_favicon(client):
    assert client.get("/healthz").json == {"status": "ok"}
    fav = client.get("/favicon.ico")
    assert fav.status_code == 200 and fav.data[:4] == b"\x00\x00\x01\x00"


def test_static_files_are_fingerprinted_and_cached(client):
    html = client.get("/").get_data(as_text=True)
    url = re.search(r'href="(/static/css/app\.([0-9a-f]{10})\.css)"', html)
    assert url, "the stylesheet's URL carries its content hash"
    resp = client.get(url.group(1))
    assert resp.status_code == 200 and b"body" in resp.data
    assert resp.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    # Without (or with an outdated) hash: the current file, revalidated every time.
    for stale in ("/static/css/app.css", "/static/css/app.0000000000.css"):
        resp = client.get(stale)
        assert resp.status_code == 200 and "no-cache" in resp.headers["Cache-Control"]
        assert "immutable" not in resp.headers["Cache-Control"]


def test_inbox_mark_all_read(client, db, owner):
    from participation.core import notify

    notify.send(
        [owner.id], notify.N_("Your link to %(unit)s is confirmed."), params={"unit": "1-1-101"}
    )
    notify.send([owner.id], "人写的消息")
    db.session.commit()
    client.client.set_cookie(key="lang", value="en")
    client.login(owner)
    html = client.get("/inbox").get_data(as_text=True)
    assert "Your link to 1-1-101 is confirmed." in html and "人写的消息" in html
    client.post("/inbox/read-all")
    assert (
        db.session.scalar(
            select(func.count()).select_from(Message).where(Message.read_at.is_(None))
        )
        == 0
    )


def test_message_of_another_user_is_404(client, db, owner, committee):
    from participation.core import notify

    notify.send([committee.id], "给委员会")
    db.session.commit()
    mid = db.session.scalar(select(Message.id))
    client.login(owner)
    assert client.get(f"/inbox/{mid}").status_code == 404


def test_user_with_only_a_waiting_link_sees_the_waiting_notice(client, db, community):
    waiting = factories.resident(db.session, community, "owner", status="pending")
    client.login(waiting)
    resp = client.get("/")
    assert resp.status_code == 200
    assert 'class="notice-box"' in resp.get_data(as_text=True)
    assert client.get("/c/T01/").status_code == 403


def test_committee_resets_a_residents_password(client, db, community, committee, owner):
    from participation.core.models import Residency

    link = db.session.scalar(select(Residency).where(Residency.user_id == owner.id))
    other = app_client(client)
    other.login(owner)
    client.login(committee)
    resp = client.post(f"/c/T01/residents/{link.id}/password")
    assert resp.status_code == 200
    temporary = re.search(
        r'class="big-code"[^>]*>([a-z0-9]{10})<', resp.get_data(as_text=True)
    ).group(1)
    # The old session is logged out; the one-time password works; the action is audited.
    assert other.get("/me").status_code == 302
    fresh = app_client(client)
    assert fresh.post("/login", {"phone": owner.phone, "password": temporary}).status_code == 302
    assert "user.password_reset" in db.session.scalars(select(AuditEntry.action)).all()


def test_password_reset_refused_for_staff_and_other_communities(client, db, community, committee):
    from participation.core.models import Residency

    other = factories.community(db.session, code="T02", buildings=1, entrances=1, per_entrance=1)
    outsider = factories.resident(db.session, other, "owner")
    link = db.session.scalar(select(Residency).where(Residency.user_id == outsider.id))
    client.login(committee)
    assert client.post(f"/c/T01/residents/{link.id}/password").status_code == 404
    # a committee member who is also a resident keeps their password
    staff_home = factories.resident(db.session, community, "family")
    db.session.add(Membership(user_id=staff_home.id, community_id=community.id, role="property"))
    db.session.commit()
    staff_link = db.session.scalar(select(Residency).where(Residency.user_id == staff_home.id))
    before = staff_home.password_hash
    client.post(f"/c/T01/residents/{staff_link.id}/password")
    db.session.refresh(staff_home)
    assert staff_home.password_hash == before
