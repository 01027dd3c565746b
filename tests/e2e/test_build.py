"""Step 4 in the browser at 390×844: a resident reports a problem with a photo taken on the
phone (two steps, "me too" offered first), the property manager acknowledges it from the queue
(htmx swaps the row) and marks it fixed with a note, and the resident confirms. axe-core on every
page, the tap-target and text rules of the mode; Chinese, English and elder mode.
SCREENSHOTS=1 saves PNGs to screenshots/ (build-<mode>-<page>.png)."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import select

from participation.build.models import Issue
from participation.config import ROOT
from participation.extensions import db
from tests.build.helpers import jpeg_bytes
from tests.e2e.support import check_elder_page, check_normal_page, screenshot, zh

SHOTS = ROOT / "screenshots"


def logout(page) -> None:
    page.goto("/me")
    with page.expect_navigation():
        page.locator("main form[action='/logout'] button").click()


def property_manager(data, code: str) -> str:
    """A property company account of the community (answers "something else" reports)."""
    from participation.core.models import Community
    from tests import factories

    with data.ctx():
        comm = db.session.scalar(select(Community).where(Community.code == code))
        return factories.staff(db.session, "property", comm).phone


class Screens:
    def __init__(self, page, axe, mode: str) -> None:
        self.page, self.axe, self.mode = page, axe, mode
        self.problems: list[str] = []
        self.save = os.environ.get("SCREENSHOTS") == "1"

    def __call__(self, name: str) -> None:
        self.axe(self.page, f"{self.mode}/{name}")
        check = check_elder_page if self.mode == "elder" else check_normal_page
        self.problems.extend(check(self.page))
        if self.save:
            SHOTS.mkdir(exist_ok=True)
            screenshot(self.page, SHOTS / f"build-{self.mode}-{name}.png")


@pytest.mark.parametrize("mode", ["zh", "en", "elder"])
def test_report_acknowledge_resolve_confirm(page, data, axe, login, base_url, mode):
    estate = data.community()
    resident = data.resident()
    manager = property_manager(data, estate.code)
    data.committee()
    cookies = [{"name": "elder", "value": "1" if mode == "elder" else "0", "url": base_url}]
    if mode == "en":
        cookies.append({"name": "lang", "value": "en", "url": base_url})
    page.context.add_cookies(cookies)
    t = (lambda s: s) if mode == "en" else zh
    screen = Screens(page, axe, mode)
    code = estate.code

    # The resident finds "Report a problem" on the community home.
    login(page, resident)
    page.goto(f"/c/{code}/")
    page.locator(f"main a[href='/c/{code}/issues/new']").click()
    page.wait_for_url(f"**/c/{code}/issues/new")
    screen("report-step1")
    page.locator("label.choice-tile", has_text=t("Something else")).click()
    # Where: the resident's own entrance is offered first (building 1, entrance 1).
    assert page.locator("#place").input_value() == page.locator("#place option").nth(
        2
    ).get_attribute("value")
    with page.expect_navigation():
        page.locator("main form button").click()
    assert t("Step 2 of 2: describe it") in page.locator("main").inner_text()
    photo = page.locator("#photo1")
    assert photo.get_attribute("capture") == "environment"
    page.locator("#description").fill("1单元楼道灯改造后一直不亮，晚上看不见台阶。")
    page.locator("#spot").fill("2楼到3楼")
    photo.set_input_files(
        files=[{"name": "IMG_2041.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes()}]
    )
    screen("report-step2")
    with page.expect_navigation():
        page.locator("#send-report").click()
    assert "/issues/" in page.url and "/new" not in page.url
    assert page.locator("main img[src*='/photos/']").count() == 1
    assert t("Waiting for an answer") in page.locator("main .issue-tags").inner_text()
    screen("issue-reported")
    with data.ctx():
        issue_id = db.session.scalar(select(Issue.id))
    logout(page)

    # The property manager acknowledges from the queue: the row is swapped in place.
    login(page, manager)
    page.goto(f"/c/{code}/issues/queue")
    row = page.locator(f"#q-{issue_id}")
    assert "1单元楼道灯" in row.inner_text()
    screen("queue")
    page.evaluate("window.__same_page = true")
    row.locator("button[value='acknowledge']").click()
    page.locator(f"#q-{issue_id} .flash-success").wait_for()
    assert page.evaluate("window.__same_page") is True  # no reload: htmx swapped the row
    assert t("Seen") in page.locator(f"#q-{issue_id} .issue-tags").inner_text()
    screen("queue-acknowledged")
    page.locator(f"#q-{issue_id} a[href*='#resolve']").click()
    page.wait_for_url(f"**/issues/{issue_id}*")
    page.locator("#note").fill("已更换声控灯和线路，1单元2–6层全部试亮正常。")
    page.locator("#photo").set_input_files(
        files=[
            {
                "name": "after.jpg",
                "mimeType": "image/jpeg",
                "buffer": jpeg_bytes(colour=(90, 160, 90)),
            }
        ]
    )
    screen("resolve")
    with page.expect_navigation():
        page.locator("#resolve button").click()
    assert t("Fixed, waiting for confirmation") in page.locator("main .issue-tags").inner_text()
    logout(page)

    # The resident reads the answer in the inbox and confirms.
    login(page, resident)
    page.goto("/inbox")
    assert "%(" not in page.locator("main").inner_text()
    page.goto(f"/c/{code}/issues/{issue_id}")
    assert "已更换声控灯" in page.locator("main .fixed").inner_text()
    screen("confirm")
    with page.expect_navigation():
        page.locator("main button[value='confirm']").click()
    assert t("Closed") in page.locator("main .issue-tags").inner_text()
    timeline = page.locator("main .timeline").inner_text()
    assert t("The resident confirmed it is fixed") in timeline
    screen("closed")
    page.goto(f"/c/{code}/issues")
    screen("list")

    assert not screen.problems, "\n".join(screen.problems)
