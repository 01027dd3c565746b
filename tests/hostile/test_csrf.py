"""CSRF: every POST route refuses a submission without a token, with a made-up token and with a
token of another session (400, nothing written), for a user who may otherwise use it."""

from __future__ import annotations

from tests.hostile.routes import ROUTES, app_rules, build_url, methods, url_values

# Exempt by design: /prefs only sets the language/elder-mode cookies (an old page left open
# must still switch them) and writes nothing.
EXEMPT = {"main.prefs"}


def _url(rule, route, world) -> str:
    values = url_values(rule, route, world.a)
    if values is None:
        from tests.hostile.test_ids import _fill

        values = _fill(rule, {}, world)
    return build_url(rule, values)


def test_post_routes_refuse_missing_and_forged_tokens(world, no_limits):
    other_session = world.b_clients["committee"].token
    problems, tried = [], 0
    for rule in app_rules(world.app):
        if "POST" not in methods(rule) or rule.endpoint in EXEMPT:
            continue
        route = ROUTES[rule.endpoint]
        client = world.clients[route.role]
        url = _url(rule, route, world)
        for label, data, headers in (
            ("missing", {}, {}),
            ("made-up", {"csrf_token": "IjAwMDAi.aaaa.bbbb"}, {}),
            ("other session", {"csrf_token": other_session}, {}),
            ("made-up header", {}, {"X-CSRFToken": "forged"}),
        ):
            with world.recorder.watch() as writes:
                resp = client.client.post(url, data=data, headers=headers)
            tried += 1
            if resp.status_code != 400:
                problems.append(f"{label}: {client.role} POST {url} → {resp.status_code}")
            if writes:
                problems.append(f"{label}: {client.role} POST {url} wrote {writes[:2]}")
    assert tried > 100
    assert not problems, "\n".join(problems)


def test_prefs_without_token_sets_only_cookies(world):
    client = world.client("owner")
    with world.recorder.watch() as writes:
        resp = client.client.post("/prefs", data={"lang": "en", "next": "https://evil.example/"})
    assert resp.status_code == 302
    assert resp.headers["Location"] in ("/", "http://localhost/")  # never off-site
    assert not writes
