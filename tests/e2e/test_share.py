"""Step 5 in the browser: a resident at 390×844 reads the results board, rates the renovation
(every item and overall, two taps each) and finds the result on the board; the city reads the
dashboard on a desktop screen, sorts it, filters it and drills down to a board. axe-core on
every page; the elder-mode and tap-target rules on the phone pages. Chinese, English and elder
mode. SCREENSHOTS=1 saves PNGs to screenshots/ (share-<mode>-<page>.png)."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from participation.core.models import Community, Unit
from participation.core.timeutil import utcnow
from participation.extensions import db
from participation.share import ratings
from tests import factories
from tests.e2e.support import check_elder_page, check_normal_page, screenshot, zh
from tests.share import helpers

SHOTS = Path(__file__).resolve().parents[2] / "screenshots"
DESKTOP = {"width": 1280, "height": 900}


def _cookies(page, base_url, mode):
    cookies = [{"name": "elder", "value": "1" if mode == "elder" else "0", "url": base_url}]
    if mode == "en":
        cookies.append({"name": "lang", "value": "en", "url": base_url})
    page.context.add_cookies(cookies)
    return (lambda s: s) if mode == "en" else zh


def _save(page, name, desktop=False):
    if os.environ.get("SCREENSHOTS") == "1":
        SHOTS.mkdir(exist_ok=True)
        if desktop:
            page.screenshot(path=SHOTS / f"share-{name}.png", full_page=True)
        else:
            screenshot(page, SHOTS / f"share-{name}.png")


def _rating_community(data, code="T01"):
    """Step 4, an adopted plan of three items, a closed willingness vote, a rating open."""
    with data.ctx():
        comm = db.session.scalar(select(Community).where(Community.code == code))
        committee = factories.staff(db.session, "committee", comm)
        factories.current_step(db.session, comm, "build")
        helpers.plan(db.session, comm)
        helpers.closed_vote(db.session, comm, owners=(4, 3, 3), area=("322.00", "241.50", "241.50"))
        ratings.open_round(committee, comm, utcnow() + timedelta(days=7))
        db.session.commit()


@pytest.mark.parametrize("mode", ["zh", "en", "elder"])
def test_resident_reads_board_and_rates(page, data, axe, login, base_url, mode):
    estate = data.community()
    resident = data.resident()
    _rating_community(data, estate.code)
    t = _cookies(page, base_url, mode)
    check = check_elder_page if mode == "elder" else check_normal_page
    problems: list[str] = []

    def screen(name):
        axe(page, f"{mode}/{name}")
        problems.extend(check(page))
        _save(page, f"{mode}-{name}")

    login(page, resident)
    page.goto(f"/c/{estate.code}/")
    page.locator(f"main a[href='/c/{estate.code}/board']").click()
    page.wait_for_url(f"**/c/{estate.code}/board")
    assert page.locator("main h1").inner_text() == t("Results board")
    # The figures are written out: 3 of 4 owners voted (75.0%).
    assert "75.0%" in page.locator("#sb-part").locator("..").inner_text()
    screen("board-before")

    page.locator("main a.btn", has_text=t("Rate the renovation")).click()
    page.wait_for_url("**/ratings")
    screen("rate-form")
    form = page.locator("form.srate").first
    for fieldset in form.locator("fieldset").all():
        fieldset.locator("label.scale-opt", has_text="4").click()
    form.locator("fieldset.srate-overall label.scale-opt", has_text="5").click()
    form.locator("textarea[name='overall_comment']").fill("楼道亮堂多了")
    screen("rate-filled")
    with page.expect_navigation():
        form.locator("button", has_text=t("Save my rating")).click()
    assert page.url.endswith("/board#satisfaction")
    sat = page.locator("section[aria-labelledby='satisfaction']").inner_text()
    assert "5.00" in sat
    screen("board-after")

    # Changing the rating: the form shows the saved choices.
    page.goto(f"/c/{estate.code}/ratings")
    assert page.locator("fieldset.srate-overall input[value='5']").is_checked()
    assert page.locator("button", has_text=t("Change my rating")).is_visible()
    assert not problems, "\n".join(problems)


def test_city_dashboard_on_a_desktop(page, data, axe, login, base_url):
    data.community("T01")
    data.community("T02")
    _rating_community(data, "T01")
    with data.ctx():
        city = factories.staff(db.session, "city", None).phone
        t2 = db.session.scalar(select(Community).where(Community.code == "T02"))
        t2.district = "江北区"
        factories.current_step(db.session, t2, "consult")
        assert db.session.scalar(select(Unit.id).where(Unit.community_id == t2.id))
    page.set_viewport_size(DESKTOP)
    login(page, city)
    page.goto("/")
    page.locator("main a", has_text=zh("City overview")).click()
    page.wait_for_url("**/city/")
    rows = page.locator(".city-table tbody tr")
    assert rows.count() == 2
    axe(page, "city")
    _save(page, "city-dashboard", desktop=True)

    # Sort by turnout, highest first: T01 (75.0%) before T02 (no vote).
    page.locator(".city-table th a", has_text=zh("Voted")).click()
    page.wait_for_url("**sort=turnout**")
    assert "T01" in rows.first.inner_text()
    page.locator(".city-table th a", has_text=zh("Voted")).click()
    page.wait_for_url("**dir=asc**")
    # Filter by district.
    page.locator("#f-district").select_option("江北区")
    with page.expect_navigation():
        page.locator(".city-filters button").click()
    assert rows.count() == 1 and "T02" in rows.first.inner_text()
    axe(page, "city-filtered")
    # Drill down to a board.
    page.locator(".city-table tbody th a").first.click()
    page.wait_for_url("**/c/T02/board")
    axe(page, "city-board")
    _save(page, "city-board", desktop=True)
