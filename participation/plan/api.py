"""GET /api/v1/communities/<code>/plan: the community's adopted renovation plan, else its
current published one (drafts are never public): version, status, items with category and cost,
total, the residents' part, funding sources and the confirmation vote's id. Public and
anonymous: no names, homes or shares of single homes. Decimals are strings with two places.
Its OpenAPI description (PLAN_PATHS, PLAN_SCHEMAS) is merged into /api/v1/openapi.json."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import Blueprint, jsonify
from sqlalchemy import select

from ..core.models import Community
from ..extensions import db
from .models import Plan, PlanStatus
from .public import PlanSummary, adopted_plan, current_plan

bp = Blueprint("plan_api", __name__, url_prefix="/api/v1")


def _money(value: Decimal) -> str:
    return f"{Decimal(value).quantize(Decimal('0.01'))}"


def published_plan(community_id: int) -> PlanSummary | None:
    """The adopted plan, else the current one unless it is a draft, else the newest published
    version before it."""
    found = adopted_plan(community_id) or current_plan(community_id)
    if found is not None and found.status == PlanStatus.DRAFT:
        from .plans import summary_of

        older = db.session.scalar(
            select(Plan)
            .where(
                Plan.community_id == community_id,
                Plan.status.notin_((PlanStatus.DRAFT, PlanStatus.SUPERSEDED)),
            )
            .order_by(Plan.version.desc())
            .limit(1)
        )
        found = summary_of(older) if older is not None else None
    return found


def plan_document(code: str, s: PlanSummary) -> dict[str, Any]:
    return {
        "community": code,
        "id": s.id,
        "version": s.version,
        "status": s.status,
        "title": s.title,
        "total": _money(s.total),
        "residents_total": _money(s.residents_total),
        "sources": [{"source": k, "amount": _money(v)} for k, v in s.sources],
        "unfunded": _money(s.gap),
        "items": [
            {
                "name": line.name,
                "category": line.category,
                "quantity": _money(line.quantity),
                "unit_cost": _money(line.unit_cost),
                "cost": _money(line.cost),
            }
            for line in s.lines
        ],
        "vote_id": s.vote_id,
        "adopted_at": s.adopted_at.isoformat() if s.adopted_at else None,
    }


@bp.get("/communities/<code>/plan")
def community_plan(code: str):
    community_id = db.session.scalar(select(Community.id).where(Community.code == code))
    if community_id is None:
        return jsonify({"error": "no such community"}), 404
    summary = published_plan(community_id)
    if summary is None:
        return jsonify({"error": "no published plan"}), 404
    return jsonify(plan_document(code, summary))


_MONEY = {"$ref": "#/components/schemas/Money"}
_ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}

PLAN_PATHS: dict[str, Any] = {
    "/communities/{code}/plan": {
        "get": {
            "summary": "Step 2: the adopted (or current published) renovation plan",
            "description": (
                "The plan the owners adopted by their confirmation vote, else the version "
                "currently posted for comment or voted on. Items with category and cost "
                "(quantity × cost per item), the total, the residents' part (shared among "
                "homes by floor area) and the funding sources. Names follow the `lang` cookie "
                "(Chinese by default)."
            ),
            "operationId": "getCommunityPlan",
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
                    "description": "The plan",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Plan"}}
                    },
                },
                "404": {
                    "description": "No such community, or no published plan",
                    "content": _ERROR,
                },
            },
        }
    }
}

PLAN_SCHEMAS: dict[str, Any] = {
    "Money": {
        "type": "string",
        "pattern": "^-?[0-9]+\\.[0-9]{2}$",
        "description": "Yuan, exact, two decimals",
    },
    "Plan": {
        "type": "object",
        "required": [
            "community", "id", "version", "status", "title", "total", "residents_total",
            "sources", "unfunded", "items", "vote_id", "adopted_at",
        ],
        "properties": {
            "community": {"type": "string"},
            "id": {"type": "integer"},
            "version": {"type": "integer", "minimum": 1},
            "status": {"enum": ["notice", "voting", "adopted", "rejected"]},
            "title": {"type": "string"},
            "total": _MONEY,
            "residents_total": _MONEY,
            "sources": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["source", "amount"],
                    "properties": {
                        "source": {
                            "enum": [
                                "government_subsidy", "reward", "maintenance_fund",
                                "property_company", "utilities", "social_capital", "residents",
                            ]
                        },
                        "amount": _MONEY,
                    },
                },
            },
            "unfunded": {
                "allOf": [_MONEY],
                "description": "Total minus the sum of the sources (0 once fully funded)",
            },
            "items": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["name", "category", "quantity", "unit_cost", "cost"],
                    "properties": {
                        "name": {"type": "string"},
                        "category": {"enum": ["basic", "improvement", "upgrade"]},
                        "quantity": {"type": "string"},
                        "unit_cost": _MONEY,
                        "cost": _MONEY,
                    },
                },
            },
            "vote_id": {"type": ["integer", "null"]},
            "adopted_at": {"type": ["string", "null"], "format": "date-time"},
        },
    },
}  # fmt: skip
