"""Logging in with phone and password, the bottom navigation, logging out."""

from __future__ import annotations

from tests.e2e.support import VIEWPORT, zh


def test_login_and_logout(page, data, axe):
    estate = data.community()
    phone = data.resident()

    page.goto("/")
    assert page.locator("nav.bottom").count() == 0  # no navigation before logging in
    page.locator("main a.btn[href='/login']").click()
    page.wait_for_url("**/login")
    axe(page)

    page.locator("#phone").fill(phone)
    page.locator("#password").fill("not-the-password")
    with page.expect_navigation():
        page.locator("main form button").click()
    error = page.locator("#password-err")
    assert error.is_visible()
    assert page.locator("#password").get_attribute("aria-invalid") == "true"
    assert page.locator("#phone").input_value() == phone  # the number is kept, only retype
    axe(page)

    page.locator("#password").fill("secret-pass-1")
    with page.expect_navigation():
        page.locator("main form button").click()
    assert page.url.endswith(f"/c/{estate.code}/")

    # The bottom navigation: Home, Notices, Inbox, Me, fixed at the bottom of the screen.
    nav = page.locator("nav.bottom")
    assert nav.is_visible()
    links = nav.locator("a")
    assert links.count() == 4
    hrefs = [links.nth(i).get_attribute("href") for i in range(4)]
    assert hrefs == [f"/c/{estate.code}/", f"/c/{estate.code}/notices", "/inbox", "/me"]
    # The icon is decorative (aria-hidden); the word under it is the name.
    names = [links.nth(i).inner_text().split("\n")[-1].strip() for i in range(4)]
    assert names == [zh("Home"), zh("Notices"), zh("Inbox"), zh("Me")]
    assert links.nth(0).get_attribute("aria-current") == "page"
    box = nav.bounding_box()
    assert abs(box["y"] + box["height"] - VIEWPORT["height"]) < 1
    axe(page)

    links.nth(3).click()
    page.wait_for_url("**/me")
    assert links.nth(3).get_attribute("aria-current") == "page"
    assert "****" in page.locator("main").inner_text()  # the phone is shown masked
    axe(page)
    with page.expect_navigation():
        page.locator("main form[action='/logout'] button").click()
    assert page.locator(".flash-success").is_visible()
    assert page.locator("nav.bottom").count() == 0
    axe(page)

    page.goto("/me")  # logged out for real: back to the login page
    assert "/login" in page.url
