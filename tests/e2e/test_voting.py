"""Voting in the browser, at phone size: (a) an owner votes in two taps (choose, confirm), sees
the receipt code and changes the vote, with htmx in place and without JavaScript; (b) the
committee enters a paper ballot, closes the vote early with a reason and opens the printable
result notice. axe-core on every page visited; the elder-mode rules (text ≥18px, targets ≥60px)
on the vote page. SCREENSHOTS=1 saves PNGs to screenshots/ (python -m tests.e2e.screens does
not run this file; run `SCREENSHOTS=1 pytest -m e2e tests/e2e/test_voting.py`)."""

from __future__ import annotations

import os
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from participation.config import ROOT
from participation.consult.models import Topic
from participation.core.models import Community, User
from participation.core.timeutil import utcnow
from participation.extensions import db
from participation.voting import services
from tests import factories
from tests.e2e.support import (
    CONTEXT_ARGS,
    check_elder_page,
    check_normal_page,
    screenshot,
    zh,
)

SHOTS = ROOT / "screenshots"
TITLE = "是否同意一单元加装电梯"


def make_vote(data, code: str, committee_phone: str, *, days: int = 7) -> int:
    """A topic posted ten days ago and an open vote on it (ordinary rule, whole community)."""
    with data.ctx():
        comm = db.session.scalar(select(Community).where(Community.code == code))
        committee = db.session.scalar(select(User).where(User.phone == committee_phone))
        topic = Topic(
            community_id=comm.id,
            title="一单元加装电梯议题",
            body="拟在一单元加装电梯,费用按楼层系数分摊。",
            status="posted",
            notice_days=7,
            posted_at=utcnow() - timedelta(days=10),
        )
        db.session.add(topic)
        db.session.flush()
        now = utcnow()
        vote = services.create_vote(
            committee,
            topic,
            title=TITLE,
            question="您是否同意在一单元加装电梯？费用按楼层系数分摊。",
            rule="ordinary",
            opens_at=now,
            closes_at=now + timedelta(days=days),
            turnout_public=True,
        )
        services.open_vote(committee, vote)
        db.session.commit()
        return vote.id


class Screens:
    """axe on every page, the mode's layout rules, and (SCREENSHOTS=1) a PNG."""

    def __init__(self, page, axe, prefix: str, elder: bool) -> None:
        self.page, self.axe, self.prefix, self.elder = page, axe, prefix, elder
        self.problems: list[str] = []
        self.save = os.environ.get("SCREENSHOTS") == "1"

    def __call__(self, name: str, layout: bool = True) -> None:
        self.axe(self.page, f"{self.prefix}/{name}")
        if layout:
            check = check_elder_page if self.elder else check_normal_page
            self.problems.extend(check(self.page))
        if self.save:
            SHOTS.mkdir(exist_ok=True)
            screenshot(self.page, SHOTS / f"vote-{self.prefix}-{name}.png")

    def assert_clean(self) -> None:
        assert not self.problems, "\n".join(self.problems)


@pytest.mark.parametrize("elder", ["0", "1"])
def test_owner_votes_in_two_taps_and_changes_the_vote(page, data, axe, login, base_url, elder):
    estate = data.community()
    committee = data.committee()
    owner = data.resident()  # the owner of 1-1-101, who also owns 1-1-102
    vote_id = make_vote(data, estate.code, committee)
    page.context.add_cookies([{"name": "elder", "value": elder, "url": base_url}])
    screen = Screens(page, axe, "elder" if elder == "1" else "zh", elder == "1")
    vote_url = f"/c/{estate.code}/votes/{vote_id}"

    # From the community home to the vote, as a resident would find it.
    login(page, owner)
    page.goto(f"/c/{estate.code}/")
    page.locator(f"main a[href='/c/{estate.code}/votes']").click()
    page.wait_for_url(f"**/c/{estate.code}/votes")
    screen("list")
    page.locator(f"main a[href='{vote_url}']").click()
    page.wait_for_url(f"**{vote_url}")
    assert page.locator("main h1").inner_text() == TITLE
    card = page.locator("main section.ballot")
    assert card.count() == 1
    assert "1-1-101, 1-1-102" in card.inner_text()  # what the ballot carries
    screen("vote")

    # Tap 1: the answer. The confirmation swaps in place (htmx), no reload.
    page.evaluate("window.__same_page = true")
    card.locator("button[value='agree']").click()
    confirm = page.locator("main section.ballot-confirm")
    confirm.wait_for()
    assert zh("Agree") in confirm.inner_text()
    assert "161.00" in confirm.inner_text()  # 2 homes × 80.50 m²
    screen("confirm")
    # Tap 2: confirm. The receipt comes back in place.
    confirm.locator("button.btn-confirm").click()
    code = page.locator("main .receipt-code")
    code.wait_for()
    receipt = code.inner_text().strip()
    assert len(receipt) == 9 and receipt[4] == "-"
    assert page.evaluate("window.__same_page === true")
    assert page.locator("main button[value='agree'][aria-current='true']").count() == 1
    assert "33.33%" in page.locator("#turnout").inner_text()  # 1 of 3 owners, out of band
    screen("receipt")

    # Change the vote: same two taps, same receipt code, "changed 1 time".
    page.locator("main button[value='disagree']").click()
    page.locator("main section.ballot-confirm button.btn-confirm").click()
    page.locator("main button[value='disagree'][aria-current='true']").wait_for()
    assert page.locator("main .receipt-code").inner_text().strip() == receipt
    assert page.locator("main .receipt .changes").is_visible()
    assert page.evaluate("window.__same_page === true")

    # "Back" from the confirmation step puts the answers back, nothing cast.
    page.locator("main button[value='abstain']").click()
    page.locator("main section.ballot-confirm a.btn-quiet").click()
    page.locator("main button[value='disagree'][aria-current='true']").wait_for()

    # The page as it comes from the server, after a reload.
    page.reload()
    assert page.locator("main .receipt-code").inner_text().strip() == receipt
    assert page.locator("main button[value='disagree'][aria-current='true']").count() == 1
    screen("changed")
    screen.assert_clean()


def test_owner_votes_without_javascript(browser, data, base_url):
    """The same two taps with JavaScript off: the answer posts to a confirmation page, the
    confirmation posts and comes back to the vote with the receipt."""
    from tests.e2e.support import login

    estate = data.community()
    committee = data.committee()
    owner = data.resident()
    vote_id = make_vote(data, estate.code, committee)
    context = browser.new_context(**CONTEXT_ARGS, base_url=base_url, java_script_enabled=False)
    page = context.new_page()
    try:
        login(page, owner)
        page.goto(f"/c/{estate.code}/votes/{vote_id}")
        with page.expect_navigation():
            page.locator("main button[value='abstain']").click()
        assert page.url.endswith("/confirm")
        assert zh("Abstain") in page.locator("main section.ballot-confirm").inner_text()
        with page.expect_navigation():
            page.locator("main button.btn-confirm").click()
        assert f"/votes/{vote_id}" in page.url
        assert page.locator(".flash-success").is_visible()
        assert len(page.locator("main .receipt-code").inner_text().strip()) == 9
    finally:
        context.close()


def test_committee_enters_paper_ballot_closes_early_and_prints_notice(
    page, data, axe, login, base_url
):
    estate = data.community()
    committee = data.committee()
    vote_id = make_vote(data, estate.code, committee)
    screen = Screens(page, axe, "committee", False)
    vote_url = f"/c/{estate.code}/votes/{vote_id}"

    login(page, committee)
    page.goto(vote_url)
    screen("vote")
    page.locator(f"main a[href='{vote_url}/paper']").click()
    page.wait_for_url(f"**{vote_url}/paper")
    screen("paper")
    page.locator("#unit").fill("1-1-201")
    page.locator("label.choice", has=page.locator("input[value='agree']")).click()
    page.locator("#reference").fill("P-001")
    with page.expect_navigation():
        page.locator("main form button.btn-block").click()
    assert page.locator(".flash-success").is_visible()
    assert "1-1-201" in page.locator("main").inner_text()  # in the recent list
    screen("paper-done")

    # A sheet of paper ballots with a bad row: each problem with its row, nothing recorded.
    page.goto(f"{vote_url}/import")
    screen("import")
    sheet = "楼栋,单元,房号,意见,编号\n1,1,202,同意,P-002\n1,1,909,反对,P-003\n"
    page.locator("#sheet").set_input_files(
        files=[{"name": "入户征询.csv", "mimeType": "text/csv", "buffer": sheet.encode("gb18030")}]
    )
    with page.expect_navigation():
        page.locator("main form button").click()
    assert "1-1-909" in page.locator("main table").inner_text()
    assert page.locator("main form[action$='/import/apply']").count() == 0
    screen("import-check")
    # Proxies: the page and its form.
    page.goto(f"{vote_url}/proxies")
    screen("proxies")

    # Close early: a reason is required.
    page.goto(vote_url)
    page.locator(f"main a[href='{vote_url}/close']").click()
    page.wait_for_url(f"**{vote_url}/close")
    with page.expect_navigation():
        page.locator("main form button.btn-danger").click()
    assert page.locator("#reason").get_attribute("aria-invalid") == "true"
    screen("close-refused")
    page.locator("#reason").fill("业委会换届,提前结束本次表决")
    with page.expect_navigation():
        page.locator("main form button.btn-danger").click()
    page.wait_for_url(f"**{vote_url}")
    results = page.locator("main section.results")
    assert results.locator(".verdict-failed").is_visible()  # 1 of 3 owners: no quorum
    assert "业委会换届" in page.locator("main").inner_text()
    screen("results")

    # The receipts, then the result notice (公示) with its QR code, and its print version.
    page.locator(f"main a[href='{vote_url}/receipts']").click()
    page.wait_for_url(f"**{vote_url}/receipts")
    assert page.locator("main table.receipts tbody tr").count() == 1
    screen("receipts")
    page.goto(vote_url)
    page.locator(f"main a[href='{vote_url}/notice']").first.click()
    page.wait_for_url(f"**{vote_url}/notice")
    sheet = page.locator("main article.notice-sheet")
    assert sheet.locator("svg.qr").count() == 1
    assert TITLE in sheet.inner_text()
    assert "业委会换届" in sheet.inner_text()
    assert page.locator("button[data-print]").is_visible()  # app.js unhides it
    screen("notice", layout=False)
    page.emulate_media(media="print")
    assert page.locator("header.top").is_hidden()
    assert page.locator("button[data-print]").is_hidden()
    if screen.save:
        screenshot(page, SHOTS / "vote-committee-notice-print.png")
    pdf = page.pdf(prefer_css_page_size=True)
    assert len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf)) == 1, "the notice fits one A4 page"
    page.emulate_media(media="screen")
    screen.assert_clean()


def test_committee_drafts_a_lift_vote_and_opens_it(page, data, axe, login, base_url):
    """From the topic page: the draft form in elder mode, the electorate preview following the
    scope (htmx), a custom rule, then opening the draft."""
    with data.ctx():
        comm = factories.community(
            db.session, code="T01", buildings=1, entrances=2, per_entrance=4, area=Decimal("80.5")
        )
        code = comm.code
    committee = data.committee()
    with data.ctx():
        comm = db.session.scalar(select(Community).where(Community.code == code))
        topic = Topic(
            community_id=comm.id,
            title="二单元加装电梯议题",
            body="拟在二单元加装电梯。",
            status="posted",
            notice_days=7,
            posted_at=utcnow() - timedelta(days=10),
        )
        db.session.add(topic)
        db.session.commit()
        topic_id = topic.id
    page.context.add_cookies([{"name": "elder", "value": "1", "url": base_url}])
    screen = Screens(page, axe, "committee-elder", True)

    login(page, committee)
    page.goto(f"/c/{code}/topics/{topic_id}")
    page.locator(f"main a[href='/c/{code}/votes/new?topic={topic_id}']").click()
    page.wait_for_url("**/votes/new?topic=*")
    electorate = page.locator("#electorate")
    assert "6" in electorate.inner_text()  # the whole community: 6 owners
    screen("new")
    page.locator("#title").fill("二单元加装电梯表决")
    page.locator("#question").fill("您是否同意在二单元加装电梯？")
    # The scope: one entrance. The preview follows without a reload (htmx).
    page.evaluate("window.__same_page = true")
    page.locator("label.choice", has=page.locator("input[name='scope'][value='entrance']")).click()
    page.locator("#entrance").select_option(index=2)  # building 1, entrance 2
    page.locator("#electorate", has_text="322.00").wait_for()  # 4 homes × 80.50 m²
    assert page.evaluate("window.__same_page === true")
    # A custom rule: 2/3 of all owners of the entrance; its fields show once it is chosen.
    assert page.locator("#approval").is_hidden()
    page.locator("label.choice", has=page.locator("input[name='rule'][value='custom']")).click()
    page.locator("#approval").fill("2/3")
    page.locator("#approval_base").select_option("electorate")
    page.locator("#quorum").fill("")
    screen("new-filled")
    with page.expect_navigation():
        page.locator("main button[name='action'][value='save']").click()
    assert "/votes/" in page.url and page.locator(".flash-success").is_visible()
    screen("draft")
    with page.expect_navigation():
        page.locator("main form[action$='/open'] button").click()
    assert page.locator(".flash-success").is_visible()
    assert page.locator("main .tag-open").is_visible()
    screen("opened")
    screen.assert_clean()
