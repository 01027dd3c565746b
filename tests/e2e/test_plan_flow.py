"""Step 2 in the browser at 390×844, in Chinese, English and elder mode: a household chooses
items in the survey (over the limit is refused); the committee composes a plan from the menu (a
negative cost is refused in place, nothing saved), funds it and publishes it for comment; a
resident reads the plan and sees their own home's share. axe-core on every page, and the
tap-target and text rules. SCREENSHOTS=1 saves PNGs to screenshots/."""

from __future__ import annotations

import os
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from participation.core.models import Community, Unit, User
from participation.core.timeutil import utcnow
from participation.extensions import db
from participation.plan import public, services, survey
from participation.plan.models import MenuItem, Plan
from participation.plan.shares import split_by_area
from tests.e2e.support import ROOT, check_elder_page, check_normal_page, screenshot, zh

SHOTS = ROOT / "screenshots"
MODES = ["zh", "en", "elder"]


def _setup(data, mode, page, base_url):
    page.context.add_cookies(
        [
            {"name": "elder", "value": "1" if mode == "elder" else "0", "url": base_url},
            {"name": "lang", "value": "en" if mode == "en" else "zh_Hans", "url": base_url},
        ]
    )
    return check_elder_page if mode == "elder" else check_normal_page


def _t(mode: str, msgid: str) -> str:
    return msgid if mode == "en" else zh(msgid)


def _shooter(page, axe, check, mode, problems, prefix):
    save = os.environ.get("SCREENSHOTS") == "1"

    def screen(name: str) -> None:
        axe(page, name)
        problems.extend(check(page))
        if save:
            SHOTS.mkdir(exist_ok=True)
            screenshot(page, SHOTS / f"{prefix}-{mode}-{name}.png")
            page.reload()

    return screen


def _menu(data, code="T01", committee_phone=None, priced=True):
    with data.ctx():
        comm = db.session.scalar(select(Community).where(Community.code == code))
        actor = db.session.scalar(select(User).where(User.phone == committee_phone))
        services.ensure_menu(comm, actor)
        if priced:
            for key, basis, amount in (
                ("lighting", "total", "42000"),
                ("parking", "per_unit", "1500"),
                ("roof", "per_m2", "95"),
            ):
                item = db.session.scalar(select(MenuItem).where(MenuItem.key == key))
                item.cost_basis, item.cost_amount = basis, Decimal(amount)
                item.residents_share = key == "parking"
        db.session.commit()


@pytest.mark.parametrize("mode", MODES)
def test_household_chooses_items(page, data, axe, login, base_url, mode):
    estate = data.community()
    committee = data.committee()
    resident = data.resident()
    _menu(data, committee_phone=committee)
    with data.ctx():
        comm = db.session.scalar(select(Community).where(Community.code == estate.code))
        actor = db.session.scalar(select(User).where(User.phone == committee))
        survey.open_round(actor, comm, utcnow() + timedelta(days=5), 3)
        db.session.commit()
        ids = {
            k: db.session.scalar(select(MenuItem.id).where(MenuItem.key == k))
            for k in ("lighting", "parking", "greening", "ebike_charging")
        }
    check = _setup(data, mode, page, base_url)
    problems: list[str] = []
    screen = _shooter(page, axe, check, mode, problems, "plan-survey")

    login(page, resident)
    page.goto(f"/c/{estate.code}/plan/survey")
    assert page.locator("main h1").inner_text() == _t(mode, "Household survey")
    screen("open")
    for key in ("lighting", "parking", "greening", "ebike_charging"):
        page.locator(f"input[name='items'][value='{ids[key]}']").check()
    with page.expect_navigation():
        page.locator("main form button").first.click()
    assert page.locator(".flash-error").is_visible()  # 4 picks, at most 3
    assert page.locator(f"input[name='items'][value='{ids['greening']}']").is_checked()  # kept
    screen("over-limit")
    page.locator(f"input[name='items'][value='{ids['greening']}']").uncheck()
    page.locator(f"input[name='items'][value='{ids['ebike_charging']}']").uncheck()
    for key in ("lighting", "parking"):
        page.locator(f"input[name='items'][value='{ids[key]}']").check()
    with page.expect_navigation():
        page.locator("main form button").first.click()
    assert page.locator(".flash-success").is_visible()
    assert page.locator(f"input[name='items'][value='{ids['lighting']}']").is_checked()
    # Parking, ¥1,500 per home shared by area among 4 equal homes: ¥1,500 for this one.
    assert "1,500.00" in page.locator("main .my-share").inner_text()
    screen("saved")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("mode", MODES)
def test_committee_composes_and_publishes_a_plan(page, data, axe, login, base_url, mode):
    estate = data.community()
    committee = data.committee()
    _menu(data, committee_phone=committee)
    with data.ctx():
        ids = {
            k: db.session.scalar(select(MenuItem.id).where(MenuItem.key == k))
            for k in ("lighting", "parking", "roof")
        }
    check = _setup(data, mode, page, base_url)
    problems: list[str] = []
    screen = _shooter(page, axe, check, mode, problems, "plan-compose")

    login(page, committee)
    page.goto(f"/c/{estate.code}/plan/")
    screen("start")
    page.locator("#title").fill("幸福改造方案" if mode != "en" else "Our renovation plan")
    with page.expect_navigation():
        page.locator("main form button").click()
    page.wait_for_url("**/edit")
    # Prefilled from the menu: 4 homes × ¥1,500 for parking, 322 m² × ¥95 for the roof.
    assert page.locator(f"#qty-{ids['parking']}").input_value() == "4.00"
    assert page.locator(f"#cost-{ids['roof']}").input_value() == "95.00"
    assert page.locator(f"#qty-{ids['roof']}").input_value() == "322.00"
    screen("edit")
    for key in ("lighting", "parking", "roof"):
        page.locator(f"input[name='inc-{ids[key]}']").check()
    page.locator(f"#cost-{ids['lighting']}").fill("-42000")
    with page.expect_navigation():
        page.locator("main form.plan-form button").last.click()
    assert page.locator("#form-error").inner_text() == _t(mode, "The amount cannot be negative.")
    assert page.locator(f"#cost-{ids['lighting']}").get_attribute("aria-invalid") == "true"
    with data.ctx():
        assert public.current_plan(1) is None or not public.current_plan(1).lines
    screen("edit-error")
    page.locator(f"#cost-{ids['lighting']}").fill("42000")
    # 42,000 + 6,000 + 30,590 = 78,590: the government 60,000, the residents 18,590.
    page.locator("#source-government_subsidy").fill("60000")
    page.locator("#source-residents").fill("18590")
    with page.expect_navigation():
        page.locator("main form.plan-form button").last.click()
    assert "78,590.00" in page.locator("main").inner_text()
    screen("draft")
    with page.expect_navigation():
        page.locator("main form[action$='/publish'] button").click()
    assert page.locator(".plan-status-notice").is_visible()
    assert page.locator("main form[action$='/vote']").is_visible()
    screen("published")
    page.locator("main a[href$='/print']").click()
    page.wait_for_url("**/print")
    assert page.locator(".ns-qr svg").is_visible()
    screen("print")
    with data.ctx():
        plan = db.session.scalar(select(Plan))
        assert plan.status == "notice" and plan.topic_id is not None
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("mode", MODES)
def test_resident_sees_their_share(page, data, axe, login, base_url, mode):
    from participation.plan import plans

    estate = data.community()
    committee = data.committee()
    resident = data.resident()
    _menu(data, committee_phone=committee)
    with data.ctx():
        comm = db.session.scalar(select(Community).where(Community.code == estate.code))
        actor = db.session.scalar(select(User).where(User.phone == committee))
        units = db.session.scalars(select(Unit).order_by(Unit.id)).all()
        for n, unit in enumerate(units):
            unit.area = Decimal("72.40") + n * Decimal("6.15")
        plan = plans.create_plan(actor, comm, "幸福改造方案")
        item = lambda k: db.session.scalar(select(MenuItem.id).where(MenuItem.key == k))  # noqa: E731
        plans.save_plan(
            actor,
            plan,
            title="幸福改造方案",
            summary="基础类应改尽改;完善类按调查排序。",
            lines=[
                plans.LineInput(item("roof"), "330", "95"),
                plans.LineInput(item("lighting"), "1", "42000"),
            ],
            sources={"government_subsidy": "60000", "reward": "2000", "residents": "11350"},
        )
        plans.publish_plan(actor, plan)
        db.session.commit()
        areas = {u.id: u.area for u in units}
        # The resident owns the first two units (see tests/factories.py).
        mine = split_by_area(Decimal("11350.00"), areas)
        first, second = units[0].id, units[1].id
        plan_id = plan.id
    check = _setup(data, mode, page, base_url)
    problems: list[str] = []
    screen = _shooter(page, axe, check, mode, problems, "plan-share")

    login(page, resident)
    page.goto(f"/c/{estate.code}/plan/")
    page.wait_for_url(f"**/plan/{plan_id}")
    assert page.locator(f"#my-share-{first} strong").inner_text() == f"¥{mine[first]:,.2f}"
    assert page.locator(f"#my-share-{second} strong").inner_text() == f"¥{mine[second]:,.2f}"
    assert page.locator("main a[href$='/shares']").count() == 0
    screen("detail")
    assert not problems, "\n".join(problems)
