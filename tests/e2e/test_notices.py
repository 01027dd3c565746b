"""The committee posts a notice; a resident finds it in the inbox, reads it, the badge goes."""

from __future__ import annotations


def test_committee_posts_a_notice_resident_reads_it_in_the_inbox(page, data, axe, login):
    estate = data.community()
    committee = data.committee()
    resident = data.resident()
    title, body = "周六停水通知", "本周六上午8点至12点停水,请提前储水。\n如有问题请联系业委会。"

    login(page, committee)
    page.goto(f"/c/{estate.code}/notices/new")
    axe(page)
    page.locator("#title").fill(title)
    page.locator("#body").fill(body)
    with page.expect_navigation():
        page.locator("main form button").click()
    assert "/notices/" in page.url
    assert page.locator("main h1").inner_text() == title
    assert page.locator(".flash-success").is_visible()
    assert page.locator("main .prose p").count() == 2  # one paragraph per line
    axe(page)
    page.goto(f"/c/{estate.code}/notices")
    assert page.locator("main .list a", has_text=title).is_visible()
    axe(page)
    page.goto("/me")
    with page.expect_navigation():
        page.locator("main form[action='/logout'] button").click()

    login(page, resident)
    inbox_link = page.locator("nav.bottom a[href='/inbox']")
    badge = inbox_link.locator(".badge")
    assert badge.is_visible()
    assert badge.inner_text().split()[0] == "1"
    assert "unread" in badge.inner_text() or badge.locator(".sr").count() == 1
    # The notice is on the community home too.
    assert page.locator("main .list a", has_text=title).is_visible()

    inbox_link.click()
    page.wait_for_url("**/inbox")
    row = page.locator("main .list a", has_text=title)
    assert row.is_visible()
    assert row.locator(".tag").is_visible()  # "New", in words and not only in bold
    axe(page)

    row.click()
    page.wait_for_url("**/inbox/*")
    assert page.locator("main h1").inner_text() == title
    assert "停水" in page.locator("main .prose").inner_text()
    assert page.locator("nav.bottom .badge").count() == 0  # read: the badge is gone
    axe(page)

    page.locator("main a[href='/inbox']").click()
    page.wait_for_url("**/inbox")
    assert page.locator("main .list a", has_text=title).locator(".tag").count() == 0
    assert page.locator("nav.bottom .badge").count() == 0
