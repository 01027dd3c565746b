"""Step 2's renovation menu in the browser at 390×844: a resident reads the menu from the
community home; the committee prices an item (a negative cost is refused next to the field),
adds its own item and hides one. axe-core on every page, and the tap-target and text rules in
normal and elder mode."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from participation.extensions import db
from participation.plan.models import MenuItem
from tests.e2e.support import check_elder_page, check_normal_page, zh


@pytest.mark.parametrize("elder", ["0", "1"])
def test_resident_reads_and_committee_edits_the_menu(page, data, axe, login, base_url, elder):
    estate = data.community()
    committee = data.committee()
    resident = data.resident()
    page.context.add_cookies([{"name": "elder", "value": elder, "url": base_url}])
    check = check_elder_page if elder == "1" else check_normal_page
    problems: list[str] = []
    menu_url = f"/c/{estate.code}/plan/menu"

    def screen(name: str) -> None:
        axe(page, name)
        problems.extend(check(page))

    # A resident finds the menu from the community home; basic items are shown as done.
    login(page, resident)
    page.goto(f"/c/{estate.code}/")
    page.locator(f"main a[href='{menu_url}']").click()
    page.wait_for_url(f"**{menu_url}")
    assert page.locator("main h1").inner_text() == zh("Renovation menu")
    assert page.locator("main .menu-item").count() == 31
    assert page.locator("#cat-basic").is_visible()
    assert page.locator("main .tag-done").count() == 13
    assert page.locator("main a", has_text=zh("Edit")).count() == 0
    screen("menu-resident")
    page.goto("/me")
    with page.expect_navigation():
        page.locator("main form[action='/logout'] button").click()

    # The committee prices the lift: a negative cost first, refused next to the field.
    login(page, committee)
    page.goto(menu_url)
    with data.ctx():
        lift_id = db.session.scalar(select(MenuItem.id).where(MenuItem.key == "lift"))
        kg_id = db.session.scalar(select(MenuItem.id).where(MenuItem.key == "kindergarten"))
    screen("menu-committee")
    page.locator(f"#item-{lift_id} a", has_text=zh("Edit")).click()
    page.wait_for_url("**/edit")
    page.locator("input[name='cost_basis'][value='total']").check()
    page.locator("#cost_amount").fill("-680000")
    with page.expect_navigation():
        page.locator("main form button").click()
    assert page.locator("#cost_amount-err").inner_text().strip() == zh(
        "The cost cannot be negative."
    )
    assert page.locator("#cost_amount").get_attribute("aria-invalid") == "true"
    screen("edit-error")
    page.locator("#cost_amount").fill("680000")
    page.locator("#residents_share").check()
    with page.expect_navigation():
        page.locator("main form button").click()
    assert "680,000.00" in page.locator(f"#item-{lift_id}").inner_text()

    # Its own item, then the kindergarten hidden (no land for it).
    page.locator("main a", has_text=zh("Add an item")).click()
    page.wait_for_url("**/menu/new")
    screen("add")
    page.locator("#name_zh").fill("公共晾衣架")
    page.locator("#description_zh").fill("在向阳的空地上装晾衣架。")
    with page.expect_navigation():
        page.locator("main form button").click()
    assert page.locator("main .menu-item", has_text="公共晾衣架").is_visible()
    with page.expect_navigation():
        page.locator(f"#item-{kg_id} form button").click()
    assert page.locator(f"#item-{kg_id} .tag-hidden").is_visible()
    screen("menu-edited")

    assert not problems, "\n".join(problems)
