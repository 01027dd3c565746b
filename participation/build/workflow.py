"""The issue state machine: which action moves an issue from which state to which, and who may
take it. Pure: no Flask, no database.

    submitted ─acknowledge→ acknowledged ─start→ in_progress ─resolve→ resolved ─confirm→ closed
        │  (start and resolve may skip the earlier steps)        │  └─auto_close→ closed
        │                                                        └─reopen→ reopened ─start/resolve→ …
        └─ reject / merge (the committee, from any open state) → rejected / merged

Reassigning to another party keeps the state. Closed, rejected and merged issues are final.
"""

from __future__ import annotations

from dataclasses import dataclass

SUBMITTED = "submitted"
ACKNOWLEDGED = "acknowledged"
IN_PROGRESS = "in_progress"
RESOLVED = "resolved"
CLOSED = "closed"
REOPENED = "reopened"
REJECTED = "rejected"
MERGED = "merged"
STATES = (SUBMITTED, ACKNOWLEDGED, IN_PROGRESS, RESOLVED, REOPENED, CLOSED, REJECTED, MERGED)
OPEN = frozenset({SUBMITTED, ACKNOWLEDGED, IN_PROGRESS, REOPENED})
FINAL = frozenset({CLOSED, REJECTED, MERGED})

# Who takes an action: the responsible party's staff, the reporter, the committee, the system.
PARTY, REPORTER, COMMITTEE, SYSTEM = "party", "reporter", "committee", "system"


@dataclass(frozen=True)
class Transition:
    sources: frozenset[str]
    target: str | None  # None: the state stays (reassign)
    actor: str


TRANSITIONS: dict[str, Transition] = {
    "acknowledge": Transition(frozenset({SUBMITTED}), ACKNOWLEDGED, PARTY),
    "start": Transition(frozenset({SUBMITTED, ACKNOWLEDGED, REOPENED}), IN_PROGRESS, PARTY),
    "resolve": Transition(
        frozenset({SUBMITTED, ACKNOWLEDGED, IN_PROGRESS, REOPENED}), RESOLVED, PARTY
    ),
    "confirm": Transition(frozenset({RESOLVED}), CLOSED, REPORTER),
    "auto_close": Transition(frozenset({RESOLVED}), CLOSED, SYSTEM),
    "reopen": Transition(frozenset({RESOLVED}), REOPENED, REPORTER),
    "reassign": Transition(OPEN, None, COMMITTEE),
    "reject": Transition(OPEN, REJECTED, COMMITTEE),
    "merge": Transition(OPEN, MERGED, COMMITTEE),
}
ACTIONS = tuple(TRANSITIONS)


class TransitionRefused(Exception):
    def __init__(self, state: str, action: str) -> None:
        super().__init__(f"{action} is not possible from {state}")
        self.state, self.action = state, action


def allowed(state: str, action: str) -> bool:
    transition = TRANSITIONS.get(action)
    return transition is not None and state in transition.sources


def next_state(state: str, action: str) -> str:
    """The state after `action`, or TransitionRefused."""
    if not allowed(state, action):
        raise TransitionRefused(state, action)
    target = TRANSITIONS[action].target
    return state if target is None else target


def actions_from(state: str, actor: str | None = None) -> list[str]:
    return [
        name
        for name, t in TRANSITIONS.items()
        if state in t.sources and (actor is None or t.actor == actor)
    ]
