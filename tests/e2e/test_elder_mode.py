"""Elder mode (长辈模式, MIIT 适老化 rules; DOMAIN.md §6): one tap in the header, remembered on
every page; then text ≥18 px, every tap target ≥60×60 CSS px, line height ≥1.3. In normal mode
buttons and fields are still ≥44×44."""

from __future__ import annotations

from tests.e2e.support import check_elder_page, check_normal_page, html_lang


def test_elder_mode(page, data, axe, login):
    estate = data.community()
    data.advance(times=2)  # step 1 done, step 2 in progress: every state in the header
    phone = data.resident()
    data.notice(estate.code, "电梯加装意愿征询", "请各位业主在本周内投票。")
    (code, _), *_ = data.invites()

    problems: list[str] = []  # collected over every page, to see them all at once
    # Normal mode: buttons and fields are at least 44×44.
    page.goto("/")
    problems += check_normal_page(page)
    page.goto(f"/signup?code={code}")
    problems += check_normal_page(page)

    # The switch is on every page, in the header; one tap turns elder mode on.
    page.goto("/")
    switch = page.locator("header form.pref button[name=elder]")
    assert switch.get_attribute("aria-pressed") == "false"
    with page.expect_navigation():
        switch.click()
    assert page.url.endswith("/")
    assert switch.get_attribute("aria-pressed") == "true"
    assert html_lang(page) == "zh-Hans"
    problems += check_elder_page(page)
    axe(page)

    for path in ("/login", f"/signup?code={code}", "/privacy"):
        page.goto(path)
        problems += check_elder_page(page)
        axe(page)

    login(page, phone)  # remembered across pages and the login
    for path in (
        f"/c/{estate.code}/",
        f"/c/{estate.code}/notices",
        "/inbox",
        "/me",
    ):
        page.goto(path)
        problems += check_elder_page(page)
        axe(page)
    page.goto("/inbox")
    page.locator("main .list a").first.click()
    page.wait_for_url("**/inbox/*")
    problems += check_elder_page(page)
    axe(page)

    # One more tap turns it off again, and that is remembered too.
    with page.expect_navigation():
        page.locator("header form.pref button[name=elder]").click()
    assert "elder" not in (page.locator("html").get_attribute("class") or "")
    page.goto("/me")
    problems += check_normal_page(page)
    assert not problems, "\n".join(problems)
