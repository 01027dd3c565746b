"""The key screens in Chinese, in English and in elder mode: axe-core on each, the tap-target and
text rules on each, and (with SCREENSHOTS=1) a PNG of each in /work/main/screenshots/ to look at.
`python -m tests.e2e.screens` runs this with SCREENSHOTS=1."""

from __future__ import annotations

import os

import pytest

from participation.config import ROOT
from tests.e2e.support import check_elder_page, check_normal_page, html_lang, screenshot

SHOTS = ROOT / "screenshots"
MODES = {"zh": ("zh_Hans", "0"), "en": ("en", "0"), "elder": ("zh_Hans", "1")}


@pytest.mark.parametrize("mode", list(MODES))
def test_key_screens(page, data, axe, login, base_url, mode):
    lang, elder = MODES[mode]
    estate = data.community()
    data.advance(times=2)  # step 1 done, step 2 in progress
    committee = data.committee()
    resident = data.resident()
    (code, _), *_ = data.invites(by=committee)
    data.notice(
        estate.code, "电梯加装意愿征询开始", "请各位业主在本周日前投票。\n投票方式见公告栏。"
    )
    data.notice(
        estate.code, "周六上午停水通知", "本周六上午8点至12点停水,请提前储水。", pinned=True
    )
    page.context.add_cookies(
        [
            {"name": "lang", "value": lang, "url": base_url},
            {"name": "elder", "value": elder, "url": base_url},
        ]
    )
    save = os.environ.get("SCREENSHOTS") == "1"
    if save:
        SHOTS.mkdir(exist_ok=True)
    check = check_elder_page if mode == "elder" else check_normal_page
    problems: list[str] = []

    def screen(name: str) -> None:
        assert html_lang(page) == ("en" if lang == "en" else "zh-Hans")
        axe(page, f"{mode}/{name}")
        problems.extend(check(page))
        if save:
            screenshot(page, SHOTS / f"{mode}-{name}.png")

    page.goto("/")
    screen("welcome")
    page.goto("/login")
    screen("login")
    page.goto(f"/signup?code={code}")
    screen("signup")
    login(page, resident)
    page.goto(f"/c/{estate.code}/")
    screen("community")
    page.goto(f"/c/{estate.code}/notices")
    screen("notices")
    page.goto("/inbox")
    screen("inbox")
    page.goto("/me")
    screen("me")
    assert not problems, "\n".join(problems)
