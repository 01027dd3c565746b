"""Residents' ideas in the browser at 390×844: a resident posts an idea with a photo (an empty
one is refused next to the field first), a neighbour supports it with one tap (htmx, no reload),
the committee adds it to the renovation menu and the idea then says so with a link. axe-core on
every page and the tap-target and text rules, in Chinese, in English and in elder mode.
SCREENSHOTS=1 saves PNGs to screenshots/."""

from __future__ import annotations

import io
import os

import pytest
from PIL import Image
from sqlalchemy import select

from participation.config import ROOT
from participation.core.models import Community, Message, Unit, User
from participation.extensions import db
from participation.ideas.models import Idea, IdeaSupport
from tests import factories
from tests.e2e.support import CONTEXT_ARGS, check_elder_page, check_normal_page, screenshot, zh

SHOTS = ROOT / "screenshots"
TITLE = "大槐树下放几张石凳"
BODY = "树下很阴凉，下午老人都自己带小板凳去坐。\n放几张石凳，再装一盏路灯。"


def neighbour(data, code: str = "T01") -> str:
    """A tenant of another unit: the one who supports the idea."""
    with data.ctx():
        comm = db.session.scalar(select(Community).where(Community.code == code))
        unit = db.session.scalars(
            select(Unit).where(Unit.community_id == comm.id).order_by(Unit.id)
        ).all()[2]
        return factories.resident(db.session, comm, "tenant", unit).phone


def photo_file(tmp_path) -> str:
    image = Image.new("RGB", (1200, 900), (90, 140, 80))
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (30.0, 15.0, 0.0), 3: "E", 4: (120.0, 10.0, 0.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    path = tmp_path / "tree.jpg"
    path.write_bytes(out.getvalue())
    return str(path)


def logout(page) -> None:
    page.goto("/me")
    with page.expect_navigation():
        page.locator("main form[action='/logout'] button").click()


@pytest.mark.parametrize("mode", ["zh", "en", "elder"])
def test_post_support_and_promote_an_idea(page, data, axe, login, base_url, tmp_path, mode):
    estate = data.community()
    committee = data.committee()
    author = data.resident()
    supporter = neighbour(data)
    cookies = [{"name": "elder", "value": "1" if mode == "elder" else "0", "url": base_url}]
    if mode == "en":
        cookies.append({"name": "lang", "value": "en", "url": base_url})
    page.context.add_cookies(cookies)
    t = (lambda msgid: msgid) if mode == "en" else zh
    check = check_elder_page if mode == "elder" else check_normal_page
    save = os.environ.get("SCREENSHOTS") == "1"
    problems: list[str] = []
    ideas_url = f"/c/{estate.code}/ideas"

    def screen(name: str) -> None:
        axe(page, name)
        problems.extend(check(page))
        if save:
            SHOTS.mkdir(exist_ok=True)
            screenshot(page, SHOTS / f"ideas-{mode}-{name}.png")
            page.reload()  # a screenshot leaves style="" behind, which htmx would copy

    # The author finds the ideas from the community home and posts one.
    login(page, author)
    page.goto(f"/c/{estate.code}/")
    page.locator(f"main a[href='{ideas_url}']").click()
    page.wait_for_url(f"**{ideas_url}")
    assert page.locator("main h1").inner_text() == t("Residents’ ideas")
    screen("list-empty")
    page.locator("main a", has_text=t("Post an idea")).click()
    page.wait_for_url("**/ideas/new")
    screen("form")
    with page.expect_navigation():
        page.locator("#idea-submit").click()  # empty: refused next to the field
    assert page.locator("#title-err").inner_text().strip() == t(
        "Please give your idea a short title."
    )
    assert page.locator("#title").get_attribute("aria-invalid") == "true"
    screen("form-error")
    page.locator("#title").fill(TITLE)
    page.locator("#body").fill(BODY)
    building_1 = t("Building %(name)s").replace("%(name)s", "1")
    page.locator(".building-choices label.choice", has_text=building_1).click()
    page.locator("#place").fill("2幢和3幢之间")
    page.locator("#photos").set_input_files(photo_file(tmp_path))
    with page.expect_navigation():
        page.locator("#idea-submit").click()
    assert page.locator("main h1").inner_text() == TITLE
    assert page.locator(".flash-success").is_visible()
    assert page.locator("main .photos img").count() == 1
    assert page.locator("main .support-own").is_visible()  # not one's own to support
    assert building_1 in page.locator("main .idea-place").inner_text()
    screen("posted")
    logout(page)

    # A neighbour supports it from the list with one tap: swapped in place, no reload.
    login(page, supporter)
    page.goto(ideas_url)
    card = page.locator("main .idea-card", has_text=TITLE)
    assert card.locator(".idea-thumb").is_visible()
    screen("list")
    page.evaluate("window.__same_page = true")
    card.locator(".support-btn").click()
    card.locator(".support-on").wait_for()
    assert page.evaluate("window.__same_page === true")
    assert "1" in card.locator(".support-count").inner_text()
    assert page.locator("#support-status").inner_text().strip() != ""
    page.evaluate("window.__same_page = true")
    with data.ctx():
        assert db.session.scalar(select(IdeaSupport.id)) is not None
    screen("supported")
    logout(page)

    # The committee adds it to the renovation menu: the form starts from the idea.
    login(page, committee)
    page.goto(ideas_url)
    page.locator("main .idea-link", has_text=TITLE).click()
    page.wait_for_url("**/ideas/*")
    screen("detail-committee")
    page.locator("main a", has_text=t("Add to the renovation menu")).click()
    page.wait_for_url("**/promote")
    assert page.locator("#name_zh").input_value() == TITLE
    screen("promote")
    with page.expect_navigation():
        page.locator("main form button").click()
    box = page.locator("main .menu-box")
    assert t("The committee added this idea to the renovation menu.") in box.inner_text()
    screen("promoted")
    box.locator("a").click()
    page.wait_for_url("**/plan/menu*")
    assert page.locator("main .menu-item", has_text=TITLE).is_visible()

    with data.ctx():
        idea = db.session.scalar(select(Idea))
        assert idea.status == "promoted" and idea.support_count == 1
        author_id = db.session.scalar(select(User.id).where(User.phone == author))
        told = db.session.scalars(select(Message).where(Message.user_id == author_id)).all()
        assert [m.params["title"] for m in told] == [TITLE]
    assert not problems, "\n".join(problems)


def test_support_without_javascript(browser, data, base_url):
    """The same button works with JavaScript off: it posts, and the list comes back at the
    idea, supported."""
    from tests.e2e.support import login

    estate = data.community()
    author = data.resident()
    supporter = neighbour(data)
    with data.ctx():
        comm = db.session.scalar(select(Community).where(Community.code == estate.code))
        user = db.session.scalar(select(User).where(User.phone == author))
        db.session.add(
            Idea(community_id=comm.id, author_id=user.id, title=TITLE, body=BODY, status="open")
        )
        db.session.commit()
    context = browser.new_context(**CONTEXT_ARGS, base_url=base_url, java_script_enabled=False)
    page = context.new_page()
    try:
        login(page, supporter)
        page.goto(f"/c/{estate.code}/ideas")
        with page.expect_navigation():
            page.locator("main .support-btn").click()
        assert "#idea-" in page.url
        assert page.locator("main .support-on").is_visible()
        with page.expect_navigation():
            page.locator("main .support-btn").click()  # take it back
        assert page.locator("main .support-on").count() == 0
    finally:
        context.close()


def test_author_edits_and_withdraws_in_elder_mode(page, data, axe, login, base_url, tmp_path):
    """The author's own pages in elder mode: the edit form with a photo to remove, then the
    withdrawal, which asks on a page of its own first (no pop-up)."""
    estate = data.community()
    author = data.resident()
    page.context.add_cookies([{"name": "elder", "value": "1", "url": base_url}])
    problems: list[str] = []
    save = os.environ.get("SCREENSHOTS") == "1"

    def screen(name: str) -> None:
        axe(page, name)
        problems.extend(check_elder_page(page))
        if save:
            SHOTS.mkdir(exist_ok=True)
            screenshot(page, SHOTS / f"ideas-elder-{name}.png")
            page.reload()

    login(page, author)
    page.goto(f"/c/{estate.code}/ideas/new")
    page.locator("#title").fill(TITLE)
    page.locator("#body").fill(BODY)
    page.locator("#photos").set_input_files(photo_file(tmp_path))
    with page.expect_navigation():
        page.locator("#idea-submit").click()
    page.locator("main a", has_text=zh("Edit my idea")).click()
    page.wait_for_url("**/edit")
    assert page.locator("main .photo-row").count() == 1
    screen("edit")
    page.locator("#title").fill(TITLE + "和路灯")
    with page.expect_navigation():
        page.locator("#idea-submit").click()
    assert page.locator("main h1").inner_text() == TITLE + "和路灯"
    page.locator("main a", has_text=zh("Withdraw my idea")).click()
    page.wait_for_url("**/withdraw")
    screen("withdraw")
    with page.expect_navigation():
        page.locator("main form button").click()
    note = zh("Its author withdrew this idea. Only the author and the committee see it.")
    assert note in page.locator("main .notice-box").inner_text()
    assert page.locator("main a", has_text=zh("Edit my idea")).count() == 0
    screen("withdrawn")
    page.goto(f"/c/{estate.code}/ideas")
    assert page.locator("main .idea-card").count() == 0
    page.goto(f"/c/{estate.code}/ideas?mine=1&sort=new")
    assert page.locator("main .idea-card .tag-closed").is_visible()
    assert not problems, "\n".join(problems)
