"""The committee imports the household register in the browser: upload an .xlsx through the
form, check the dry-run preview, import, see the register. axe-core on every page, and the
tap-target and text rules in normal and elder mode. SCREENSHOTS=1 saves PNGs to screenshots/."""

from __future__ import annotations

import io
import os

import pytest
from openpyxl import Workbook

from participation.config import ROOT
from tests.e2e.support import check_elder_page, check_normal_page, screenshot

SHOTS = ROOT / "screenshots"


def xlsx(rows: list[list]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("户籍")
    sheet.append(["楼栋", "单元", "房号", "面积", "业主编号", "业主姓名", "联系电话"])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


GOOD = [
    [1, 1, 101, 99.5, "1-1-101", "业主1-1-101", None],  # the area corrected
    [1, 1, 102, 80.5, "1-1-101", None, None],
    [1, 1, 201, 80.5, None, None, None],
    [1, 1, 202, 80.5, None, None, None],
    [2, 1, 101, 66, None, "新业主", 13800000009],  # a new building
    [2, 1, 102, 66, "开发商", None, None],
]
BAD = [[1, 1, 101, "八十", None, None, None], [1, 1, 101, 80, None, None, None]]


@pytest.mark.parametrize("elder", ["0", "1"])
def test_committee_imports_the_register(page, data, axe, login, base_url, elder):
    estate = data.community()
    committee = data.committee()
    page.context.add_cookies([{"name": "elder", "value": elder, "url": base_url}])
    check = check_elder_page if elder == "1" else check_normal_page
    save = os.environ.get("SCREENSHOTS") == "1"
    problems: list[str] = []

    def screen(name: str) -> None:
        axe(page, name)
        problems.extend(check(page))
        if save:
            SHOTS.mkdir(exist_ok=True)
            screenshot(page, SHOTS / f"register-{'elder' if elder == '1' else 'zh'}-{name}.png")

    login(page, committee)
    page.goto(f"/c/{estate.code}/register/")
    assert page.locator("main table tbody tr").count() == 4
    screen("index")

    page.locator("main a.btn[href$='/register/import']").click()
    page.wait_for_url("**/register/import")
    screen("upload")

    # A sheet with bad rows: listed with their row numbers, nothing to apply.
    page.locator("input[type=file]").set_input_files(
        files=[{"name": "坏表.xlsx", "mimeType": "application/octet-stream", "buffer": xlsx(BAD)}]
    )
    with page.expect_navigation():
        page.locator("main form button").click()
    errors = page.locator("table.reg-errors tbody tr")
    assert errors.count() == 2
    assert errors.nth(0).locator("th").inner_text() == "2"
    assert errors.nth(1).locator("th").inner_text() == "3"
    assert page.locator("form[action$='/import/apply']").count() == 0
    screen("preview-errors")

    page.goto(f"/c/{estate.code}/register/import")
    page.locator("input[type=file]").set_input_files(
        files=[{"name": "户籍.xlsx", "mimeType": "application/octet-stream", "buffer": xlsx(GOOD)}]
    )
    with page.expect_navigation():
        page.locator("main form button").click()
    assert page.locator("main h1").count() == 1
    assert "99.50" in page.locator("main").inner_text()
    screen("preview")

    with page.expect_navigation():
        page.locator("form[action$='/import/apply'] button").click()
    assert page.url.endswith(f"/c/{estate.code}/register/")
    assert page.locator(".flash-success").is_visible()
    assert page.locator("nav.filters a.chip").count() == 2
    screen("imported")

    page.locator("nav.filters a.chip").nth(1).click()
    page.wait_for_url("**building=*")
    assert page.locator("main table tbody tr").count() == 2
    assert problems == [], "\n".join(problems)
