H = "9" * 25
def test_probe(world, no_limits):
    a = world.a
    cases = [
        ("owner2", "/c/HA/issues/new", {"category": "noise", "urgency": "normal", "description": "x", "place": "b" + H}),
        ("owner2", "/c/HA/issues/new", {"category": "noise", "urgency": "normal", "description": "x", "place": "e1-" + H}),
        ("property", f"/c/HA/issues/{a.ids['issue_id']}/act", {"action": "merge", "into": H}),
        ("committee", f"/c/HA/issues/{a.ids['issue_id']}/act", {"action": "merge", "into": H}),
        ("owner2", "/c/HA/ideas/new", {"title": "abc", "body": "abcdef ghijk", "building": H}),
        ("owner", "/c/HA/plan/survey", {"action": "save", "unit_id": H, "items": [H]}),
        ("owner", "/c/HA/ratings", {"action": "rate", "unit_id": H, "overall": "3"}),
        ("owner", "/c/HA/pledge/", {"money-kind": "money", "money-unit_id": H, "money-amount": "5", "money-token": "x"*32}),
        ("committee", "/c/HA/pledge/funding", {"action": "sources", "fund_vote_id": H}),
        ("contractor", "/c/HA/build/log/new", {"day": "2026-11-20", "plan_line": H, "body": "x"}),
        ("committee", f"/c/HA/plan/{a.ids['plan_id']}/edit", {"title": "t", "line-0-item": H, "item": H, "menu_item_id": H}),
        ("committee", "/c/HA/issues/routing", {"category": "noise", "party": "property", "user_id": H, "hours": H}),
    ]
    for role, url, data in cases:
        try:
            r = world.clients[role].post(url, data)
            print("RESULT", role, url, list(data)[-1], r.status_code)
        except Exception as exc:
            print("RESULT", role, url, list(data)[-1], "EXC", type(exc).__name__, str(exc)[:80])
