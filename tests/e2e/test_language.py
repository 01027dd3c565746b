"""Chinese by default; English one tap away, remembered; back to Chinese one tap away."""

from __future__ import annotations

from tests.e2e.support import HTMX, html_lang, zh

WELCOME = "Renovate our community together"


def test_language_switch(page, axe):
    page.goto("/")
    assert html_lang(page) == "zh-Hans"
    if HTMX.exists():  # loaded and started under the strict CSP (no inline code, no eval)
        assert page.evaluate("typeof window.htmx") == "object"
    switch = page.locator("header form.pref button[name=lang]")
    assert switch.inner_text() == "English"
    assert switch.get_attribute("lang") == "en"  # read out in English by screen readers
    assert page.locator("main h1").inner_text() == zh(WELCOME)  # the msgid until translated
    axe(page)

    with page.expect_navigation():
        switch.click()
    assert html_lang(page) == "en"
    assert page.url.endswith("/")  # stays on the same page
    assert page.locator("main h1").inner_text() == WELCOME
    axe(page)

    # Remembered on the next page.
    page.locator("main a.btn[href='/login']").click()
    page.wait_for_url("**/login")
    assert html_lang(page) == "en"
    assert page.locator("main h1").inner_text() == "Log in"
    assert page.locator("label[for=phone]").inner_text() == "Mobile number"
    back = page.locator("header form.pref button[name=lang]")
    assert back.inner_text() == "中文"
    assert back.get_attribute("lang") == "zh-Hans"
    axe(page)

    with page.expect_navigation():
        back.click()
    assert page.url.endswith("/login")
    assert html_lang(page) == "zh-Hans"
    assert page.locator("header form.pref button[name=lang]").inner_text() == "English"
    assert page.locator("main h1").inner_text() == zh("Log in")
    page.goto("/")
    assert html_lang(page) == "zh-Hans"
