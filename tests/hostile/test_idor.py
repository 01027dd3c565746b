"""IDOR: every object URL (every route with an id or a community code in it) tried with the
other community's ids, by every role, gives 403 or 404 (anonymous: the login page), never a
page with the other community's data, never a 500, and a refused POST writes nothing."""

from __future__ import annotations

from tests.hostile.conftest import MARK, ROLES
from tests.hostile.routes import ROUTES, app_rules, build_url, methods, rule_params, url_values

REFUSED = {403, 404}


def _refused(resp, role: str) -> bool:
    if resp.status_code in REFUSED:
        return True
    if role == "anonymous" and resp.status_code == 302:
        return "/login" in resp.headers.get("Location", "")
    return False


def _try(world, client, method: str, url: str, problems: list, what: str) -> None:
    with world.recorder.watch() as writes:
        resp = client.open(method, url, {})
    body = resp.get_data(as_text=True)
    if not _refused(resp, client.role):
        problems.append(f"{what}: {client.role} {method} {url} → {resp.status_code}")
    elif MARK in body:
        problems.append(f"{what}: {client.role} {method} {url} shows the other community's data")
    if method == "POST" and writes:
        problems.append(f"{what}: {client.role} POST {url} wrote {writes[:2]}")


def _object_rules(app):
    for rule in app_rules(app):
        route = ROUTES[rule.endpoint]
        if route.public or not rule_params(rule):
            continue
        yield rule, route


def test_other_communitys_ids_under_own_code(world, no_limits):
    """HA's URL with HB's object ids: every role of HA, the city and anonymous are refused."""
    app, problems, tried = world.app, [], 0
    for rule, route in _object_rules(app):
        if route.user_scoped:
            continue
        own = url_values(rule, route, world.a)
        other = url_values(rule, route, world.b, code=world.a.code)
        if own is None or other is None or own == other:
            continue  # the code alone: covered by the next test
        url = build_url(rule, other)
        for method in methods(rule):
            for role in ROLES:
                _try(world, world.client(role), method, url, problems, "mixed")
                tried += 1
    assert tried > 300
    assert not problems, "\n".join(problems)


def test_other_community_by_its_code(world, no_limits):
    """HB's URLs (its code and its ids) by each resident and staff role of HA, and anonymous.
    The city spans every community by design, so it is tried only with mixed ids above."""
    app, problems, tried = world.app, [], 0
    for rule, route in _object_rules(app):
        if route.user_scoped or "code" not in rule.arguments:
            continue
        values = url_values(rule, route, world.b)
        if values is None:  # objects not built yet: a made-up id under HB's code
            values = {name: (world.b.code if name == "code" else 1) for name in rule_params(rule)}
            values.update(url_values_any(rule))
        url = build_url(rule, values)
        for method in methods(rule):
            for role in ROLES:
                if role == "city":
                    continue
                _try(world, world.client(role), method, url, problems, "foreign")
                tried += 1
    assert tried > 500
    assert not problems, "\n".join(problems)


def url_values_any(rule) -> dict:
    from werkzeug.routing.converters import AnyConverter

    return {
        name: sorted(conv.items)[0]
        for name, conv in rule._converters.items()
        if isinstance(conv, AnyConverter)
    }


def test_inbox_messages_of_others(world):
    rule = next(r for r in app_rules(world.app) if r.endpoint == "main.message")
    url = build_url(rule, {"message_id": world.b.ids["message_id"]})
    problems: list = []
    for role in ROLES:
        _try(world, world.client(role), "GET", url, problems, "inbox")
    assert not problems, "\n".join(problems)


def test_api_hides_other_communitys_drafts(world):
    """The API is public (aggregates only), but a draft exists only for its own committee and
    the city: HA's committee and everybody else get 404 for HB's draft."""
    url = f"/api/v1/votes/{world.b.ids['draft_vote_id']}"
    for role in ROLES:
        if role == "city":
            continue
        resp = world.client(role).get(url)
        assert resp.status_code == 404, (role, resp.status_code)
        assert MARK not in resp.get_data(as_text=True)
    assert world.b_clients["committee"].get(url).status_code == 200
    for vote in ("vote_id", "closed_vote_id"):
        doc = world.client("anonymous").get(f"/api/v1/votes/{world.b.ids[vote]}").get_json()
        assert set(doc) >= {"id", "title", "status"}
        # Aggregates only: no names, rooms or phones anywhere in the document.
        flat = str(doc)
        for person in world.b.people.values():
            assert person.phone not in flat
