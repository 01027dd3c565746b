"""Deadline arithmetic for issue reports: pure functions, no Flask, no database.

Defaults (DOMAIN.md §5, Beijing 接诉即办, configurable per community and category):
acknowledge an emergency within 2 hours and resolve it within 24; acknowledge a normal report
within 24 hours and resolve it within 7 days; a water or power cut (a utility) is resolved within
24 hours even when not marked an emergency.

A deadline holds up to and including its instant: an issue is overdue only once `now` is past it.
Acknowledging stops the acknowledge clock; resolving (or closing, rejecting, merging) stops both.
A reopened issue gets a fresh resolve deadline from the moment it was reopened.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

CATEGORIES = (
    "noise",
    "dust",
    "materials",
    "access",
    "utility",
    "safety",
    "quality",
    "damage",
    "schedule",
    "other",
)
EMERGENCY, NORMAL = "emergency", "normal"
URGENCIES = (EMERGENCY, NORMAL)
PROPERTY, CONTRACTOR, COMMITTEE = "property", "contractor", "committee"
PARTIES = (PROPERTY, CONTRACTOR, COMMITTEE)

# (acknowledge hours, resolve hours) by urgency.
DEFAULT_HOURS: dict[str, tuple[int, int]] = {EMERGENCY: (2, 24), NORMAL: (24, 7 * 24)}
# Category exceptions to the normal default: utilities are restored within 24 hours.
CATEGORY_HOURS: dict[tuple[str, str], tuple[int, int]] = {("utility", NORMAL): (24, 24)}
MAX_HOURS = 15 * 24  # "complex" cases: 15 days is the longest a community may set

# Who answers what (宁波条例 Art. 67): works under construction → the contractor; common parts and
# utility lines (the property company calls the utility) → the property company.
DEFAULT_ROUTES: dict[str, str] = {
    "noise": CONTRACTOR,
    "dust": CONTRACTOR,
    "materials": CONTRACTOR,
    "access": CONTRACTOR,
    "utility": PROPERTY,
    "safety": CONTRACTOR,
    "quality": CONTRACTOR,
    "damage": CONTRACTOR,
    "schedule": CONTRACTOR,
    "other": PROPERTY,
}

AUTO_CLOSE_DAYS = 7  # a resolved issue the reporter neither confirms nor reopens closes itself

# States in which the clocks run.
ACK_PENDING = frozenset({"submitted"})
OPEN_STATES = frozenset({"submitted", "acknowledged", "in_progress", "reopened"})


def hours_for(
    urgency: str, category: str, override: tuple[int | None, int | None] | None = None
) -> tuple[int, int]:
    """(acknowledge, resolve) hours: the community's setting where it has one, else the
    category default, else the urgency default."""
    if urgency not in URGENCIES:
        raise ValueError(f"unknown urgency {urgency!r}")
    ack, resolve = CATEGORY_HOURS.get((category, urgency), DEFAULT_HOURS[urgency])
    if override is not None:
        ack = override[0] if override[0] is not None else ack
        resolve = override[1] if override[1] is not None else resolve
    return ack, resolve


@dataclass(frozen=True)
class Deadlines:
    acknowledge: datetime
    resolve: datetime


def deadlines(
    reported_at: datetime,
    urgency: str,
    category: str,
    override: tuple[int | None, int | None] | None = None,
) -> Deadlines:
    ack, resolve = hours_for(urgency, category, override)
    return Deadlines(reported_at + timedelta(hours=ack), reported_at + timedelta(hours=resolve))


def resolve_after_reopen(reopened_at: datetime, urgency: str, category: str, override=None):
    return reopened_at + timedelta(hours=hours_for(urgency, category, override)[1])


def overdue(now: datetime, state: str, ack_due: datetime, resolve_due: datetime) -> set[str]:
    """Which deadlines are missed now: a subset of {"acknowledge", "resolve"}."""
    missed: set[str] = set()
    if state in ACK_PENDING and now > ack_due:
        missed.add("acknowledge")
    if state in OPEN_STATES and now > resolve_due:
        missed.add("resolve")
    return missed


def is_overdue(now: datetime, state: str, ack_due: datetime, resolve_due: datetime) -> bool:
    return bool(overdue(now, state, ack_due, resolve_due))


def next_due(state: str, ack_due: datetime, resolve_due: datetime) -> datetime | None:
    """The deadline the responsible party works to next (the queue sorts by it)."""
    if state in ACK_PENDING:
        return min(ack_due, resolve_due)
    if state in OPEN_STATES:
        return resolve_due
    return None


def escalations(
    now: datetime,
    state: str,
    ack_due: datetime,
    resolve_due: datetime,
    already: set[str] | frozenset[str],
) -> list[str]:
    """The missed deadlines not yet escalated to the committee, in the order they fell due:
    each stage is escalated once (the caller records it in `already`)."""
    missed = overdue(now, state, ack_due, resolve_due) - set(already)
    order = {"acknowledge": ack_due, "resolve": resolve_due}
    return sorted(missed, key=lambda stage: (order[stage], stage))


def auto_close_due(now: datetime, state: str, resolved_at: datetime | None) -> bool:
    return (
        state == "resolved"
        and resolved_at is not None
        and now >= resolved_at + timedelta(days=AUTO_CLOSE_DAYS)
    )


def within_deadline(resolved_at: datetime | None, resolve_due: datetime) -> bool:
    return resolved_at is not None and resolved_at <= resolve_due


# --- night work (DOMAIN.md §5: 22:00–06:00 banned near homes except emergencies, announced) ---

NIGHT_START_HOUR, NIGHT_END_HOUR = 22, 6


def touches_night(start_local: datetime, end_local: datetime) -> bool:
    """Whether [start, end) on the wall clock overlaps any 22:00–06:00 night."""
    if end_local <= start_local:
        return False
    day = start_local.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=1)
    while day < end_local:
        night_from = day.replace(hour=NIGHT_START_HOUR)
        night_to = day + timedelta(days=1, hours=NIGHT_END_HOUR)
        if start_local < night_to and end_local > night_from:
            return True
        day += timedelta(days=1)
    return False
