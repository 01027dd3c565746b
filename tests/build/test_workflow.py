"""The issue state machine: every (state, action) pair, allowed or refused."""

from __future__ import annotations

import pytest

from participation.build import workflow as wf

# state → {action: next state}; every pair not listed is refused.
ALLOWED = {
    "submitted": {
        "acknowledge": "acknowledged",
        "start": "in_progress",
        "resolve": "resolved",
        "reassign": "submitted",
        "reject": "rejected",
        "merge": "merged",
    },
    "acknowledged": {
        "start": "in_progress",
        "resolve": "resolved",
        "reassign": "acknowledged",
        "reject": "rejected",
        "merge": "merged",
    },
    "in_progress": {
        "resolve": "resolved",
        "reassign": "in_progress",
        "reject": "rejected",
        "merge": "merged",
    },
    "resolved": {"confirm": "closed", "auto_close": "closed", "reopen": "reopened"},
    "reopened": {
        "start": "in_progress",
        "resolve": "resolved",
        "reassign": "reopened",
        "reject": "rejected",
        "merge": "merged",
    },
    "closed": {},
    "rejected": {},
    "merged": {},
}
PAIRS = [(s, a) for s in wf.STATES for a in wf.ACTIONS]


def test_the_table_covers_every_state():
    assert set(ALLOWED) == set(wf.STATES)


@pytest.mark.parametrize(("state", "action"), PAIRS)
def test_transition(state, action):
    expected = ALLOWED[state].get(action)
    if expected is None:
        assert not wf.allowed(state, action)
        with pytest.raises(wf.TransitionRefused):
            wf.next_state(state, action)
    else:
        assert wf.allowed(state, action)
        assert wf.next_state(state, action) == expected


def test_unknown_action_is_refused():
    with pytest.raises(wf.TransitionRefused):
        wf.next_state("submitted", "teleport")


def test_final_states_allow_nothing():
    for state in wf.FINAL:
        assert wf.actions_from(state) == []


def test_who_acts():
    assert wf.actions_from("submitted", wf.PARTY) == ["acknowledge", "start", "resolve"]
    assert wf.actions_from("resolved", wf.REPORTER) == ["confirm", "reopen"]
    assert wf.actions_from("resolved", wf.SYSTEM) == ["auto_close"]
    assert wf.actions_from("in_progress", wf.COMMITTEE) == ["reassign", "reject", "merge"]
