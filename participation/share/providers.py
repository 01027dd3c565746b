"""The figures other steps own, read through their public interfaces:

* participation.plan.public: adopted_plan(community_id) -> PlanSummary (its `lines`), adopted_plan_ids()
* participation.pledge.public: funding_summary(community_id) -> dict, totals_by_community()
* participation.build.public: issue_stats(community_id) -> dict, overdue_counts(now)

Each is imported when first needed. While a package is not installed (it is being built), the
provider is None and the board and dashboard leave its section out, rather than failing.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

_MODULES = {
    "plan": "participation.plan.public",
    "pledge": "participation.pledge.public",
    "build": "participation.build.public",
}


def module(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(_MODULES[name])
    except ModuleNotFoundError as err:
        # Only the provider itself missing counts; a broken import inside it is a real error.
        if err.name and _MODULES[name].startswith(err.name):
            return None
        raise


def call(name: str, function: str, *args: Any, **kwargs: Any) -> Any:
    """module(name).function(*args), or None when the provider or the function is missing."""
    mod = module(name)
    fn = getattr(mod, function, None) if mod is not None else None
    return fn(*args, **kwargs) if fn is not None else None


def field(obj: Any, *names: str, default: Any = None) -> Any:
    """The first of `names` found on obj (attribute or key): tolerant reading of a summary."""
    for name in names:
        if isinstance(obj, dict):
            if name in obj:
                return obj[name]
        elif hasattr(obj, name):
            return getattr(obj, name)
    return default


def line_progress(community_id: int) -> dict[int, int] | None:
    """Plan line id → the highest progress (0–100 %) the construction log reported for it, or
    None without the build package. One grouped query."""
    try:
        from ..build.models import LogEntry
    except ModuleNotFoundError:
        return None
    from sqlalchemy import func, select

    from ..extensions import db

    return {
        line_id: int(progress or 0)
        for line_id, progress in db.session.execute(
            select(LogEntry.plan_line_id, func.max(LogEntry.progress))
            .where(LogEntry.community_id == community_id, LogEntry.plan_line_id.is_not(None))
            .group_by(LogEntry.plan_line_id)
        )
    }


def line_state(progress: dict[int, int] | None, line_id: int) -> str:
    """planned (no log entry yet), working (reported, under 100 %) or done (100 %)."""
    if not progress or line_id not in progress:
        return "planned"
    return "done" if progress[line_id] >= 100 else "working"
