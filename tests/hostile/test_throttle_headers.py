"""Login brute force is throttled (per address and per phone number, the right password
included once throttled); every page carries the security headers."""

from __future__ import annotations

from participation.extensions import limiter
from tests import factories
from tests.hostile.conftest import ROLES, Client
from tests.hostile.routes import ROUTES, app_rules, build_url, methods, url_values


def test_login_brute_force_is_throttled(world):
    limiter.reset()
    limiter.enabled = True
    owner = world.a.people["owner"]
    attacker = Client(world.app)
    codes = [
        attacker.post("/login", {"phone": owner.phone, "password": f"guess-{n}"}).status_code
        for n in range(12)
    ]
    assert codes[:10] == [400] * 10 and codes[10:] == [429, 429], codes
    right = attacker.post("/login", {"phone": owner.phone, "password": factories.PASSWORD})
    assert right.status_code == 429  # throttled: even the right password waits
    limiter.reset()


def test_one_phone_is_throttled_from_many_addresses(world):
    limiter.reset()
    owner = world.a.people["owner"]
    codes = []
    for n in range(12):
        client = Client(world.app)
        resp = client.client.post(
            "/login",
            data={"phone": owner.phone, "password": f"guess-{n}", "csrf_token": client.token},
            environ_base={"REMOTE_ADDR": f"10.0.0.{n + 1}"},
        )
        codes.append(resp.status_code)
    assert codes[-1] == 429, codes
    limiter.reset()


HEADERS = {
    "Content-Security-Policy": "default-src 'self'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def test_security_headers_on_every_page(world, no_limits):
    problems, tried = [], 0
    for rule in app_rules(world.app):
        route = ROUTES[rule.endpoint]
        if "GET" not in methods(rule) or rule.endpoint == "static":
            continue
        values = url_values(rule, route, world.a)
        if values is None:
            continue
        url = build_url(rule, values)
        for role in (route.role, "anonymous"):
            client = world.clients[role if role in world.clients else "committee"]
            resp = client.get(url)
            tried += 1
            for name, value in HEADERS.items():
                if value not in resp.headers.get(name, ""):
                    problems.append(f"{role} {url} ({resp.status_code}): {name} missing")
    assert tried > 50
    assert not problems, "\n".join(problems)
    _ = ROLES
