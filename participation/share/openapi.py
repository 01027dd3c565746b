"""The OpenAPI paths and schemas of the communities endpoints (api.py), merged into the API's
document by participation/api/views.py."""

from __future__ import annotations

from typing import Any

_NULLABLE_PCT = {
    "type": ["string", "null"],
    "pattern": "^[0-9]+\\.[0-9]$",
    "description": "Percent with one decimal; null when not known",
}
_NULLABLE_INT = {"type": ["integer", "null"], "minimum": 0}
_ERRORS = {
    "400": {"$ref": "#/components/responses/BadRequest"},
    "404": {"$ref": "#/components/responses/CommunityNotFound"},
}
_CACHE_HEADERS = {
    "ETag": {"description": "Strong validator of the body", "schema": {"type": "string"}},
    "Cache-Control": {"schema": {"type": "string"}},
}

PATHS: dict[str, Any] = {
    "/communities": {
        "get": {
            "summary": "Every community: code, name, district, units, owners, area, current step",
            "operationId": "listCommunities",
            "parameters": [
                {
                    "name": "page",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "integer", "minimum": 1, "default": 1},
                },
                {
                    "name": "per_page",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20},
                },
                {"$ref": "#/components/parameters/IfNoneMatch"},
            ],
            "responses": {
                "200": {
                    "description": "One page of communities, by code",
                    "headers": _CACHE_HEADERS,
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/CommunityPage"}
                        }
                    },
                },
                "304": {"description": "Not modified (If-None-Match matched the ETag)"},
                **_ERRORS,
            },
        }
    },
    "/communities/{code}": {
        "get": {
            "summary": "One community: its steps, vote ids and the results board's aggregates",
            "operationId": "getCommunity",
            "parameters": [
                {
                    "name": "code",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string", "minLength": 1, "maxLength": 32},
                },
                {"$ref": "#/components/parameters/IfNoneMatch"},
            ],
            "responses": {
                "200": {
                    "description": "The community",
                    "headers": _CACHE_HEADERS,
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/CommunityDetail"}
                        }
                    },
                },
                "304": {"description": "Not modified (If-None-Match matched the ETag)"},
                **_ERRORS,
            },
        }
    },
}

PARAMETERS: dict[str, Any] = {
    "IfNoneMatch": {
        "name": "If-None-Match",
        "in": "header",
        "required": False,
        "schema": {"type": "string"},
        "description": "An ETag from an earlier answer: 304 when nothing changed",
    }
}

RESPONSES: dict[str, Any] = {
    "BadRequest": {
        "description": "A query parameter is unknown, not a number or out of range",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    },
    "CommunityNotFound": {
        "description": "No such community, or a page past the end",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    },
}

_STEP = {
    "type": "integer",
    "minimum": 0,
    "maximum": 6,
    "description": "0 not started, 1–5, 6 complete",
}
_STEP_NAME = {
    "type": "string",
    "enum": ["not_started", "consult", "plan", "pledge", "build", "share", "complete"],
}
_SUMMARY_PROPS: dict[str, Any] = {
    "code": {"type": "string"},
    "name": {"type": "string"},
    "name_en": {"type": "string"},
    "district": {"type": "string"},
    "units": {"type": "integer", "minimum": 0},
    "owners": {"type": "integer", "minimum": 0, "description": "Headcount of owners"},
    "area": {"$ref": "#/components/schemas/Area"},
    "current_step": _STEP,
    "current_step_name": _STEP_NAME,
}
_SUMMARY_REQUIRED = list(_SUMMARY_PROPS)

SCHEMAS: dict[str, Any] = {
    "CommunitySummary": {
        "type": "object",
        "required": _SUMMARY_REQUIRED,
        "properties": _SUMMARY_PROPS,
    },
    "CommunityPage": {
        "type": "object",
        "required": ["page", "per_page", "total", "pages", "items"],
        "properties": {
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1, "maximum": 100},
            "total": {"type": "integer", "minimum": 0},
            "pages": {"type": "integer", "minimum": 1},
            "items": {"type": "array", "items": {"$ref": "#/components/schemas/CommunitySummary"}},
        },
    },
    "Step": {
        "type": "object",
        "required": ["key", "position", "state", "started_at", "finished_at"],
        "properties": {
            "key": {"type": "string", "enum": ["consult", "plan", "pledge", "build", "share"]},
            "position": {"type": "integer", "minimum": 1, "maximum": 5},
            "state": {"type": "string", "enum": ["pending", "active", "done"]},
            "started_at": {"type": ["string", "null"], "format": "date-time"},
            "finished_at": {"type": ["string", "null"], "format": "date-time"},
        },
    },
    "BoardAggregates": {
        "type": "object",
        "required": [
            "participation",
            "decisions",
            "plan_items",
            "money",
            "issues",
            "satisfaction",
        ],
        "properties": {
            "participation": {
                "type": "object",
                "description": "The willingness vote, the household survey and pledges",
                "required": [
                    "voted_owners",
                    "voted_owners_percent",
                    "voted_area",
                    "voted_area_percent",
                    "households_chose",
                    "households_chose_percent",
                    "households_pledging",
                    "households_pledging_percent",
                ],
                "properties": {
                    "voted_owners": _NULLABLE_INT,
                    "voted_owners_percent": _NULLABLE_PCT,
                    "voted_area": {
                        "oneOf": [{"$ref": "#/components/schemas/Area"}, {"type": "null"}]
                    },
                    "voted_area_percent": _NULLABLE_PCT,
                    "households_chose": _NULLABLE_INT,
                    "households_chose_percent": _NULLABLE_PCT,
                    "households_pledging": _NULLABLE_INT,
                    "households_pledging_percent": _NULLABLE_PCT,
                },
            },
            "decisions": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": [
                        "vote",
                        "title",
                        "rule",
                        "passed",
                        "participation_owners",
                        "agree_owners",
                    ],
                    "properties": {
                        "vote": {"type": "integer"},
                        "title": {"type": "string"},
                        "rule": {
                            "type": "string",
                            "enum": ["ordinary", "special", "custom", "advisory"],
                        },
                        "passed": {"type": ["boolean", "null"]},
                        "participation_owners": {"type": "integer", "minimum": 0},
                        "agree_owners": {"type": "integer", "minimum": 0},
                    },
                },
            },
            "plan_items": {
                "type": ["integer", "null"],
                "description": "Items of the adopted plan; null before one is adopted",
            },
            "money": {
                "type": ["object", "null"],
                "description": "Pledged, confirmed, reward (yuan as decimal strings); null before step 3",
            },
            "issues": {
                "type": ["object", "null"],
                "description": "Issue reports: counts, rates, median hours; null before step 4",
            },
            "satisfaction": {
                "oneOf": [
                    {"type": "null"},
                    {
                        "type": "object",
                        "required": ["ratings", "overall_mean", "satisfied_percent", "items"],
                        "properties": {
                            "ratings": {"type": "integer", "minimum": 0},
                            "overall_mean": {
                                "type": ["string", "null"],
                                "pattern": "^[1-5]\\.[0-9]{2}$",
                            },
                            "satisfied_percent": _NULLABLE_PCT,
                            "items": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "required": ["name", "ratings", "mean"],
                                    "properties": {
                                        "name": {"type": "string"},
                                        "ratings": {"type": "integer", "minimum": 0},
                                        "mean": {
                                            "type": ["string", "null"],
                                            "pattern": "^[1-5]\\.[0-9]{2}$",
                                        },
                                    },
                                },
                            },
                        },
                    },
                ]
            },
        },
    },
    "CommunityDetail": {
        "type": "object",
        "required": [*_SUMMARY_REQUIRED, "steps", "votes", "board"],
        "properties": {
            **_SUMMARY_PROPS,
            "steps": {"type": "array", "items": {"$ref": "#/components/schemas/Step"}},
            "votes": {
                "type": "array",
                "items": {"type": "integer"},
                "description": "Ids of the community's opened and closed votes (see /votes/{id})",
            },
            "board": {"$ref": "#/components/schemas/BoardAggregates"},
        },
    },
}


def merge(document: dict[str, Any]) -> None:
    """Add the communities paths and components to the API's OpenAPI document."""
    document["paths"].update(PATHS)
    components = document["components"]
    components.setdefault("parameters", {}).update(PARAMETERS)
    components.setdefault("responses", {}).update(RESPONSES)
    components.setdefault("schemas", {}).update(SCHEMAS)
