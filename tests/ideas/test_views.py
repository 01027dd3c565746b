"""Idea pages through the test client: the list without a query per row, posting with photos
and refusals, one-tap support with and without htmx, moderation, promotion, and every page by
every role."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from participation.core.models import Message
from participation.extensions import db
from participation.ideas import services
from participation.ideas.models import Idea, IdeaPhoto, IdeaSupport
from participation.plan.models import MenuItem

from .helpers import (
    count,
    count_queries,
    jpeg_bytes,
    make_idea,
    png_zip_polyglot,
    selects,
    stored_files,
    text,
)

HX = {"HX-Request": "true"}


def url(community, tail: str = "") -> str:
    return f"/c/{community.code}/ideas{tail}"


def files(*items):
    import io

    return [(io.BytesIO(data), name) for data, name in items]


# --- the list --------------------------------------------------------------------------------


def test_list_sorted_by_support_or_newest_with_counts(client, community, people):
    low = make_idea(community, people["owner"], title="石凳", supports=2, days_ago=1)
    high = make_idea(community, people["family"], title="口袋花园", supports=9, days_ago=3)
    make_idea(community, people["tenant"], title="撤回的", status="withdrawn")
    client.login(people["neighbour"])
    html = text(client.get(url(community)))
    assert html.index("口袋花园") < html.index("石凳")
    assert "9 supporters" in html and "2 supporters" in html
    assert "撤回的" not in html
    html = text(client.get(url(community, "?sort=new")))
    assert html.index("石凳") < html.index("口袋花园")
    assert f'id="idea-{low.id}"' in html and f'id="idea-{high.id}"' in html


def test_my_ideas_include_the_withdrawn(client, community, people):
    make_idea(community, people["tenant"], title="撤回的", status="withdrawn")
    make_idea(community, people["owner"], title="别人的")
    client.login(people["tenant"])
    html = text(client.get(url(community, "?mine=1")))
    assert "撤回的" in html and "Withdrawn by its author" in html and "别人的" not in html


def test_the_list_makes_no_query_per_idea(client, community, people):
    from participation.ideas.models import IdeaPhoto as Photo

    def fill(n):
        for i in range(n):
            idea = make_idea(community, people["family"], title=f"创意{i}", supports=i)
            db.session.add(Photo(idea_id=idea.id, name="ideas/x.jpg", thumb="ideas/x.thumb.jpg"))
        db.session.commit()

    client.login(people["owner"])
    fill(2)
    db.session.expire_all()  # both measured requests start from a cold session
    with count_queries() as few:
        assert client.get(url(community)).status_code == 200
    fill(12)
    db.session.expire_all()
    with count_queries() as many:
        html = text(client.get(url(community)))
    assert html.count('class="idea-card') == 14
    assert len(selects(many)) == len(selects(few)), "\n".join(
        s[:150].replace("\n", " ") for s in selects(many)
    )


def test_hidden_ideas_show_the_reason_to_residents_and_the_text_to_the_committee(
    client, other_client, community, people
):
    idea = make_idea(community, people["family"], title="某某家违建", body="电话13912345678")
    services_hide(people, idea)
    client.login(people["owner"])
    html = text(client.get(url(community)))
    assert "Hidden by the committee: Personal data (写了电话)" in html
    assert "某某家违建" not in html and "13912345678" not in text(
        client.get(url(community, f"/{idea.id}"))
    )
    other_client.login(people["committee"])
    html = text(other_client.get(url(community, f"/{idea.id}")))
    assert "某某家违建" in html and "13912345678" in html and "Show again" in html


def services_hide(people, idea):
    with_ctx(lambda: services.hide_idea(people["committee"], idea, "personal_data", "写了电话"))


def with_ctx(fn):
    from flask import current_app

    with current_app.test_request_context():
        fn()
        db.session.commit()


# --- posting ----------------------------------------------------------------------------------


def test_a_resident_posts_an_idea_with_a_photo(client, community, people):
    client.login(people["tenant"])
    page = text(client.get(url(community, "/new")))
    assert 'enctype="multipart/form-data"' in page and "Building 1" in page
    resp = client.post(
        url(community, "/new"),
        {
            "title": "车棚加装照明",
            "body": "晚上车棚太黑,希望装两盏灯。",
            "place": "5幢北侧",
            "photos": files((jpeg_bytes(gps=True), "shed.jpg")),
        },
        content_type="multipart/form-data",
    )
    assert resp.status_code == 302
    idea = db.session.scalar(select(Idea))
    assert resp.headers["Location"].endswith(url(community, f"/{idea.id}"))
    html = text(client.get(resp.headers["Location"]))
    assert "车棚加装照明" in html and "Where: 5幢北侧" in html and "Edit my idea" in html
    photo = db.session.scalar(select(IdeaPhoto))
    img = client.get(url(community, f"/{idea.id}/photos/{photo.id}"))
    assert img.status_code == 200 and img.mimetype == "image/jpeg"
    assert "private" in img.headers["Cache-Control"]


@pytest.mark.parametrize(
    "data,message",
    [
        ({"title": "", "body": "内容"}, "Please give your idea a short title."),
        ({"title": "标题", "body": "  "}, "Please describe your idea."),
        (
            {"title": "标题", "body": "内容", "photos": [(b"%PDF-1.4", "a.pdf")]},
            "This file is not a photo we can read",
        ),
        (
            {"title": "标题", "body": "内容", "photos": [(png_zip_polyglot(), "a.png")]},
            "it has an archive inside",
        ),
        (
            {
                "title": "标题",
                "body": "内容",
                "photos": [(jpeg_bytes(), f"{n}.jpg") for n in range(4)],
            },
            "An idea can have at most 3 photos.",
        ),
    ],
)
def test_bad_input_is_refused_with_a_message_and_nothing_written(
    client, community, people, data, message
):
    client.login(people["owner"])
    if "photos" in data:
        data = {**data, "photos": files(*data["photos"])}
    resp = client.post(url(community, "/new"), data, content_type="multipart/form-data")
    assert resp.status_code == 400
    assert message in text(resp)
    assert 'aria-invalid="true"' in text(resp)
    assert count(Idea) == 0 and count(IdeaPhoto) == 0 and stored_files() == set()


def test_an_oversized_photo_is_refused(client, app, community, people, monkeypatch):
    monkeypatch.setitem(app.config, "IDEA_PHOTO_MAX_BYTES", 1024 * 1024)
    client.login(people["owner"])
    big = jpeg_bytes() + b"\x00" * (1024 * 1024)
    resp = client.post(
        url(community, "/new"),
        {"title": "标题", "body": "内容", "photos": files((big, "big.jpg"))},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 400 and "The file is too large (at most 1 MB)." in text(resp)
    assert count(Idea) == 0 and stored_files() == set()


def test_refusals_are_in_chinese_for_a_chinese_reader(client, community, people):
    client.set_cookie("lang", "zh_Hans")
    client.login(people["owner"])
    resp = client.post(url(community, "/new"), {"title": "", "body": "内容"})
    assert resp.status_code == 400 and "请给您的创意起一个简短的标题。" in text(resp)


def test_the_author_edits_removes_a_photo_and_withdraws(client, community, people):
    client.login(people["owner"])
    client.post(
        url(community, "/new"),
        {"title": "旧标题", "body": "内容", "photos": files((jpeg_bytes(), "a.jpg"))},
        content_type="multipart/form-data",
    )
    idea = db.session.scalar(select(Idea))
    resp = client.post(url(community, f"/{idea.id}/edit"), {"title": "新标题", "body": "新内容"})
    assert resp.status_code == 302
    db.session.refresh(idea)
    assert idea.title == "新标题"
    photo = db.session.scalar(select(IdeaPhoto))
    client.post(url(community, f"/{idea.id}/photos/{photo.id}/delete"))
    assert count(IdeaPhoto) == 0 and stored_files() == set()
    confirm = text(client.get(url(community, f"/{idea.id}/withdraw")))
    assert "Withdraw my idea?" in confirm and "No, keep it" in confirm
    assert db.session.get(Idea, idea.id).status == "open"  # asking changes nothing
    resp = client.post(url(community, f"/{idea.id}/withdraw"))
    html = text(client.get(resp.headers["Location"]))
    assert "Your idea is withdrawn." in html and "Its author withdrew this idea." in html
    assert client.get(url(community, f"/{idea.id}/edit")).status_code == 403


# --- support ----------------------------------------------------------------------------------


def test_support_without_javascript_then_take_it_back(client, community, people):
    idea = make_idea(community, people["family"], supports=0)
    client.login(people["owner"])
    resp = client.post(url(community, f"/{idea.id}/support"), {"do": "add", "back": "list"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"#idea-{idea.id}")
    client.post(url(community, f"/{idea.id}/support"), {"do": "add"})  # a double tap
    assert count(IdeaSupport) == 1
    db.session.refresh(idea)
    assert idea.support_count == 1
    html = text(client.get(url(community)))
    assert "You support it" in html and 'name="do" value="remove"' in html
    client.post(url(community, f"/{idea.id}/support"), {"do": "remove", "back": "detail"})
    db.session.refresh(idea)
    assert idea.support_count == 0 and count(IdeaSupport) == 0


def test_support_with_htmx_answers_with_the_fragment(client, community, people):
    idea = make_idea(community, people["family"], supports=4)
    client.login(people["tenant"])
    resp = client.post(url(community, f"/{idea.id}/support"), {"do": "add"}, headers=HX)
    html = text(resp)
    assert resp.status_code == 200 and "<html" not in html
    assert f'id="support-{idea.id}"' in html and "5 supporters" in html
    assert "You support it" in html and 'id="support-status"' in html and "hx-swap-oob" in html


def test_the_author_cannot_support_their_own(client, community, people):
    idea = make_idea(community, people["family"])
    client.login(people["family"])
    assert "Your idea: neighbours can support it." in text(client.get(url(community)))
    resp = client.post(url(community, f"/{idea.id}/support"), {"do": "add"}, headers=HX)
    assert "This is your own idea" in text(resp) and count(IdeaSupport) == 0


def test_support_needs_the_csrf_token(client, community, people):
    idea = make_idea(community, people["family"])
    client.login(people["owner"])
    resp = client.post(url(community, f"/{idea.id}/support"), {"do": "add"}, csrf=False)
    assert resp.status_code == 400 and count(IdeaSupport) == 0


# --- moderation and promotion -------------------------------------------------------------


def test_report_then_the_committee_hides_and_restores(client, other_client, community, people):
    idea = make_idea(community, people["family"])
    client.login(people["owner"])
    resp = client.post(url(community, f"/{idea.id}/report"), {"reason": "广告"})
    assert "Thank you." in text(client.get(resp.headers["Location"]))
    assert "You reported it." in text(client.get(url(community, f"/{idea.id}")))
    other_client.login(people["committee"])
    assert "Reported 1 time" in text(other_client.get(url(community, f"/{idea.id}")))
    resp = other_client.post(url(community, f"/{idea.id}/hide"), {"text": "x"})
    assert resp.status_code == 400 and "Please choose a reason." in text(resp)
    resp = other_client.post(url(community, f"/{idea.id}/hide"), {"reason_code": "spam"})
    assert resp.status_code == 302
    db.session.refresh(idea)
    assert idea.hidden_reason_code == "spam"
    assert "Hidden by the committee: Spam or advertising" in text(client.get(url(community)))
    other_client.post(url(community, f"/{idea.id}/restore"))
    db.session.refresh(idea)
    assert idea.hidden_at is None


def test_the_committee_promotes_an_idea_into_the_menu(client, other_client, community, people):
    idea = make_idea(community, people["tenant"], title="楼道口加扶手", supports=12)
    client.login(people["committee"])
    form = text(client.get(url(community, f"/{idea.id}/promote")))
    assert 'value="楼道口加扶手"' in form and idea.body in form
    resp = client.post(
        url(community, f"/{idea.id}/promote"),
        {
            "category": "improvement",
            "name_zh": "楼道口加扶手",
            "description_zh": idea.body,
            "cost_basis": "total",
            "cost_amount": "-1",
        },
    )
    assert resp.status_code == 400 and "The cost cannot be negative." in text(resp)
    resp = client.post(
        url(community, f"/{idea.id}/promote"),
        {
            "category": "improvement",
            "name_zh": "楼道口加扶手",
            "description_zh": idea.body,
            "cost_basis": "none",
        },
    )
    assert resp.status_code == 302
    item = db.session.scalar(select(MenuItem).where(MenuItem.key.is_(None)))
    assert item.name_zh == "楼道口加扶手"
    other_client.login(people["tenant"])
    html = text(other_client.get(url(community, f"/{idea.id}")))
    assert "The committee added this idea to the renovation menu." in html
    assert f"/c/{community.code}/plan/menu#item-{item.id}" in html
    assert "Edit my idea" not in html and "Withdraw my idea" not in html
    inbox = db.session.scalars(select(Message).where(Message.user_id == people["tenant"].id))
    assert [m.params["title"] for m in inbox] == ["楼道口加扶手"]
    assert "楼道口加扶手" in text(other_client.get(f"/c/{community.code}/plan/menu"))


# --- every page, every role ---------------------------------------------------------------

ROLES = (
    "anon",
    "owner",
    "family",
    "tenant",
    "committee",
    "property",
    "contractor",
    "city",
    "outsider",
)
# GET status of each page on a neighbour's open idea (302: to the login page).
PAGES = {
    #                    anon owner family tenant comm prop contr city outsider
    "": (302, 200, 200, 200, 200, 200, 200, 200, 403),
    "/new": (302, 200, 200, 200, 403, 403, 403, 403, 403),
    "/{id}": (302, 200, 200, 200, 200, 200, 200, 200, 403),
    "/{id}/edit": (302, 403, 403, 403, 403, 403, 403, 403, 403),
    "/{id}/withdraw": (302, 403, 403, 403, 403, 403, 403, 403, 403),
    "/{id}/report": (302, 200, 200, 200, 200, 200, 200, 403, 403),
    "/{id}/hide": (302, 403, 403, 403, 200, 403, 403, 403, 403),
    "/{id}/promote": (302, 403, 403, 403, 200, 403, 403, 403, 403),
}


@pytest.mark.parametrize("role", ROLES)
def test_every_page_by_every_role(app, client, community, people, role):
    idea = make_idea(community, people["neighbour"])
    if role != "anon":
        client.login(people[role])
    got = {}
    for page in PAGES:
        got[page] = client.get(url(community, page.format(id=idea.id))).status_code
    assert got == {page: codes[ROLES.index(role)] for page, codes in PAGES.items()}
    posted = client.post(url(community, f"/{idea.id}/support"), {"do": "add"})
    supported = count(IdeaSupport) == 1
    assert supported == (role in ("owner", "family", "tenant")), (role, posted.status_code)


def test_pages_carry_no_inline_script_or_style(client, community, people):
    idea = make_idea(community, people["neighbour"])
    client.login(people["committee"])
    for page in ("", f"/{idea.id}", f"/{idea.id}/promote", f"/{idea.id}/hide"):
        html = text(client.get(url(community, page)))
        assert not re.search(r"<script(?![^>]*\bsrc=)", html)
        assert " style=" not in html
