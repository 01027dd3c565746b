"""Step 1's discussion in the browser: a resident reads a topic, comments (htmx appends it
without a reload), reports a neighbour's comment; the committee hides it with a reason and the
resident sees the reason in its place. axe-core on every page, and the tap-target and text rules
in normal and elder mode. SCREENSHOTS=1 saves PNGs to screenshots/."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from sqlalchemy import select

from participation.config import ROOT
from participation.consult.models import Comment, Topic
from participation.core.models import Community, User
from participation.core.timeutil import utcnow
from participation.extensions import db
from tests import factories
from tests.e2e.support import check_elder_page, check_normal_page, screenshot, zh

SHOTS = ROOT / "screenshots"
ABUSE = "楼上那个人就是个骗子,大家别信他!"


def make_topic(data, code: str, committee_phone: str | None = None) -> tuple[int, str]:
    """A topic posted two days ago with a neighbour's comment and a committee reply; returns
    (topic id, the neighbour's phone)."""
    with data.ctx():
        comm = db.session.scalar(select(Community).where(Community.code == code))
        neighbour = factories.resident(db.session, comm, "tenant")
        committee = (
            db.session.scalar(select(User).where(User.phone == committee_phone))
            if committee_phone
            else None
        )
        topic = Topic(
            community_id=comm.id,
            title="一单元加装电梯议题",
            body="拟在一单元加装电梯。\n费用按楼层系数分摊,请大家发表意见。",
            status="posted",
            notice_days=7,
            posted_at=utcnow() - timedelta(days=2),
        )
        db.session.add(topic)
        db.session.flush()
        first = Comment(
            topic_id=topic.id,
            user_id=neighbour.id,
            body="支持加装,我家老人上下楼太难了。",
            created_at=utcnow() - timedelta(days=1),
        )
        db.session.add(first)
        db.session.flush()
        if committee is not None:
            db.session.add(
                Comment(
                    topic_id=topic.id,
                    user_id=committee.id,
                    parent_id=first.id,
                    body="谢谢,下周会公布费用测算。",
                    created_at=utcnow() - timedelta(hours=20),
                )
            )
        db.session.add(
            Comment(
                topic_id=topic.id,
                user_id=neighbour.id,
                body=ABUSE,
                created_at=utcnow() - timedelta(hours=3),
            )
        )
        db.session.commit()
        return topic.id, neighbour.phone


@pytest.mark.parametrize("elder", ["0", "1"])
def test_resident_comments_and_reports_committee_hides(page, data, axe, login, base_url, elder):
    estate = data.community()
    committee = data.committee()
    resident = data.resident()
    topic_id, _neighbour = make_topic(data, estate.code, committee)
    page.context.add_cookies([{"name": "elder", "value": elder, "url": base_url}])
    check = check_elder_page if elder == "1" else check_normal_page
    save = os.environ.get("SCREENSHOTS") == "1"
    problems: list[str] = []

    def screen(name: str) -> None:
        axe(page, name)
        problems.extend(check(page))
        if save:
            SHOTS.mkdir(exist_ok=True)
            screenshot(page, SHOTS / f"consult-{'elder' if elder == '1' else 'zh'}-{name}.png")
            # A screenshot leaves style="" on form fields, which htmx would copy onto the
            # fields it swaps in (blocked by the CSP); a reload starts the page clean.
            page.reload()

    topic_url = f"/c/{estate.code}/topics/{topic_id}"

    # The resident finds the topic from the community home.
    login(page, resident)
    page.goto(f"/c/{estate.code}/")
    page.locator(f"main a[href='/c/{estate.code}/topics']").click()
    page.wait_for_url(f"**/c/{estate.code}/topics")
    screen("list")
    page.locator(f"main a[href='{topic_url}']").click()
    page.wait_for_url(f"**{topic_url}")
    assert page.locator("main h1").inner_text() == "一单元加装电梯议题"
    assert page.locator("main .period").is_visible()
    assert page.locator("#comments > li.comment").count() == 2
    screen("topic")

    # A comment, posted in place by htmx: the page is not reloaded.
    page.evaluate("window.__same_page = true")
    page.locator("#comment-submit").click()  # empty: refused in place, with the reason
    page.locator("#comment-form .error").wait_for()
    assert page.locator("#body").get_attribute("aria-invalid") == "true"
    assert page.locator("#comments > li.comment").count() == 2
    page.locator("#body").fill("同意加装,希望尽快施工。")
    page.locator("#comment-submit").click()
    mine = page.locator("#comments > li.comment", has_text="同意加装,希望尽快施工。")
    mine.wait_for()
    assert page.evaluate("window.__same_page === true")
    assert page.locator("#body").input_value() == ""  # a fresh form came back
    assert mine.locator("a", has_text=zh("Report")).count() == 0  # not one's own
    screen("commented")

    # A reply, in place too.
    page.evaluate("window.__same_page = true")
    thread = page.locator("#comments > li.comment").first
    thread.locator(".comment-actions a", has_text=zh("Reply")).first.click()
    reply_box = thread.locator(".reply-slot textarea")
    reply_box.wait_for()
    reply_box.fill("我也同意。")
    thread.locator(".reply-slot button").click()
    thread.locator(".replies li", has_text="我也同意。").wait_for()
    assert page.evaluate("window.__same_page === true")
    assert thread.locator(".reply-slot textarea").count() == 0

    # Report the abusive comment.
    abusive = page.locator("#comments > li.comment", has_text=ABUSE)
    abusive.locator("a", has_text=zh("Report")).click()
    page.wait_for_url("**/report")
    screen("report")
    page.locator("#reason").fill("人身攻击")
    with page.expect_navigation():
        page.locator("main form button").click()
    assert page.locator(".flash-success").is_visible()
    assert abusive.locator(".done").is_visible()  # "you reported it"
    page.goto("/me")
    with page.expect_navigation():
        page.locator("main form[action='/logout'] button").click()

    # The committee sees the report and hides the comment with a reason.
    login(page, committee)
    page.goto(topic_url)
    abusive = page.locator("#comments > li.comment", has_text=ABUSE)
    assert abusive.locator(".tag-warn").is_visible()
    abusive.locator("a", has_text=zh("Hide")).click()
    page.wait_for_url("**/hide")
    screen("hide")
    page.locator("input[name='reason_code'][value='abusive']").check()
    page.locator("#text").fill("请文明讨论")
    with page.expect_navigation():
        page.locator("main form button").click()
    hidden = page.locator("#comments > li.comment-hidden")
    assert hidden.locator(".hidden-note").is_visible()
    assert ABUSE in hidden.inner_text()  # the committee still sees the text
    screen("moderated")
    page.goto("/me")
    with page.expect_navigation():
        page.locator("main form[action='/logout'] button").click()

    # Residents see the reason in its place, not the text.
    login(page, resident)
    page.goto(topic_url)
    note = page.locator("#comments > li.comment-hidden .hidden-note")
    assert "请文明讨论" in note.inner_text()
    assert ABUSE not in page.locator("main").inner_text()
    screen("hidden")

    assert not problems, "\n".join(problems)


def test_comment_without_javascript_posts_and_comes_back(browser, data, base_url):
    """The same form works with JavaScript off: it posts, and the page comes back at the
    new comment."""
    from tests.e2e.support import CONTEXT_ARGS, login

    estate = data.community()
    resident = data.resident()
    topic_id, _ = make_topic(data, estate.code)
    context = browser.new_context(**CONTEXT_ARGS, base_url=base_url, java_script_enabled=False)
    page = context.new_page()
    try:
        login(page, resident)
        page.goto(f"/c/{estate.code}/topics/{topic_id}")
        page.locator("#body").fill("没有脚本也能发。")
        with page.expect_navigation():
            page.locator("#comment-submit").click()
        assert "#c" in page.url
        assert page.locator("#comments li.comment", has_text="没有脚本也能发。").is_visible()
        # Reply through its own page.
        page.locator(".comment-actions a", has_text=zh("Reply")).first.click()
        page.wait_for_url("**/reply")
        page.locator("main textarea").fill("回复也可以。")
        with page.expect_navigation():
            page.locator("main form button").click()
        assert page.locator(".replies li", has_text="回复也可以。").is_visible()
    finally:
        context.close()
