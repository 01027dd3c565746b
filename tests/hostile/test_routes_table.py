"""Every route of the app is in the hostile-input table (tests/hostile/routes.py): a new route
fails here until its feature says how to build its URL, who may use it and what its form holds."""

from __future__ import annotations

from tests.hostile.routes import CONSTANTS, PARAMS, ROUTES, app_rules, rule_params


def test_every_route_is_in_the_table(app):
    missing = sorted({rule.endpoint for rule in app_rules(app)} - set(ROUTES))
    assert not missing, (
        "routes missing from tests/hostile/routes.py ROUTES (add how to build them, who may "
        f"use them and their form fields): {missing}"
    )


def test_no_stale_entries(app):
    endpoints = {rule.endpoint for rule in app_rules(app)}
    stale = sorted(set(ROUTES) - endpoints)
    assert not stale, f"ROUTES names endpoints the app no longer has: {stale}"


def test_every_parameter_can_be_built(app):
    unknown = set()
    for rule in app_rules(app):
        route = ROUTES[rule.endpoint]
        for name in rule_params(rule):
            converter = type(rule._converters.get(name)).__name__
            if name in ("code", *CONSTANTS) or converter == "AnyConverter":
                continue
            if name not in PARAMS and name not in route.ids and not route.pending:
                unknown.add((rule.endpoint, name))
    assert not unknown, f"route parameters with no way to build them: {sorted(unknown)}"
