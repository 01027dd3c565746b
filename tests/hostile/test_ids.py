"""Out-of-range ids in URLs (beyond 64-bit integers, beyond the database's integer) give 404,
never a 500, on every route with an id, for every method."""

from __future__ import annotations

from tests.hostile.routes import ROUTES, app_rules, build_url, methods, url_values

HUGE = (2**31, 2**63, 10**30)


def test_huge_ids_are_not_found(world, no_limits):
    problems = []
    for rule in app_rules(world.app):
        ints = [n for n, c in rule._converters.items() if type(c).__name__ == "IntegerConverter"]
        if not ints:
            continue
        route = ROUTES[rule.endpoint]
        values = url_values(rule, route, world.a)
        if values is None:
            values = {n: 1 for n in ints}
            values.update(url_values(rule, route.__class__(), world.a) or {})
        client = world.clients.get(route.role, world.client("committee"))
        for huge in HUGE:
            for name in ints:
                url = build_url(rule, {**_fill(rule, values, world), name: huge})
                for method in methods(rule):
                    resp = client.open(method, url, {})
                    if resp.status_code >= 500:
                        problems.append(f"{method} {url} → {resp.status_code}")
    assert not problems, "\n".join(problems)


def _fill(rule, values, world):
    from werkzeug.routing.converters import AnyConverter

    out = dict(values)
    for name, conv in rule._converters.items():
        if name not in out:
            if name == "code":
                out[name] = world.a.code
            elif isinstance(conv, AnyConverter):
                out[name] = sorted(conv.items)[0]
            else:
                out[name] = 1
    return out
