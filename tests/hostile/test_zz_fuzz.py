"""Property-based tests over every form, every query string and the API: whatever is sent, no
5xx; and a refused submission (an error status, the form shown again, or a redirect with an
error message) writes nothing. Runs last in the folder: accepted submissions change the world.

HOSTILE_EXAMPLES sets the number of generated inputs per form/endpoint (default 20, quick for
`make test`; `make test-hostile` runs 1,000 each)."""

from __future__ import annotations

import os

import pytest
from flask import session as _session  # noqa: F401
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.hostile import strategies
from tests.hostile.routes import ROUTES, app_rules, build_url, methods, url_values

# The folder's profile (no deadline, derandomized, no example files), not loaded globally so
# other packages' hypothesis tests keep their own settings.
HOSTILE = settings.get_profile("hostile")
CSRF_REFUSAL = "The form expired or was sent from elsewhere"
EXAMPLES = int(os.environ.get("HOSTILE_EXAMPLES", "20"))

FORMS = sorted(e for e, r in ROUTES.items() if r.fields and not r.pending)
QUERIES = sorted(e for e, r in ROUTES.items() if r.query and not r.pending)


def _rule(app, endpoint: str, method: str):
    return next(r for r in app_rules(app) if r.endpoint == endpoint and method in methods(r))


def _error_flashed(client) -> bool:
    """Whether the answer flashed an error (then cleared, so the next example starts clean)."""
    with client.client.session_transaction() as sess:
        flashes = sess.pop("_flashes", [])
    return any(category == "error" for category, _message in flashes)


@pytest.mark.parametrize("endpoint", FORMS)
def test_form_fuzz(world, no_limits, endpoint):
    route = ROUTES[endpoint]
    rule = _rule(world.app, endpoint, "POST")
    url = build_url(rule, url_values(rule, route, world.a))
    client = world.clients[route.role]
    seen = {"n": 0, "accepted": 0}

    @settings(HOSTILE, max_examples=EXAMPLES)
    @given(data=strategies.form(route.fields))
    def submit(data):
        with world.recorder.watch() as writes:
            resp = client.post(url, strategies.encode(route.fields, data))
        seen["n"] += 1
        seen[resp.status_code] = seen.get(resp.status_code, 0) + 1
        assert resp.status_code < 500, (url, data)
        # The token is always valid here: a refusal must come from the input, not from CSRF.
        assert CSRF_REFUSAL not in resp.get_data(as_text=True), (url, data)
        error = resp.status_code == 302 and _error_flashed(client)
        refused = resp.status_code >= 400 or error or resp.status_code == 200
        if refused and not (route.writes_on_200 and resp.status_code == 200):
            assert not writes, (url, resp.status_code, data, writes[:3])
        else:
            seen["accepted"] += 1

    submit()
    if os.environ.get("HOSTILE_STATS"):
        print(f"\n{endpoint}: {seen}")
    assert seen["n"] >= EXAMPLES


@pytest.mark.parametrize("endpoint", QUERIES)
def test_query_fuzz(world, no_limits, endpoint):
    route = ROUTES[endpoint]
    rule = _rule(world.app, endpoint, "GET")
    url = build_url(rule, url_values(rule, route, world.a))
    client = world.clients[route.role]
    seen = {"n": 0}

    @settings(HOSTILE, max_examples=EXAMPLES)
    @given(
        query=st.fixed_dictionaries({}, optional={name: strategies.texts for name in route.query}),
        htmx=st.booleans(),
    )
    def read(query, htmx):
        headers = {"HX-Request": "true"} if htmx else {}
        resp = client.get(url, query_string=query, headers=headers)
        seen["n"] += 1
        assert resp.status_code < 500, (url, query)

    read()
    assert seen["n"] >= EXAMPLES


API_PATHS = st.one_of(
    st.integers(0, 2**70).map(lambda n: f"/api/v1/votes/{n}"),
    st.integers(0, 2**70).map(lambda n: f"/api/v1/votes/{n}/receipts"),
    st.text(alphabet=st.characters(codec="utf-8", exclude_characters="?#"), max_size=40).map(
        lambda t: "/api/v1/" + t
    ),
    st.sampled_from(["/api/v1/openapi.json", "/api/v1/votes/", "/api/v1/votes/-1"]),
)


def test_api_fuzz(world, no_limits):
    """Any path under /api/v1, any method, by anonymous or the committee: JSON, never a 5xx."""
    clients = [world.client("anonymous"), world.client("committee")]
    seen = {"n": 0}

    @settings(HOSTILE, max_examples=EXAMPLES * 3)
    @given(
        path=API_PATHS,
        method=st.sampled_from(["GET", "GET", "POST", "PUT", "DELETE"]),
        who=st.sampled_from([0, 1]),
    )
    def call(path, method, who):
        resp = clients[who].client.open(path, method=method)
        seen["n"] += 1
        assert resp.status_code < 500, (method, path)
        if method == "GET" and resp.status_code != 308:
            assert resp.is_json, (path, resp.status_code)

    call()
    assert seen["n"] >= EXAMPLES * 3
