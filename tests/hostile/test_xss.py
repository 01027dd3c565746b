"""XSS: a payload typed into every text field that is shown back comes out escaped on the pages
that show it (the raw markup never appears), in the language it was written for."""

from __future__ import annotations

import html
import itertools
import re
from datetime import datetime, timedelta

from sqlalchemy import select

from participation.consult.models import Comment, Topic
from participation.extensions import db
from tests import factories
from tests.hostile.conftest import Client

_n = itertools.count(1)


def payload() -> str:
    n = next(_n)
    return f"<script>x{n}</script><b onclick=a({n})>\"'&"


def _check(pages: list, payloads: list[str], problems: list, what: str, shown: bool = True) -> None:
    seen = {p: False for p in payloads}
    for resp in pages:
        body = resp.get_data(as_text=True)
        assert resp.status_code < 500, (what, resp.status_code)
        for p in payloads:
            if p in body or "<script>x" in body or "<b onclick" in body:
                problems.append(f"{what}: raw payload on {resp.request.path}")
            if (
                html.escape(p, quote=True) in body
                or html.escape(p, quote=False) in body
                or p.split("<b ")[0].replace("<", "&lt;").replace(">", "&gt;") in body
            ):
                seen[p] = True
    missing = [p for p, ok in seen.items() if not ok]
    if missing and shown:
        problems.append(f"{what}: payload not shown (escaped) anywhere: {missing}")


def _follow(client, resp):
    assert resp.status_code == 302, re.findall(
        r"(?s)<(?:p|span|div)[^>]*(?:error|flash)[^>]*>.*?</", resp.get_data(as_text=True)
    )
    return client.get(resp.headers["Location"])


def test_text_fields_render_escaped(world, no_limits):
    a, problems = world.a, []
    committee, owner, city = (world.client(r) for r in ("committee", "owner", "city"))
    code = a.code

    # Notice board
    t, b = payload(), payload()
    resp = committee.post(f"/c/{code}/notices/new", {"title": t, "body": b})
    _check(
        [_follow(committee, resp), owner.get(f"/c/{code}/notices"), owner.get("/inbox")],
        [t, b],
        problems,
        "notice",
    )

    # A topic (draft: the committee sees it) and its list
    t, b = payload(), payload()
    resp = committee.post(f"/c/{code}/topics/new", {"title": t, "body": b, "notice_days": "7"})
    _check(
        [_follow(committee, resp), committee.get(f"/c/{code}/topics")], [t, b], problems, "topic"
    )

    # A comment, a reply, a report, a moderation reason
    topic_id = a.ids["topic_id"]
    detail = f"/c/{code}/topics/{topic_id}"
    c = payload()
    resp = owner.post(f"{detail}/comments", {"body": c})
    _check([_follow(owner, resp)], [c], problems, "comment")
    comment_id = db.session.scalar(select(Comment.id).where(Comment.body == c))
    r = payload()
    resp = owner.post(f"{detail}/comments/{comment_id}/reply", {f"r{comment_id}-body": r})
    _check([_follow(owner, resp)], [r], problems, "reply")
    why = payload()
    resp = committee.post(
        f"{detail}/comments/{comment_id}/hide", {"reason_code": "abusive", "text": why}
    )
    _check([_follow(committee, resp), owner.get(detail)], [why], problems, "hide reason")

    # A vote draft
    t, q = payload(), payload()
    opens = (datetime.now() + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M")
    closes = (datetime.now() + timedelta(days=40)).strftime("%Y-%m-%dT%H:%M")
    resp = committee.post(
        f"/c/{code}/votes/new",
        {
            "topic": a.ids["vote_topic_id"],
            "title": t,
            "question": q,
            "scope": "community",
            "rule": "ordinary",
            "opens_at": opens,
            "closes_at": closes,
            "action": "save",
        },
    )
    _check([_follow(committee, resp), committee.get(f"/c/{code}/votes")], [t, q], problems, "vote")

    # A proxy's evidence
    ev = payload()
    vote = f"/c/{code}/votes/{a.ids['vote_id']}"
    resp = committee.post(
        f"{vote}/proxies",
        {"owner": "1-1-201", "proxy": a.people["tenant"].phone, "evidence": ev},
    )
    _check([_follow(committee, resp)], [ev], problems, "proxy evidence")

    # A paper ballot's reference
    ref = payload()[:40]
    resp = committee.post(f"{vote}/paper", {"unit": "1-2-202", "choice": "agree", "reference": ref})
    _check([_follow(committee, resp)], [ref], problems, "paper reference")

    # A menu item, in both languages
    zh, en, dzh, den = payload(), payload(), payload(), payload()
    resp = committee.post(
        f"/c/{code}/plan/menu/new",
        {
            "category": "improvement",
            "name_zh": zh,
            "name_en": en,
            "description_zh": dzh,
            "description_en": den,
            "cost_basis": "none",
        },
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)[:3000]
    zh_client = Client(world.app, a.people["owner"], "owner")
    zh_client.client.set_cookie("lang", "zh_Hans")
    _check([owner.get(f"/c/{code}/plan/menu")], [en, den], problems, "menu item (en)")
    _check([zh_client.get(f"/c/{code}/plan/menu")], [zh, dzh], problems, "menu item (zh)")

    # The city's forms: a community and a staff account
    fields = {k: payload() for k in ("name", "name_en", "district", "address")}
    resp = city.post("/admin/communities", {"code": "XSS1", **fields})
    _check(
        [_follow(city, resp), city.get("/admin/communities")],
        [fields["name_en"], fields["district"]],
        problems,
        "community",
    )
    name, title = payload(), payload()
    resp = city.post(
        "/admin/staff",
        {
            "phone": factories.next_phone(),
            "name": name,
            "password": "longpassword1",
            "role": "committee",
            "community": code,
            "title": title,
        },
    )
    _check([_follow(city, resp)], [name, title], problems, "staff")

    # A resident's name at sign-up, seen by the committee
    name = payload()[:100]
    newcomer = Client(world.app)
    resp = newcomer.post(
        "/signup",
        {
            "code": a.ids["invite_code"],
            "phone": factories.next_phone(),
            "name": name,
            "relation": "tenant",
            "password": "longpassword1",
            "privacy": "y",
        },
    )
    assert resp.status_code == 302, resp.get_data(as_text=True)[:3000]
    _check([committee.get(f"/c/{code}/residents")], [name], problems, "resident name")

    # Owner names in a register sheet, in the import preview
    owner_name = payload()[:60]
    sheet = f"楼栋,单元,房号,面积,业主姓名\n7,1,101,80,{owner_name.replace(',', ' ')}\n".encode()
    import io

    resp = committee.post(f"/c/{code}/register/import", {"sheet": (io.BytesIO(sheet), "r.csv")})
    assert resp.status_code == 200, resp.status_code
    # The preview masks names (only the first character is shown): never raw markup.
    _check([resp], [owner_name.replace(",", " ")], problems, "register owner name", shown=False)

    assert not problems, "\n".join(problems)
    _ = Topic


def test_text_fields_of_new_packages_render_escaped(world, no_limits):
    """Ideas, issue reports, plans and board photos (packages built now)."""
    import io

    from tests.consult.helpers import png_bytes

    a, problems = world.a, []
    code = a.code
    committee, owner2, owner = (world.clients[r] for r in ("committee", "owner2", "owner"))

    t, b = payload(), payload()
    resp = owner2.post(f"/c/{code}/ideas/new", {"title": t, "body": b})
    _check([_follow(owner2, resp), owner.get(f"/c/{code}/ideas")], [t, b], problems, "idea")

    d = payload()
    resp = owner2.post(
        f"/c/{code}/issues/new",
        {"category": "noise", "urgency": "normal", "description": d, "place": ""},
    )
    _check([_follow(owner2, resp)], [d], problems, "issue")

    t, s = payload(), payload()
    plan = f"/c/{code}/plan/{a.ids['plan_id']}"
    resp = committee.post(f"{plan}/edit", {"title": t, "summary": s})
    _follow(committee, resp)
    _check([committee.get(plan), committee.get(f"/c/{code}/plan/")], [t, s], problems, "plan")

    c = payload()
    resp = committee.post(
        f"/c/{code}/board/photos",
        {
            "caption": c,
            "before": (io.BytesIO(png_bytes()), "b.png"),
            "after": (io.BytesIO(png_bytes()), "a.png"),
        },
    )
    _check([_follow(committee, resp)], [c], problems, "photo caption")
    assert not problems, "\n".join(problems)
