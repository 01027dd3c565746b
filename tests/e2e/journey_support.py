"""Pieces of the full-journey browser test (tests/e2e/test_full_journey.py): one browser
context per person (each on their own phone, logged in once through the real form), the checks
run on every main page, and the clock moved through the database where the rules make people
wait (a topic's notice period, a vote's closing time), never by sleeping."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from participation.config import ROOT
from participation.core.timeutil import aware, utcnow
from participation.extensions import db
from tests.e2e.support import (
    CONTEXT_ARGS,
    ConsoleWatch,
    assert_no_axe_violations,
    check_normal_page,
    login,
    screenshot,
)

SHOTS = ROOT / "screenshots"
ZONE = "Asia/Shanghai"  # BABEL_DEFAULT_TIMEZONE of the test config
VOTE_DAYS = 7  # how long the journey's votes ran, in the story the database tells


def wall(dt: datetime) -> str:
    """A UTC time as the value of an <input type=datetime-local> (the community's wall clock)."""
    from zoneinfo import ZoneInfo

    return dt.astimezone(ZoneInfo(ZONE)).strftime("%Y-%m-%dT%H:%M")


def in_days(days: float) -> str:
    return wall(utcnow() + timedelta(days=days))


@dataclass(eq=False)  # hashable: people are keys of dicts
class Person:
    """Somebody with their own phone: a browser context, logged in once."""

    name: str
    phone: str
    page: object
    watch: ConsoleWatch

    def go(self, path: str) -> None:
        self.page.goto(path)

    def submit(self, locator) -> None:
        """Click a plain form's button and wait for the page it leads to."""
        with self.page.expect_navigation():
            locator.click()

    def main(self) -> str:
        return self.page.locator("main").inner_text()

    def flash_ok(self) -> None:
        flash = self.page.locator(".flash-success")
        assert flash.count() >= 1, f"{self.name}: no success message on {self.page.url}:\n" + (
            self.page.locator(".flash").all_inner_texts().__str__()
        )


class Journey:
    """The people of the journey and the pages they saw: axe on every main page, the
    phone-layout rules (tap targets, line height) and, with SCREENSHOTS=1, a PNG."""

    def __init__(self, browser, base_url: str, data) -> None:
        self.browser, self.base_url, self.data = browser, base_url, data
        self.contexts: list = []
        self.people: list[Person] = []
        self.problems: list[str] = []
        self.checked: list[str] = []
        self.save = os.environ.get("SCREENSHOTS") == "1"
        self.started = time.monotonic()
        self.timings: list[tuple[str, float]] = []
        self.checking = 0.0  # seconds spent in axe and the layout checks

    def person(self, name: str, phone: str) -> Person:
        context = self.browser.new_context(**CONTEXT_ARGS, base_url=self.base_url)
        self.contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(5_000)
        watch = ConsoleWatch(page)
        login(page, phone)
        who = Person(name, phone, page, watch)
        self.people.append(who)
        return who

    def screen(self, who: Person, name: str, layout: bool = True) -> None:
        started = time.monotonic()
        page = who.page
        assert_no_axe_violations(page, f"journey/{who.name}/{name}")
        if layout:
            self.problems.extend(check_normal_page(page))
        self.checked.append(f"{who.name}:{name}")
        if self.save:
            SHOTS.mkdir(exist_ok=True)
            screenshot(page, SHOTS / f"journey-{len(self.checked):02d}-{who.name}-{name}.png")
        self.checking += time.monotonic() - started

    def lap(self, what: str) -> None:
        self.timings.append((what, round(time.monotonic() - self.started, 1)))

    def close(self) -> None:
        for context in self.contexts:
            context.close()

    def assert_clean(self) -> None:
        errors = [f"{p.name}: {e}" for p in self.people for e in p.watch.errors]
        assert not errors, "browser errors:\n" + "\n".join(errors)
        assert not self.problems, "\n".join(self.problems)


# --- the clock, moved in the database -----------------------------------------------------------


def end_notice_period(data, topic_id: int) -> None:
    """The topic was posted long enough ago that its notice period is over: it ended
    VOTE_DAYS + 1 days ago, so that a vote opened then has had its whole period by now."""
    from participation.consult.models import Topic

    with data.ctx():
        topic = db.session.get(Topic, topic_id)
        topic.posted_at = utcnow() - timedelta(days=topic.notice_days + VOTE_DAYS + 1)
        db.session.commit()


def plan_notice_over(data, plan_id: int) -> None:
    """The plan was published (its topic posted) long enough ago that its notice period is
    over, as end_notice_period."""
    from participation.consult.models import Topic
    from participation.plan.models import Plan

    with data.ctx():
        plan = db.session.get(Plan, plan_id)
        topic_id = plan.topic_id
    end_notice_period(data, topic_id)
    with data.ctx():
        plan = db.session.get(Plan, plan_id)
        plan.published_at = db.session.get(Topic, topic_id).posted_at
        db.session.commit()


def reach_closing_time(data, vote_id: int) -> None:
    """The vote's closing time has come: the next view of the vote closes it (refresh_vote),
    as the real clock would. It opened VOTE_DAYS earlier (after its topic's notice period, see
    end_notice_period), so the result shows a believable period."""
    from participation.voting.models import Vote

    with data.ctx():
        vote = db.session.get(Vote, vote_id)
        vote.closes_at = utcnow() - timedelta(seconds=1)
        vote.opens_at = min(aware(vote.opens_at), vote.closes_at - timedelta(days=VOTE_DAYS))
        db.session.commit()


def vote_state(data, vote_id: int) -> tuple[str, dict]:
    from participation.voting.models import Vote

    with data.ctx():
        vote = db.session.get(Vote, vote_id)
        return str(vote.status), dict(vote.result or {})


def menu_ids(data, keys: list[str]) -> dict[str, int]:
    from participation.plan.models import MenuItem

    with data.ctx():
        return {k: db.session.scalar(select(MenuItem.id).where(MenuItem.key == k)) for k in keys}


def money(value: Decimal | str) -> str:
    return f"{Decimal(value):,.2f}"
