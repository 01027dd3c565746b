"""Open data: GET /api/v1/communities and GET /api/v1/communities/<code> (public, aggregates
only). Lists are paginated (`page` ≥ 1, `per_page` 1–100); anything else, an unknown code or a
page past the end is a 4xx JSON error {"error": "..."}. Every answer carries a strong ETag of its
body and Cache-Control: public, max-age=60; a request with a matching If-None-Match gets 304.
Described in the OpenAPI document (participation/api/views.py, from openapi.py here)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from flask import Blueprint, Response, request
from sqlalchemy import func, select

from ..core.models import Community, Owner, Project, ProjectStep, Unit
from ..core.timeutil import aware
from ..extensions import db
from ..voting.models import Vote, VoteStatus
from . import board as board_mod
from . import rules

bp = Blueprint("share_api", __name__, url_prefix="/api/v1")

MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 20
STEP_NAMES = ("consult", "plan", "pledge", "build", "share")


def _json(payload: Any, status: int = 200, *, cache: bool = True) -> Response:
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    response = Response(body, status=status, mimetype="application/json")
    if cache and status == 200:
        response.set_etag(hashlib.sha256(body.encode()).hexdigest()[:32])
        response.headers["Cache-Control"] = "public, max-age=60"
        response.make_conditional(request)
    return response


def _error(status: int, message: str) -> Response:
    return _json({"error": message}, status, cache=False)


def _int_arg(name: str, default: int, low: int, high: int | None) -> int | Response:
    raw = request.args.get(name)
    if raw is None:
        return default
    raw = raw.strip()
    if not raw.isascii() or not raw.isdigit() or len(raw) > 9:
        return _error(400, f"{name} must be a whole number")
    value = int(raw)
    if value < low or (high is not None and value > high):
        upper = f" and at most {high}" if high is not None else ""
        return _error(400, f"{name} must be at least {low}{upper}")
    return value


def _step_name(position: int) -> str:
    if position == 0:
        return "not_started"
    if position > len(STEP_NAMES):
        return "complete"
    return STEP_NAMES[position - 1]


@bp.get("/communities")
def communities():
    unknown = set(request.args) - {"page", "per_page"}
    if unknown:
        return _error(400, "unknown parameter: " + ", ".join(sorted(unknown)))
    page = _int_arg("page", 1, 1, None)
    if isinstance(page, Response):
        return page
    per_page = _int_arg("per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE)
    if isinstance(per_page, Response):
        return per_page
    total = db.session.scalar(select(func.count(Community.id))) or 0
    pages = max(1, -(-total // per_page))
    if page > pages:
        return _error(404, f"page {page} is past the end (last page: {pages})")
    comms = db.session.execute(
        select(Community.id, Community.code, Community.name, Community.name_en, Community.district)
        .order_by(Community.code)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    ids = [c.id for c in comms]
    register = {
        cid: (units, area)
        for cid, units, area in db.session.execute(
            select(Unit.community_id, func.count(Unit.id), func.sum(Unit.area))
            .where(Unit.community_id.in_(ids))
            .group_by(Unit.community_id)
        )
    }
    owners = dict(
        db.session.execute(
            select(Owner.community_id, func.count(Owner.id))
            .where(Owner.community_id.in_(ids), Owner.units.any())
            .group_by(Owner.community_id)
        ).all()
    )
    steps: dict[int, list[tuple[int, str]]] = {}
    for cid, position, state in db.session.execute(
        select(Project.community_id, ProjectStep.position, ProjectStep.state)
        .join(ProjectStep, ProjectStep.project_id == Project.id)
        .where(Project.community_id.in_(ids))
    ):
        steps.setdefault(cid, []).append((position, state))
    items = []
    for c in comms:
        units, area = register.get(c.id, (0, 0))
        step = rules.current_step(steps.get(c.id, []))
        items.append(
            {
                "code": c.code,
                "name": c.name,
                "name_en": c.name_en or "",
                "district": c.district or "",
                "units": units or 0,
                "owners": owners.get(c.id, 0),
                "area": f"{(area or 0):.2f}",
                "current_step": step,
                "current_step_name": _step_name(step),
            }
        )
    return _json(
        {"page": page, "per_page": per_page, "total": total, "pages": pages, "items": items}
    )


@bp.get("/communities/<code>")
def community(code: str):
    comm = db.session.scalar(select(Community).where(Community.code == code))
    if comm is None:
        return _error(404, "no such community")
    if request.args:
        return _error(400, "unknown parameter: " + ", ".join(sorted(request.args)))
    board = board_mod.build_board(comm, with_photos=False)
    vote_ids = list(
        db.session.scalars(
            select(Vote.id)
            .where(Vote.community_id == comm.id, Vote.status != VoteStatus.DRAFT)
            .order_by(Vote.id)
        )
    )
    return _json(
        {
            "code": comm.code,
            "name": comm.name,
            "name_en": comm.name_en or "",
            "district": comm.district or "",
            "units": board.units,
            "owners": board.owners,
            "area": f"{board.area:.2f}",
            "current_step": board.step,
            "current_step_name": _step_name(board.step),
            "steps": [
                {
                    "key": s.key,
                    "position": s.position,
                    "state": s.state,
                    "started_at": aware(s.started_at).isoformat() if s.started_at else None,
                    "finished_at": aware(s.finished_at).isoformat() if s.finished_at else None,
                }
                for s in board.steps
            ],
            "votes": vote_ids,
            "board": board.aggregates(),
        }
    )
