"""GET /api/v1/communities/<code>/funding: the funding plan, pledged and confirmed totals by
type, households pledging, the reward computed with its rule and conditions, and the money
spent. Public and anonymous: aggregates only, no names, homes or phone numbers. Its OpenAPI
description (FUNDING_PATHS, FUNDING_SCHEMAS) is merged into /api/v1/openapi.json."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify
from sqlalchemy import select

from ..core.models import Community
from ..extensions import db
from .public import funding_summary

bp = Blueprint("pledge_api", __name__, url_prefix="/api/v1")


@bp.get("/communities/<code>/funding")
def funding(code: str):
    community_id = db.session.scalar(select(Community.id).where(Community.code == code))
    if community_id is None:
        return jsonify({"error": "no such community"}), 404
    return jsonify(funding_summary(community_id))


_MONEY = {"$ref": "#/components/schemas/Money"}
_MONEY_OR_NULL = {"oneOf": [_MONEY, {"type": "null"}]}
_HOURS = {"type": "string", "pattern": "^[0-9]+\\.[0-9]$", "description": "Hours, one decimal"}


def _obj(props: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "object", "required": list(props), "properties": props, **extra}


FUNDING_PATHS: dict[str, Any] = {
    "/communities/{code}/funding": {
        "get": {
            "summary": "Step 3: funding plan, pledges, the 以奖代补 reward and spending",
            "description": (
                "Sources of the adopted plan as recorded by the committee, resident pledges "
                "(pledged: still standing or received; confirmed: received by the committee) by "
                "type, households (units) pledging, the reward the confirmed contributions "
                "unlock under the community's rule (or the city default) with each condition, "
                "and the money spent. Aggregates only."
            ),
            "operationId": "getCommunityFunding",
            "parameters": [
                {
                    "name": "code",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string"},
                    "description": "The community's code",
                }
            ],
            "responses": {
                "200": {
                    "description": "The funding summary",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Funding"}}
                    },
                },
                "404": {
                    "description": "No such community",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                    },
                },
            },
        }
    }
}

FUNDING_SCHEMAS: dict[str, Any] = {
    "Money": {
        "type": "string",
        "pattern": "^-?[0-9]+\\.[0-9]{2}$",
        "description": "Yuan, exact, two decimals",
        "examples": ["1234.50"],
    },
    "Funding": _obj(
        {
            "community": {"type": "string"},
            "pledging_open": {
                "type": "boolean",
                "description": "Step 3 is the community's current step",
            },
            "plan": {
                "oneOf": [
                    _obj(
                        {
                            "id": {"type": "integer"},
                            "version": {"type": "integer"},
                            "title": {"type": "string"},
                            "total": _MONEY,
                        }
                    ),
                    {"type": "null"},
                ],
                "description": "The adopted plan; null before one is adopted",
            },
            "sources": {
                "type": "array",
                "items": _obj(
                    {
                        "kind": {
                            "type": "string",
                            "enum": [
                                "government_subsidy",
                                "reward",
                                "maintenance_fund",
                                "property_company",
                                "utilities",
                                "social_capital",
                                "residents",
                            ],
                        },
                        "amount": _MONEY,
                        "authorised_by_vote": {
                            "type": ["integer", "null"],
                            "description": "Maintenance fund: the passed owners' vote",
                        },
                    }
                ),
            },
            "sources_total": _MONEY,
            "gap": {
                **_MONEY_OR_NULL,
                "description": "Plan cost minus the sources (negative: over-funded)",
            },
            "residents_target": _MONEY,
            "pledged": _obj(
                {
                    "money": _obj({"count": {"type": "integer"}, "amount": _MONEY}),
                    "labour": _obj({"count": {"type": "integer"}, "hours": _HOURS}),
                    "materials": _obj({"count": {"type": "integer"}, "value": _MONEY}),
                }
            ),
            "confirmed": _obj(
                {
                    "money": _obj({"count": {"type": "integer"}, "amount": _MONEY}),
                    "labour": _obj(
                        {"count": {"type": "integer"}, "hours": _HOURS, "value": _MONEY}
                    ),
                    "materials": _obj({"count": {"type": "integer"}, "value": _MONEY}),
                }
            ),
            "households": _obj({"total": {"type": "integer"}, "pledging": {"type": "integer"}}),
            "reward": _obj(
                {
                    "rule": _obj(
                        {
                            "inherited": {
                                "type": "boolean",
                                "description": "The city default applies",
                            },
                            "match_ratio": {"type": "string"},
                            "include_in_kind": {"type": "boolean"},
                            "labour_rate": _MONEY,
                            "cap_kind": {"type": "string", "enum": ["none", "total", "per_m2"]},
                            "cap_amount": _MONEY_OR_NULL,
                            "min_household_share": {
                                "type": "string",
                                "description": "A fraction from 0 to 1",
                            },
                            "min_per_m2": _MONEY,
                        }
                    ),
                    "base": _MONEY,
                    "cap": _MONEY_OR_NULL,
                    "potential": _MONEY,
                    "amount": {**_MONEY, "description": "Unlocked now (0 until conditions hold)"},
                    "unlocked": {"type": "boolean"},
                    "at_cap": {"type": "boolean"},
                    "conditions": {
                        "type": "array",
                        "items": _obj(
                            {
                                "key": {"type": "string", "enum": ["households", "per_m2"]},
                                "required": {"type": ["integer", "string"]},
                                "actual": {"type": ["integer", "string"]},
                                "holds": {"type": "boolean"},
                            }
                        ),
                    },
                    "missing_money": _MONEY,
                    "missing_households": {"type": "integer"},
                    "unlocks": {
                        **_MONEY,
                        "description": "The reward once what is missing comes in",
                    },
                }
            ),
            "spent": _MONEY,
        }
    ),
}
