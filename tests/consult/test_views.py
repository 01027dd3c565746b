"""The topic pages through the test client: every route by every role, CSRF, escaping,
moderation as residents and the committee see it, htmx fragments and the no-JS path."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from participation.consult import services
from participation.consult.models import Comment, CommentReport, Topic, TopicAttachment
from participation.core.models import Message, Notice
from participation.core.timeutil import utcnow
from participation.extensions import db
from tests import factories
from tests.conftest import FormClient

from .helpers import (
    DAY,
    PDF,
    count,
    count_queries,
    make_comment,
    make_topic,
    png_bytes,
    selects,
    text,
)

ROLES = ("anon", "owner", "family", "tenant", "committee", "property", "city", "outsider")
HX = {"HX-Request": "true"}


@pytest.fixture()
def as_user(app, db):
    """A fresh as_user (its own cookies), logged in as `user` unless None."""

    def make(user=None) -> FormClient:
        client = FormClient(app.test_client())
        client.set_cookie("lang", "en")
        if user is not None:
            client.login(user)
        return client

    return make


# --- the permission matrix -------------------------------------------------------------------

# What each role gets from each route: 200 (page), 302 (done, redirected back), 403, or "login"
# (an anonymous visitor is sent to log in).
OK, DONE, NO, LOGIN = 200, 302, 403, "login"
MATRIX = {
    #                               anon   owner family tenant committee property city  outsider
    "GET list": (LOGIN, OK, OK, OK, OK, OK, OK, NO),
    "GET topic": (LOGIN, OK, OK, OK, OK, OK, OK, NO),
    "GET file": (LOGIN, OK, OK, OK, OK, OK, OK, NO),
    "POST comment": (LOGIN, DONE, DONE, DONE, DONE, DONE, NO, NO),
    "GET reply": (LOGIN, OK, OK, OK, OK, OK, NO, NO),
    "POST reply": (LOGIN, DONE, DONE, DONE, DONE, DONE, NO, NO),
    "GET report": (LOGIN, OK, OK, OK, OK, NO, NO, NO),
    "POST report": (LOGIN, DONE, DONE, DONE, DONE, NO, NO, NO),
    "GET hide": (LOGIN, NO, NO, NO, OK, NO, NO, NO),
    "POST hide": (LOGIN, NO, NO, NO, DONE, NO, NO, NO),
    "POST restore": (LOGIN, NO, NO, NO, DONE, NO, NO, NO),
    "GET new": (LOGIN, NO, NO, NO, OK, NO, NO, NO),
    "POST new": (LOGIN, NO, NO, NO, DONE, NO, NO, NO),
    "GET edit draft": (LOGIN, NO, NO, NO, OK, NO, NO, NO),
    "POST post draft": (LOGIN, NO, NO, NO, DONE, NO, NO, NO),
    "POST close": (LOGIN, NO, NO, NO, DONE, NO, NO, NO),
    "GET draft": (LOGIN, NO, NO, NO, OK, NO, NO, NO),
}


@pytest.fixture()
def scene(ctx, community, people):
    """A posted topic with a photo and two comments by a neighbour (so everybody may report
    them), one hidden; a draft; a topic whose notice period is over."""
    neighbour = factories.resident(db.session, community, "tenant")
    topic = make_topic(community, people["committee"])
    comment = make_comment(topic, neighbour, "邻居的意见")
    hidden = make_comment(topic, neighbour, "广告")
    hidden.hidden_at, hidden.hidden_reason_code = utcnow(), "spam"
    draft = make_topic(community, status="draft", title="草稿")
    old = make_topic(community, title="旧议题", posted_days_ago=30)
    (photo,) = services.add_attachments(
        people["committee"], draft, [FileStorage(io.BytesIO(png_bytes()), filename="p.png")]
    )
    photo.topic_id = topic.id  # a photo of the posted topic, for everybody to read
    db.session.commit()
    return {
        "topic": topic,
        "comment": comment,
        "hidden": hidden,
        "draft": draft,
        "old": old,
        "photo": photo,
    }


def request_for(route: str, s: dict) -> tuple[str, str, dict]:
    t, c, h, d, o = s["topic"].id, s["comment"].id, s["hidden"].id, s["draft"].id, s["old"].id
    base = "/c/T01/topics"
    return {
        "GET list": ("GET", base, {}),
        "GET topic": ("GET", f"{base}/{t}", {}),
        "GET file": ("GET", f"{base}/{t}/files/{s['photo'].id}", {}),
        "POST comment": ("POST", f"{base}/{t}/comments", {"body": "我的意见"}),
        "GET reply": ("GET", f"{base}/{t}/comments/{c}/reply", {}),
        "POST reply": ("POST", f"{base}/{t}/comments/{c}/reply", {f"r{c}-body": "回复"}),
        "GET report": ("GET", f"{base}/{t}/comments/{c}/report", {}),
        "POST report": ("POST", f"{base}/{t}/comments/{c}/report", {"reason": "跑题"}),
        "GET hide": ("GET", f"{base}/{t}/comments/{c}/hide", {}),
        "POST hide": ("POST", f"{base}/{t}/comments/{c}/hide", {"reason_code": "off_topic"}),
        "POST restore": ("POST", f"{base}/{t}/comments/{h}/restore", {}),
        "GET new": ("GET", f"{base}/new", {}),
        "POST new": ("POST", f"{base}/new", {"title": "新议题", "body": "", "notice_days": "7"}),
        "GET edit draft": ("GET", f"{base}/{d}/edit", {}),
        "POST post draft": ("POST", f"{base}/{d}/post", {}),
        "POST close": ("POST", f"{base}/{o}/close", {}),
        "GET draft": ("GET", f"{base}/{d}", {}),
    }[route]


@pytest.mark.parametrize("route", sorted(MATRIX))
def test_permission_matrix(as_user, people, scene, route):
    for role, expected in zip(ROLES, MATRIX[route], strict=True):
        client = as_user(None if role == "anon" else people[role])
        method, url, data = request_for(route, scene)
        resp = client.get(url) if method == "GET" else client.post(url, data)
        where = f"{route} as {role}"
        if expected == LOGIN:
            assert resp.status_code == 302 and "/login" in resp.headers["Location"], where
        else:
            assert resp.status_code == expected, f"{where}: {resp.status_code}"
        if expected == DONE:
            assert "/login" not in resp.headers["Location"], where
            with client.session_transaction() as session:
                flashes = session.get("_flashes", [])
            assert [cat for cat, _msg in flashes] == ["success"], f"{where}: {flashes}"
        db.session.rollback()
        # Undo what the request changed, so the next role finds the same scene.
        _reset(scene)


def _reset(s: dict) -> None:
    db.session.expire_all()
    comment, hidden = s["comment"], s["hidden"]
    comment.hidden_at, comment.hidden_reason_code, comment.report_count = None, "", 0
    hidden.hidden_at, hidden.hidden_reason_code = utcnow(), "spam"
    s["draft"].status, s["draft"].posted_at = "draft", None
    s["old"].status = "posted"
    for report in db.session.scalars(select(CommentReport)):
        db.session.delete(report)
    for c in db.session.scalars(select(Comment).where(Comment.id.not_in([comment.id, hidden.id]))):
        db.session.delete(c)
    db.session.commit()


# --- reading ---------------------------------------------------------------------------------


def test_list_shows_posted_topics_and_drafts_only_to_the_committee(
    as_user, client, community, people
):
    make_topic(community, title="公开议题")
    make_topic(community, status="draft", title="内部草稿")
    client.login(people["owner"])
    html = text(client.get("/c/T01/topics"))
    assert "公开议题" in html and "内部草稿" not in html
    client = as_user(people["committee"])
    html = text(client.get("/c/T01/topics"))
    assert "公开议题" in html and "内部草稿" in html and "New topic" in html


def test_topic_page_states_the_notice_period_plainly(client, community, people):
    topic = make_topic(community, posted_days_ago=1, notice_days=7)
    client.login(people["owner"])
    html = text(client.get(f"/c/T01/topics/{topic.id}"))
    assert "Posted on" in html and "a vote on it may open from" in html
    assert "7 days" in html
    old = make_topic(community, posted_days_ago=10, notice_days=7)
    html = text(client.get(f"/c/T01/topics/{old.id}"))
    assert "notice period ended" in html


def test_community_home_links_to_the_topics(client, people):
    client.login(people["tenant"])
    html = text(client.get("/c/T01/"))
    assert 'href="/c/T01/topics"' in html and "Topics for discussion" in html


def test_discussion_is_threaded_one_level(client, topic, people):
    first = make_comment(topic, people["owner"], "第一条")
    make_comment(topic, people["tenant"], "回复第一条", parent=first)
    make_comment(topic, people["family"], "第二条")
    client.login(people["owner"])
    html = text(client.get(f"/c/T01/topics/{topic.id}"))
    replies = re.search(rf'<ol class="replies" id="c{first.id}-replies">(.*?)</ol>', html, re.S)
    assert replies and "回复第一条" in replies.group(1) and "第二条" not in replies.group(1)
    assert html.index("第一条") < html.index("回复第一条") < html.index("第二条")


def test_topic_page_reads_a_long_discussion_in_a_fixed_number_of_queries(client, topic, people):
    for i in range(3):
        c = make_comment(topic, people["owner"], f"意见{i}")
        make_comment(topic, people["committee"], f"答复{i}", parent=c)
    client.login(people["tenant"])
    db.session.expire_all()
    with count_queries() as few:
        assert client.get(f"/c/T01/topics/{topic.id}").status_code == 200
    for i in range(20):
        c = make_comment(topic, people["family"], f"更多{i}")
        make_comment(topic, people["property"], f"物业答复{i}", parent=c)
    db.session.expire_all()
    with count_queries() as many:
        assert client.get(f"/c/T01/topics/{topic.id}").status_code == 200
    assert len(selects(many)) == len(selects(few))


def test_comment_author_names_are_masked_and_staff_marked(client, topic, people):
    people["owner"].name = "张三丰"
    db.session.commit()
    make_comment(topic, people["owner"], "意见")
    make_comment(topic, people["committee"], "答复")
    client.login(people["tenant"])
    html = text(client.get(f"/c/T01/topics/{topic.id}"))
    assert "张**" in html and "张三丰" not in html
    assert '<span class="tag">Committee</span>' in html


# --- posting comments ------------------------------------------------------------------------


def test_csrf_token_is_required(client, topic, people):
    client.login(people["owner"])
    resp = client.post(f"/c/T01/topics/{topic.id}/comments", {"body": "意见"}, csrf=False)
    assert resp.status_code == 400
    assert count(Comment) == 0


def test_comment_without_js_posts_and_redirects_to_it(client, topic, people):
    client.login(people["owner"])
    resp = client.post(f"/c/T01/topics/{topic.id}/comments", {"body": "  同意加装  "})
    comment = db.session.scalars(select(Comment)).one()
    assert resp.status_code == 302
    assert resp.headers["Location"].endswith(f"/c/T01/topics/{topic.id}#c{comment.id}")
    assert comment.body == "同意加装" and comment.user_id == people["owner"].id
    html = text(client.get(resp.headers["Location"]))
    assert "Your comment is posted." in html and "同意加装" in html


def test_comment_with_htmx_returns_a_fragment_to_append(client, topic, people):
    client.login(people["owner"])
    resp = client.post(f"/c/T01/topics/{topic.id}/comments", {"body": "同意"}, headers=HX)
    assert resp.status_code == 200
    html = text(resp)
    assert "<html" not in html and "<body" not in html
    comment = db.session.scalars(select(Comment)).one()
    assert html.lstrip().startswith(f'<li id="c{comment.id}"')
    # A fresh, empty form comes back out of band, and a line for screen readers.
    form = re.search(r'<form id="comment-form".*?</form>', html, re.S).group(0)
    assert 'hx-swap-oob="true"' in form and "同意" not in form
    assert 'id="comment-status" data-hx-swap-oob="innerHTML"' in html


def test_refused_comment_with_htmx_returns_only_the_form_with_its_error(client, topic, people):
    client.login(people["owner"])
    resp = client.post(f"/c/T01/topics/{topic.id}/comments", {"body": "   "}, headers=HX)
    html = text(resp)
    assert resp.status_code == 200 and "<html" not in html
    assert "<li" not in html  # nothing to append
    assert 'hx-swap-oob="true"' in html and "Please write your comment." in html
    assert 'aria-invalid="true"' in html
    assert count(Comment) == 0


def test_refused_comment_without_js_shows_the_page_with_the_error_and_the_text(
    client, topic, people
):
    client.login(people["owner"])
    resp = client.post(f"/c/T01/topics/{topic.id}/comments", {"body": "长" * 2001})
    html = text(resp)
    assert resp.status_code == 400 and "<html" in html
    assert "too long" in html and "长" * 2001 in html  # nothing typed is lost


def test_xss_payload_in_a_comment_is_shown_escaped(client, topic, people):
    payload = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    client.login(people["owner"])
    client.post(f"/c/T01/topics/{topic.id}/comments", {"body": payload})
    for resp in (
        client.get(f"/c/T01/topics/{topic.id}"),
        client.post(f"/c/T01/topics/{topic.id}/comments", {"body": payload + "2"}, headers=HX),
    ):
        html = text(resp)
        assert "<script>alert" not in html and "<img src=x" not in html
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html


def test_reply_without_js_has_its_own_page(client, topic, people):
    parent = make_comment(topic, people["tenant"], "原意见")
    client.login(people["owner"])
    page = text(client.get(f"/c/T01/topics/{topic.id}/comments/{parent.id}/reply"))
    assert "<html" in page and "原意见" in page
    assert "hx-post" not in page  # the stand-alone form posts normally even with htmx
    resp = client.post(
        f"/c/T01/topics/{topic.id}/comments/{parent.id}/reply", {f"r{parent.id}-body": "我回复"}
    )
    reply = db.session.scalars(select(Comment).where(Comment.parent_id == parent.id)).one()
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"#c{reply.id}")


def test_reply_with_htmx_loads_the_form_and_appends_the_reply(client, topic, people):
    parent = make_comment(topic, people["tenant"], "原意见")
    client.login(people["owner"])
    url = f"/c/T01/topics/{topic.id}/comments/{parent.id}/reply"
    form = text(client.get(url, headers=HX))
    assert "<html" not in form and "<form" in form
    assert f'data-hx-target="#c{parent.id}-replies"' in form and "autofocus" in form
    resp = client.post(url, {f"r{parent.id}-body": "我回复"}, headers=HX)
    html = text(resp)
    reply = db.session.scalars(select(Comment).where(Comment.parent_id == parent.id)).one()
    assert html.lstrip().startswith(f'<li id="c{reply.id}"')
    assert f'<div class="reply-slot" id="c{parent.id}-slot" data-hx-swap-oob="true"></div>' in html


def test_rate_limit_shows_a_readable_message(client, topic, people, app):
    app.config["COMMENT_RATE_COUNT"] = 1
    try:
        client.login(people["owner"])
        client.post(f"/c/T01/topics/{topic.id}/comments", {"body": "一"})
        resp = client.post(f"/c/T01/topics/{topic.id}/comments", {"body": "二"})
    finally:
        del app.config["COMMENT_RATE_COUNT"]
    assert resp.status_code == 400 and "Please wait a little" in text(resp)
    assert count(Comment) == 1


def test_no_comment_form_for_the_city_and_on_closed_topics(as_user, community, topic, people):
    make_comment(topic, people["owner"])
    client = as_user(people["city"])
    html = text(client.get(f"/c/T01/topics/{topic.id}"))
    assert 'id="comment-form"' not in html and ">Reply<" not in html
    assert "Residents and staff of this community can take part" in html
    closed = make_topic(community, status="closed")
    client = as_user(people["owner"])
    html = text(client.get(f"/c/T01/topics/{closed.id}"))
    assert 'id="comment-form"' not in html and "discussion of this topic is closed" in html


# --- reports and moderation ------------------------------------------------------------------


def test_report_a_comment_once(as_user, client, topic, people):
    c = make_comment(topic, people["tenant"], "不当言论")
    client.login(people["owner"])
    resp = client.post(f"/c/T01/topics/{topic.id}/comments/{c.id}/report", {"reason": "骂人"})
    assert resp.status_code == 302
    html = text(client.get(resp.headers["Location"]))
    assert "The committee will look at this comment." in html
    assert "You reported it" in html
    again = client.post(f"/c/T01/topics/{topic.id}/comments/{c.id}/report", {})
    assert again.status_code == 302
    assert "already reported" in text(client.get(again.headers["Location"]))
    assert count(CommentReport) == 1
    # The committee was told once, and sees the count next to the comment.
    client = as_user(people["committee"])
    inbox = db.session.scalars(select(Message).where(Message.user_id == people["committee"].id))
    assert len(list(inbox)) == 1
    assert "Reported 1 time" in text(client.get(f"/c/T01/topics/{topic.id}"))


def test_no_report_button_on_ones_own_comment(client, topic, people):
    mine = make_comment(topic, people["owner"], "我的意见")
    client.login(people["owner"])
    html = text(client.get(f"/c/T01/topics/{topic.id}"))
    assert f"/comments/{mine.id}/report" not in html
    assert client.get(f"/c/T01/topics/{topic.id}/comments/{mine.id}/report").status_code == 403


@pytest.mark.parametrize(
    "code,label",
    [
        ("off_topic", "Off-topic"),
        ("abusive", "Abusive"),
        ("personal_data", "Personal data"),
        ("spam", "Spam or advertising"),
    ],
)
def test_hidden_comment_shows_the_reason_not_the_text(as_user, client, topic, people, code, label):
    c = make_comment(topic, people["tenant"], "秘密内容13812345678")
    client.login(people["committee"])
    form = text(client.get(f"/c/T01/topics/{topic.id}/comments/{c.id}/hide"))
    assert f'value="{code}"' in form and label in form
    resp = client.post(
        f"/c/T01/topics/{topic.id}/comments/{c.id}/hide",
        {"reason_code": code, "text": "请勿公开电话"},
    )
    assert resp.status_code == 302
    committee_view = text(client.get(f"/c/T01/topics/{topic.id}"))
    assert f"Hidden by the committee: {label}" in committee_view
    assert "秘密内容13812345678" in committee_view  # the committee still sees the text
    assert "Show again" in committee_view

    client = as_user(people["owner"])
    resident_view = text(client.get(f"/c/T01/topics/{topic.id}"))
    assert f"Hidden by the committee: {label}" in resident_view
    assert "请勿公开电话" in resident_view
    assert "秘密内容" not in resident_view and "13812345678" not in resident_view
    assert "Show again" not in resident_view


def test_hide_without_a_reason_is_refused_with_the_form(client, topic, people):
    c = make_comment(topic, people["tenant"], "内容")
    client.login(people["committee"])
    resp = client.post(f"/c/T01/topics/{topic.id}/comments/{c.id}/hide", {"reason_code": "x"})
    assert resp.status_code == 400 and "Please choose a reason." in text(resp)
    db.session.refresh(c)
    assert c.hidden_at is None


def test_restore_shows_the_comment_again(as_user, client, topic, people):
    c = make_comment(topic, people["tenant"], "恢复的内容")
    c.hidden_at, c.hidden_reason_code = utcnow(), "spam"
    db.session.commit()
    client.login(people["committee"])
    resp = client.post(f"/c/T01/topics/{topic.id}/comments/{c.id}/restore", {})
    assert resp.status_code == 302
    client = as_user(people["owner"])
    html = text(client.get(f"/c/T01/topics/{topic.id}"))
    assert "恢复的内容" in html and "Hidden by the committee" not in html


# --- the committee's topic pages -------------------------------------------------------------


def test_committee_writes_attaches_and_posts_a_topic(as_user, client, app, people):
    client.login(people["committee"])
    resp = client.post(
        "/c/T01/topics/new",
        {
            "title": "屋面防水改造",
            "body": "方案说明",
            "notice_days": "15",
            "attachments": [
                (io.BytesIO(png_bytes()), "屋面.png"),
                (io.BytesIO(PDF), "预算.pdf"),
            ],
        },
        content_type="multipart/form-data",
    )
    assert resp.status_code == 302, text(resp)
    topic = db.session.scalars(select(Topic)).one()
    assert topic.status == "draft" and topic.notice_days == 15
    photo, pdf = db.session.scalars(select(TopicAttachment).order_by(TopicAttachment.id))
    page = text(client.get(f"/c/T01/topics/{topic.id}"))
    assert "Draft" in page and "预算.pdf" in page and "Post the topic" in page
    got = client.get(f"/c/T01/topics/{topic.id}/files/{pdf.id}")
    assert got.status_code == 200 and got.mimetype == "application/pdf" and got.data == PDF
    thumb = client.get(f"/c/T01/topics/{topic.id}/files/{photo.id}/thumb")
    assert thumb.status_code == 200 and thumb.mimetype in ("image/jpeg", "image/png")
    assert "private" in thumb.headers["Cache-Control"]

    # Residents see neither the draft nor its files.
    client = as_user(people["owner"])
    assert client.get(f"/c/T01/topics/{topic.id}").status_code == 403
    assert client.get(f"/c/T01/topics/{topic.id}/files/{pdf.id}").status_code == 403
    client = as_user(people["committee"])
    resp = client.post(f"/c/T01/topics/{topic.id}/post", {})
    assert resp.status_code == 302
    db.session.refresh(topic)
    assert topic.status == "posted" and topic.posted_at is not None
    notice = db.session.scalars(select(Notice)).one()
    assert notice.link == f"/c/T01/topics/{topic.id}"
    # Posted: the edit page is closed and the residents get the file.
    assert client.get(f"/c/T01/topics/{topic.id}/edit").status_code == 403
    client = as_user(people["owner"])
    assert client.get(f"/c/T01/topics/{topic.id}/files/{pdf.id}").data == PDF


def test_a_fake_pdf_is_refused_on_the_form(client, people):
    client.login(people["committee"])
    resp = client.post(
        "/c/T01/topics/new",
        {
            "title": "议题",
            "notice_days": "7",
            "attachments": [(io.BytesIO(b"MZ\x90\x00 not a pdf"), "方案.pdf")],
        },
        content_type="multipart/form-data",
    )
    assert resp.status_code == 400 and "PDF" in text(resp)
    assert count(Topic) == 0 and count(TopicAttachment) == 0


def test_notice_period_below_the_minimum_is_refused_on_the_form(client, people):
    client.login(people["committee"])
    resp = client.post("/c/T01/topics/new", {"title": "议题", "notice_days": "3"})
    assert resp.status_code == 400 and "notice period is 7 to 90 days" in text(resp)
    assert count(Topic) == 0


def test_closing_during_the_notice_period_is_refused(client, topic, people):
    client.login(people["committee"])
    # The button is not offered, and a crafted request is refused.
    assert "Close the discussion" not in text(client.get(f"/c/T01/topics/{topic.id}"))
    assert client.post(f"/c/T01/topics/{topic.id}/close", {}).status_code == 403
    db.session.refresh(topic)
    assert topic.status == "posted"


def test_attachment_of_another_topic_is_not_served(client, community, people, scene):
    other = make_topic(community, title="别的议题")
    client.login(people["owner"])
    url = f"/c/T01/topics/{other.id}/files/{scene['photo'].id}"
    assert client.get(url).status_code == 404


def test_votes_on_the_topic_are_listed(as_user, community, topic, people):
    pytest.importorskip("participation.voting.services")
    from participation.voting import services as voting

    topic.posted_at = utcnow() - 10 * DAY
    db.session.commit()
    voting.create_vote(
        people["committee"],
        topic,
        title="是否同意加装电梯",
        question="是否同意？",
        rule="ordinary",
        opens_at=utcnow() + DAY,
        closes_at=utcnow() + 10 * DAY,
    )
    db.session.commit()
    client = as_user(people["committee"])
    assert "是否同意加装电梯" in text(client.get(f"/c/T01/topics/{topic.id}"))
    client = as_user(people["owner"])  # a draft vote is for the committee's eyes
    html = text(client.get(f"/c/T01/topics/{topic.id}"))
    assert "是否同意加装电梯" not in html and "No vote on this topic yet." in html
