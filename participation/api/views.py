"""Read-only JSON API under /api/v1, and its OpenAPI 3.1 document.

Public and anonymous: aggregates only, never names, rooms or phone numbers. What a vote shows
depends on its state: drafts exist only for the community's committee and the city; while a
vote is open its running participation is shown only when the committee made the turnout public
(the committee and the city always see it); choice counts and `passed` are null until it closes.
Errors are JSON: {"error": "..."} with the HTTP status.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request
from flask_login import current_user

from ..core.permissions import CITY, COMMITTEE, roles_for
from ..core.timeutil import aware
from ..extensions import db
from ..voting import services
from ..voting.models import Vote, VoteStatus

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def _error(status: int, message: str):
    return jsonify({"error": message}), status


@bp.errorhandler(404)
def _not_found(_exc):
    return _error(404, "not found")


@bp.record_once
def _json_errors_under_api(state) -> None:
    """A URL under /api/v1 that matches no rule (e.g. an id beyond the database's integer, which
    the bounded <int:> converter refuses) never reaches this blueprint, so the app's HTML error
    page would answer it: answer JSON there too, and leave other pages to the app's handler."""
    from werkzeug.exceptions import MethodNotAllowed, NotFound

    app = state.app
    for code, exc in ((404, NotFound), (405, MethodNotAllowed)):
        page = app.error_handler_spec[None][code].get(exc)

        def handler(e, code=code, page=page):
            if request.path.startswith(f"{bp.url_prefix}/") or page is None:
                return _error(code, "not found" if code == 404 else "method not allowed")
            return page(e)

        app.register_error_handler(code, handler)


def _overseer(vote: Vote) -> bool:
    return bool(roles_for(current_user, vote.community_id) & {COMMITTEE, CITY})


def _totals(data: dict[str, Any] | None) -> dict[str, Any] | None:
    if data is None:
        return None
    return {"owners": data["owners"], "units": data["units"], "area": data["area"]}


def vote_document(vote: Vote, *, show_turnout: bool) -> dict[str, Any]:
    """The API representation of a vote (see the OpenAPI schema "Vote")."""
    doc: dict[str, Any] = {
        "id": vote.id,
        "community": vote.community.code,
        "title": vote.title,
        "rule": vote.rule,
        "status": vote.status,
        "opens_at": aware(vote.opens_at).isoformat(),
        "closes_at": aware(vote.closes_at).isoformat(),
        "electorate": None,
        "participation": None,
        "agree": None,
        "disagree": None,
        "abstain": None,
        "quorum_met": None,
        "passed": None,
        "ballots": None,
        "final_hash": vote.final_hash,
    }
    if vote.status == VoteStatus.DRAFT:
        return doc
    if vote.status == VoteStatus.CLOSED and vote.result:
        snapshot = vote.result
    else:
        snapshot = services.tally(vote).snapshot()
    doc["electorate"] = _totals(snapshot["electorate"])
    if vote.status == VoteStatus.CLOSED or show_turnout:
        doc["participation"] = _totals(snapshot["participation"])
        doc["quorum_met"] = snapshot["quorum_met"]
        doc["ballots"] = dict(snapshot["ballots"])
    if vote.status == VoteStatus.CLOSED:
        for choice in ("agree", "disagree", "abstain"):
            doc[choice] = _totals(snapshot[choice])
        doc["passed"] = snapshot["passed"]
    return doc


def _load(vote_id: int) -> Vote | None:
    vote = db.session.get(Vote, vote_id)
    if vote is None:
        return None
    if services.refresh_vote(vote):  # a due vote closes (or a scheduled one opens) when viewed
        db.session.commit()
    if vote.status == VoteStatus.DRAFT and not _overseer(vote):
        return None
    return vote


@bp.get("/votes/<int:vote_id>")
def vote_detail(vote_id: int):
    vote = _load(vote_id)
    if vote is None:
        return _error(404, "no such vote")
    show = vote.status == VoteStatus.CLOSED or vote.turnout_public or _overseer(vote)
    return jsonify(vote_document(vote, show_turnout=show))


@bp.get("/votes/<int:vote_id>/receipts")
def vote_receipts(vote_id: int):
    vote = _load(vote_id)
    if vote is None:
        return _error(404, "no such vote")
    if vote.status != VoteStatus.CLOSED:
        return _error(404, "the receipts are published when the vote closes")
    return jsonify(services.public_result(vote).as_dict())


@bp.get("/openapi.json")
def openapi():
    return jsonify(OPENAPI)


@bp.route("/<path:_rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def unknown(_rest: str):
    return _error(404, "not found")


def _totals_schema(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "oneOf": [{"$ref": "#/components/schemas/Totals"}, {"type": "null"}],
    }


OPENAPI: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "Gongjian (共建) API",
        "version": "1.0.0",
        "description": (
            "Read-only public data of resident participation in the renovation of old "
            "residential communities. Aggregates only: no names, rooms or phone numbers. "
            "Areas are decimal strings in m² with two places."
        ),
    },
    "servers": [{"url": "/api/v1"}],
    "paths": {
        "/votes/{id}": {
            "get": {
                "summary": "A vote: its rule, window, electorate, participation and result",
                "operationId": "getVote",
                "parameters": [{"$ref": "#/components/parameters/VoteId"}],
                "responses": {
                    "200": {
                        "description": "The vote",
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Vote"}}
                        },
                    },
                    "404": {"$ref": "#/components/responses/NotFound"},
                },
            }
        },
        "/votes/{id}/receipts": {
            "get": {
                "summary": "The published receipts and the hash-chained ballot log of a closed vote",
                "description": (
                    "Each ballot's receipt code with its final choice, and the ballot log: "
                    "line 0 is 'GJV1|vote=<id>', then 'seq|receipt|kind|choice|channel'. "
                    "Starting from 64 zeros, h = sha256(h + '\\n' + line) in lowercase hex for "
                    "each line; the last h equals final_hash. Replaying the log (the last line "
                    "of each receipt) gives the receipts list."
                ),
                "operationId": "getVoteReceipts",
                "parameters": [{"$ref": "#/components/parameters/VoteId"}],
                "responses": {
                    "200": {
                        "description": "The publication",
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/Receipts"}
                            }
                        },
                    },
                    "404": {"$ref": "#/components/responses/NotFound"},
                },
            }
        },
        "/communities/{code}/issues/stats": {  # issue 6: participation.build.public
            "get": {
                "summary": "Issue reports of a community: counts, response and resolution",
                "description": (
                    "Aggregates only. Rates are of the reports that count (merged duplicates "
                    "left out; rejected ones count as answered, not as resolvable); null when "
                    "there is nothing to divide by. Hours are medians since the report."
                ),
                "operationId": "getIssueStats",
                "parameters": [
                    {"name": "code", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
                "responses": {
                    "200": {
                        "description": "The figures",
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/IssueStats"}
                            }
                        },
                    },
                    "404": {"$ref": "#/components/responses/NotFound"},
                },
            }
        },
        "/openapi.json": {
            "get": {
                "summary": "This document",
                "operationId": "getOpenAPI",
                "responses": {
                    "200": {
                        "description": "OpenAPI 3.1 document",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    }
                },
            }
        },
    },
    "components": {
        "parameters": {
            "VoteId": {
                "name": "id",
                "in": "path",
                "required": True,
                "schema": {"type": "integer", "minimum": 1},
            }
        },
        "responses": {
            "NotFound": {
                "description": "No such vote (drafts are visible only to their committee)",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            }
        },
        "schemas": {
            "Error": {
                "type": "object",
                "required": ["error"],
                "properties": {"error": {"type": "string"}},
            },
            "Area": {
                "type": "string",
                "pattern": "^[0-9]+\\.[0-9]{2}$",
                "description": "Floor area in m², exact, two decimals",
                "examples": ["1234.56"],
            },
            "Totals": {
                "type": "object",
                "required": ["owners", "units", "area"],
                "properties": {
                    "owners": {
                        "type": "integer",
                        "description": "Headcount: one owner of several units is one head",
                    },
                    "units": {"type": "integer"},
                    "area": {"$ref": "#/components/schemas/Area"},
                },
            },
            "Vote": {
                "type": "object",
                "required": [
                    "id",
                    "community",
                    "title",
                    "rule",
                    "status",
                    "opens_at",
                    "closes_at",
                    "electorate",
                    "participation",
                    "agree",
                    "disagree",
                    "abstain",
                    "quorum_met",
                    "passed",
                    "ballots",
                    "final_hash",
                ],
                "properties": {
                    "id": {"type": "integer"},
                    "community": {"type": "string", "description": "The community's code"},
                    "title": {"type": "string"},
                    "rule": {
                        "type": "string",
                        "enum": ["ordinary", "special", "custom", "advisory"],
                    },
                    "status": {"type": "string", "enum": ["draft", "open", "closed"]},
                    "opens_at": {"type": "string", "format": "date-time"},
                    "closes_at": {"type": "string", "format": "date-time"},
                    "electorate": _totals_schema("Frozen when the vote opens; null for a draft"),
                    "participation": _totals_schema(
                        "Owners who took part; null while open unless the turnout is public"
                    ),
                    "agree": _totals_schema("Null until the vote closes"),
                    "disagree": _totals_schema("Null until the vote closes"),
                    "abstain": _totals_schema("Null until the vote closes"),
                    "quorum_met": {
                        "type": ["boolean", "null"],
                        "description": "Null when participation is not shown and for advisory polls",
                    },
                    "passed": {
                        "type": ["boolean", "null"],
                        "description": "Null until the vote closes, and for advisory polls",
                    },
                    "ballots": {
                        "oneOf": [
                            {
                                "type": "object",
                                "required": ["online", "paper", "proxy"],
                                "properties": {
                                    "online": {"type": "integer"},
                                    "paper": {"type": "integer"},
                                    "proxy": {"type": "integer"},
                                },
                            },
                            {"type": "null"},
                        ],
                        "description": "Ballots by channel; shown like participation",
                    },
                    "final_hash": {
                        "type": ["string", "null"],
                        "pattern": "^[0-9a-f]{64}$",
                        "description": "Hash of the sealed ballot log; null until the vote closes",
                    },
                },
            },
            "IssueStats": {  # issue 6
                "type": "object",
                "required": [
                    "community",
                    "total",
                    "open",
                    "resolved",
                    "by_status",
                    "by_category",
                    "response_rate",
                    "resolution_rate",
                    "median_hours_to_acknowledge",
                    "median_hours_to_resolve",
                    "within_deadline_share",
                ],
                "properties": {
                    "community": {"type": "string"},
                    "total": {"type": "integer"},
                    "open": {"type": "integer"},
                    "resolved": {"type": "integer", "description": "Fixed (confirmed or not)"},
                    "by_status": {
                        "type": "object",
                        "additionalProperties": {"type": "integer"},
                        "description": "submitted, acknowledged, in_progress, resolved, "
                        "reopened, closed, rejected, merged",
                    },
                    "by_category": {
                        "type": "object",
                        "additionalProperties": {"type": "integer"},
                        "description": "noise, dust, materials, access, utility, safety, "
                        "quality, damage, schedule, other",
                    },
                    "response_rate": {"type": ["number", "null"], "minimum": 0, "maximum": 1},
                    "resolution_rate": {"type": ["number", "null"], "minimum": 0, "maximum": 1},
                    "median_hours_to_acknowledge": {"type": ["number", "null"]},
                    "median_hours_to_resolve": {"type": ["number", "null"]},
                    "within_deadline_share": {
                        "type": ["number", "null"],
                        "description": "Of the fixed reports, the share fixed by their deadline",
                    },
                },
            },
            "Receipts": {
                "type": "object",
                "required": ["vote", "final_hash", "receipts", "log"],
                "properties": {
                    "vote": {"type": "integer"},
                    "final_hash": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                    "receipts": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["receipt", "choice"],
                            "properties": {
                                "receipt": {"type": "string"},
                                "choice": {
                                    "type": "string",
                                    "enum": ["agree", "disagree", "abstain"],
                                },
                            },
                        },
                    },
                    "log": {"type": "array", "items": {"type": "string"}},
                },
            },
        },
    },
}


# Issue 7: the communities endpoints (participation/share/api.py) and their schemas.
from ..share.openapi import merge as _merge_share  # noqa: E402

_merge_share(OPENAPI)

# Issue 5: the funding endpoint (participation/pledge/api.py) and its schemas.
from ..pledge.api import FUNDING_PATHS, FUNDING_SCHEMAS  # noqa: E402

OPENAPI["paths"].update(FUNDING_PATHS)
OPENAPI["components"]["schemas"].update(FUNDING_SCHEMAS)

# Issue 4: the plan endpoint (participation/plan/api.py) and its schemas.
from ..plan.api import PLAN_PATHS, PLAN_SCHEMAS  # noqa: E402

OPENAPI["paths"].update(PLAN_PATHS)
for _name, _schema in PLAN_SCHEMAS.items():
    OPENAPI["components"]["schemas"].setdefault(_name, _schema)
