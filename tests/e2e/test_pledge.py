"""Step 3 in the browser at 390×844: a resident sees the suggested share, types an amount and
watches the reward box update (htmx), pledges money and labour; the committee confirms both;
the public ledger and its A4 print show the result. axe-core on every page and the tap-target
and text rules, in Chinese, in English and in elder mode. SCREENSHOTS=1 saves PNGs to
screenshots/ (pledge-<zh|en|elder>-<screen>.png)."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import select

from participation.config import ROOT
from participation.core.models import Community
from participation.extensions import db
from participation.pledge.models import Pledge
from tests import factories
from tests.e2e.support import check_elder_page, check_normal_page, screenshot, zh

SHOTS = ROOT / "screenshots"


def in_step_3(data, code: str) -> None:
    """An adopted plan asking the 4 homes (322 m²) for ¥1,288.00, and step 3 current."""
    with data.ctx():
        comm = db.session.scalar(select(Community).where(Community.code == code))
        factories.adopted_plan(
            db.session,
            comm,
            {"government_subsidy": "200000.00", "reward": "3000.00", "residents": "1288.00"},
        )
        factories.current_step(db.session, comm, "pledge")


def pledges(data) -> list[tuple[str, str]]:
    with data.ctx():
        return [(p.kind, p.status) for p in db.session.scalars(select(Pledge).order_by(Pledge.id))]


@pytest.mark.parametrize("mode", ["zh", "en", "elder"])
def test_resident_pledges_money_and_labour_and_the_committee_confirms(
    page, data, axe, login, base_url, mode
):
    estate = data.community()
    committee = data.committee()
    resident = data.resident()
    in_step_3(data, estate.code)
    cookies = [{"name": "elder", "value": "1" if mode == "elder" else "0", "url": base_url}]
    if mode == "en":
        cookies.append({"name": "lang", "value": "en", "url": base_url})
    page.context.add_cookies(cookies)
    t = (lambda s: s) if mode == "en" else zh
    check = check_elder_page if mode == "elder" else check_normal_page
    save = os.environ.get("SCREENSHOTS") == "1"
    problems: list[str] = []

    def screen(name: str) -> None:
        axe(page, name)
        problems.extend(check(page))
        if save:
            SHOTS.mkdir(exist_ok=True)
            screenshot(page, SHOTS / f"pledge-{mode}-{name}.png")
            page.reload()

    home = f"/c/{estate.code}/pledge/"
    # The resident finds the pledge page from the community home.
    login(page, resident)
    page.goto(f"/c/{estate.code}/")
    page.locator(f"main a[href='{home}']").click()
    page.wait_for_url(f"**{home}")
    assert page.locator("main h1").inner_text() == t("Pledges: share the cost")
    assert "322.00" in page.locator("main").inner_text()  # 80.50 m² of 322 m²
    assert page.locator("#money-amount").input_value() == "322.00"
    screen("resident")

    # Typing an amount updates the reward box in place (htmx), then the pledge is recorded.
    page.evaluate("window.__same_page = true")
    page.locator("#money-amount").fill("500")
    page.locator("#reward-box .reward-if").wait_for()
    assert page.evaluate("window.__same_page === true")
    with page.expect_navigation():
        page.locator("#money button").click()
    assert page.locator(".flash-success").is_visible()
    assert page.locator("main .pledge-row").count() == 1

    # A wrong number of hours is refused next to the field; then the labour pledge.
    page.locator("#labour-hours").fill("600")
    with page.expect_navigation():
        page.locator("#labour button").click()
    assert page.locator("#labour-hours-err").is_visible()
    assert page.locator("#labour-hours").get_attribute("aria-invalid") == "true"
    screen("labour-error")
    page.locator("#labour-hours").fill("3")
    page.locator("#labour input[value='cleaning']").check()
    with page.expect_navigation():
        page.locator("#labour button").click()
    assert page.locator("main .pledge-row").count() == 2
    screen("pledged")
    assert pledges(data) == [("money", "pledged"), ("labour", "pledged")]
    page.goto("/me")
    with page.expect_navigation():
        page.locator("main form[action='/logout'] button").click()

    # The committee confirms the money (with the receipt number) and the hours worked.
    login(page, committee)
    page.goto(f"/c/{estate.code}/pledge/manage")
    assert page.locator("main .pledge-row").count() == 2
    screen("manage")
    money_row = page.locator("main .pledge-row", has_text="500.00")
    money_row.locator("a.btn").first.click()
    page.wait_for_url("**/confirm")
    screen("confirm")
    with page.expect_navigation():
        page.locator("main form button").click()  # no reference yet: refused
    assert page.locator("#reference-err").is_visible()
    page.locator("#reference").fill("收据 0001")
    with page.expect_navigation():
        page.locator("main form button").click()
    assert page.locator(".flash-success").is_visible()
    page.locator("main .pledge-row").first.locator("a.btn").first.click()
    page.wait_for_url("**/confirm")
    with page.expect_navigation():
        page.locator("main form button").click()
    assert sorted(pledges(data)) == [("labour", "fulfilled"), ("money", "fulfilled")]

    # The public ledger and its A4 print.
    page.goto(f"/c/{estate.code}/pledge/ledger")
    main = page.locator("main").inner_text()
    assert "500.00" in main
    screen("ledger")
    page.goto(f"/c/{estate.code}/pledge/ledger/print")
    assert page.locator(".ls-qr svg").count() == 1
    screen("print")
    assert not problems, "\n".join(problems)
