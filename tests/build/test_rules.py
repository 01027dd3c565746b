"""Deadline arithmetic (pure): defaults of DOMAIN.md §5, community overrides, exact boundaries
of overdue, escalation once per missed deadline, closing after 7 days, night work."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from participation.build import rules

T0 = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
US = timedelta(microseconds=1)


@pytest.mark.parametrize(
    ("urgency", "category", "ack", "resolve"),
    [
        ("emergency", "safety", 2, 24),
        ("emergency", "utility", 2, 24),
        ("normal", "noise", 24, 168),
        ("normal", "materials", 24, 168),
        ("normal", "utility", 24, 24),  # utilities: restored within 24 h
        ("normal", "other", 24, 168),
    ],
)
def test_default_deadlines(urgency, category, ack, resolve):
    due = rules.deadlines(T0, urgency, category)
    assert due.acknowledge == T0 + timedelta(hours=ack)
    assert due.resolve == T0 + timedelta(hours=resolve)


def test_every_category_has_a_route_and_default_hours():
    assert set(rules.DEFAULT_ROUTES) == set(rules.CATEGORIES)
    assert set(rules.DEFAULT_ROUTES.values()) <= set(rules.PARTIES)
    for category in rules.CATEGORIES:
        for urgency in rules.URGENCIES:
            ack, resolve = rules.hours_for(urgency, category)
            assert 0 < ack <= resolve


def test_community_override_replaces_only_what_it_sets():
    assert rules.hours_for("normal", "noise", (4, None)) == (4, 168)
    assert rules.hours_for("normal", "noise", (None, 72)) == (24, 72)
    assert rules.hours_for("emergency", "noise", (1, 12)) == (1, 12)
    assert rules.hours_for("normal", "utility", (None, None)) == (24, 24)


def test_unknown_urgency_is_an_error():
    with pytest.raises(ValueError):
        rules.hours_for("whenever", "noise")


def test_overdue_holds_up_to_and_including_the_deadline():
    due = rules.deadlines(T0, "emergency", "safety")
    a, r = due.acknowledge, due.resolve
    assert rules.overdue(a - US, "submitted", a, r) == set()
    assert rules.overdue(a, "submitted", a, r) == set()
    assert rules.overdue(a + US, "submitted", a, r) == {"acknowledge"}
    assert rules.overdue(r, "submitted", a, r) == {"acknowledge"}
    assert rules.overdue(r + US, "submitted", a, r) == {"acknowledge", "resolve"}


def test_acknowledging_stops_the_first_clock_not_the_second():
    due = rules.deadlines(T0, "normal", "noise")
    a, r = due.acknowledge, due.resolve
    for state in ("acknowledged", "in_progress", "reopened"):
        assert rules.overdue(a + US, state, a, r) == set()
        assert rules.overdue(r, state, a, r) == set()
        assert rules.overdue(r + US, state, a, r) == {"resolve"}


@pytest.mark.parametrize("state", ["resolved", "closed", "rejected", "merged"])
def test_finished_issues_are_never_overdue(state):
    a, r = T0, T0 + timedelta(hours=1)
    assert rules.overdue(T0 + timedelta(days=400), state, a, r) == set()
    assert rules.next_due(state, a, r) is None


def test_next_due_is_the_deadline_worked_to():
    a, r = T0 + timedelta(hours=2), T0 + timedelta(hours=24)
    assert rules.next_due("submitted", a, r) == a
    assert rules.next_due("acknowledged", a, r) == r
    assert rules.next_due("reopened", a, r) == r


def test_each_missed_deadline_is_escalated_once_in_order():
    due = rules.deadlines(T0, "emergency", "safety")
    a, r = due.acknowledge, due.resolve
    assert rules.escalations(a, "submitted", a, r, set()) == []
    assert rules.escalations(a + US, "submitted", a, r, set()) == ["acknowledge"]
    assert rules.escalations(a + US, "submitted", a, r, {"acknowledge"}) == []
    assert rules.escalations(r + US, "submitted", a, r, set()) == ["acknowledge", "resolve"]
    assert rules.escalations(r + US, "submitted", a, r, {"acknowledge"}) == ["resolve"]
    assert rules.escalations(r + US, "acknowledged", a, r, set()) == ["resolve"]
    assert rules.escalations(r + US, "acknowledged", a, r, {"resolve"}) == []
    assert rules.escalations(r + US, "resolved", a, r, set()) == []


def test_reopening_gives_a_fresh_resolve_deadline():
    at = T0 + timedelta(days=3)
    assert rules.resolve_after_reopen(at, "normal", "noise") == at + timedelta(days=7)
    assert rules.resolve_after_reopen(at, "emergency", "noise") == at + timedelta(hours=24)
    assert rules.resolve_after_reopen(at, "normal", "noise", (None, 48)) == at + timedelta(hours=48)


def test_auto_close_after_exactly_seven_days():
    fixed = T0
    week = timedelta(days=rules.AUTO_CLOSE_DAYS)
    assert not rules.auto_close_due(fixed + week - US, "resolved", fixed)
    assert rules.auto_close_due(fixed + week, "resolved", fixed)
    assert not rules.auto_close_due(fixed + week, "reopened", fixed)
    assert not rules.auto_close_due(fixed + week, "resolved", None)


def test_within_deadline_includes_the_deadline():
    assert rules.within_deadline(T0, T0)
    assert not rules.within_deadline(T0 + US, T0)
    assert not rules.within_deadline(None, T0)


@pytest.mark.parametrize(
    ("start", "end", "night"),
    [
        ((8, 30), (16, 0), False),
        ((6, 0), (22, 0), False),  # 06:00–22:00 exactly: day work
        ((21, 0), (22, 0), False),
        ((21, 0), (22, 1), True),
        ((5, 59), (8, 0), True),
        ((23, 0), (23, 30), True),
        ((1, 0), (3, 0), True),
    ],
)
def test_night_work_window(start, end, night):
    day = datetime(2026, 11, 28)
    s = day.replace(hour=start[0], minute=start[1])
    e = day.replace(hour=end[0], minute=end[1])
    assert rules.touches_night(s, e) is night


def test_several_days_of_day_work_touch_no_night_only_if_split():
    day = datetime(2026, 11, 28, 8, 0)
    assert rules.touches_night(day, day + timedelta(days=1))  # runs through the night
    assert not rules.touches_night(day, day)  # empty window
