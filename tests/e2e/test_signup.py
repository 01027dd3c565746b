"""A resident signs up with the code printed on the slip the committee gave them."""

from __future__ import annotations

from tests.e2e.support import HAN, zh

BAD_CODE = "This invite code is not valid or was already used. Please check the slip or ask your committee."


def _fill_signup(page, phone: str, password: str = "slip-pass-1") -> None:
    page.locator("#phone").fill(phone)
    page.locator("#name").fill("王阿姨")
    # Residents tap the words, not the little circle: the label is the target.
    page.locator("label.choice", has=page.locator("input[value=owner]")).click()
    page.locator("#password").fill(password)
    page.locator("label.check", has=page.locator("#privacy")).click()


def test_signup_with_invite_code(page, data, axe):
    estate = data.community()
    committee = data.committee()
    (code, owner_phone), *_ = data.invites(by=committee)

    page.goto(f"/signup?code={code}")
    assert page.locator("#code").input_value() == code  # prefilled from the QR link
    # The privacy notice's key points stand above the form; the full notice (what is kept, why,
    # who sees it, for how long) unfolds with one tap.
    assert page.locator("#privacy-h").is_visible()
    notice = page.locator("details.privacy")
    assert notice.get_attribute("open") is None
    notice.locator("summary").click()
    assert notice.locator("h2").count() >= 4
    notice.locator("h2").last.scroll_into_view_if_needed()
    assert notice.locator("h2").last.is_visible()
    axe(page)

    _fill_signup(page, owner_phone)
    assert page.locator("input[value=owner]").is_checked()
    assert page.locator("#privacy").is_checked()
    with page.expect_navigation():
        page.locator("main form button").click()

    # The community home: its name, and the five steps of the project in the header.
    assert page.url.endswith(f"/c/{estate.code}/")
    assert page.locator("main h1").inner_text() == estate.name
    assert page.locator("header .brand").inner_text() == estate.name
    steps = page.locator("header ol.steps > li")
    assert steps.count() == 5
    assert page.locator("header ol.steps").get_attribute("aria-label")
    assert page.locator(".flash-success").is_visible()
    assert page.locator("nav.bottom").is_visible()
    axe(page)
    # The phone matches the owner's number on the register, so the owner link is confirmed.
    assert data.residency(owner_phone) == [("owner", "active")]


def test_signup_with_a_wrong_code_says_so_next_to_the_field(page, data, axe):
    data.community()
    data.invites()

    page.goto("/signup?code=ZZZZ-2222")
    _fill_signup(page, "13912345678")
    with page.expect_navigation():
        page.locator("main form button").click()

    assert "/signup" in page.url
    assert page.locator(".alert[role=alert]").is_visible()
    field = page.locator(".field", has=page.locator("#code"))
    error = field.locator("#code-err")
    assert error.is_visible()
    assert "field-error" in (field.get_attribute("class") or "")
    code_input = page.locator("#code")
    assert code_input.get_attribute("aria-invalid") == "true"
    assert "code-err" in (code_input.get_attribute("aria-describedby") or "").split()
    # Right under the code box, not somewhere else on the page.
    box, err_box = code_input.bounding_box(), error.bounding_box()
    assert 0 <= err_box["y"] - (box["y"] + box["height"]) < 40
    # In the page's language: Chinese once the zh_Hans catalogue has it, the msgid until then.
    assert error.inner_text().strip() == zh(BAD_CODE)
    if zh(BAD_CODE) != BAD_CODE:
        assert HAN.search(error.inner_text())
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    axe(page)
    assert data.residency("13912345678") == []
