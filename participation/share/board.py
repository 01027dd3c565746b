"""The results board (成绩单) of one community: every figure of the five steps, computed with a
fixed number of aggregate queries (none per item or per vote).

Participation counts the willingness vote (the first passed whole-community vote under a deciding
rule; else the latest closed whole-community vote): owners and area that took part, of the
electorate, from the result sealed at closing. Households that chose menu items are the units that
answered the latest household survey. Money, pledges and issues come from their steps' public
interfaces (providers.py) and are None while those packages are missing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

from sqlalchemy import func, select

from ..core.models import Community, Project, ProjectStep, Unit
from ..extensions import db
from ..plan.models import ChoiceRound, HouseholdPick
from ..voting.models import ScopeKind, Vote, VoteStatus
from . import providers, ratings, rules
from .models import PhotoPair

DECIDING = ("ordinary", "special", "custom")


@dataclass(frozen=True)
class StepRow:
    key: str
    position: int
    state: str
    started_at: datetime | None
    finished_at: datetime | None


@dataclass(frozen=True)
class Decision:
    id: int
    title: str
    rule: str
    scope: str
    closed_at: datetime | None
    passed: bool | None
    electorate_owners: int
    participation_owners: int
    participation_area: Decimal
    agree_owners: int
    agree_area: Decimal
    electorate_area: Decimal

    @property
    def agree_share(self) -> Fraction | None:
        return rules.share(self.agree_owners, self.participation_owners)

    @property
    def turnout_share(self) -> Fraction | None:
        return rules.share(self.participation_owners, self.electorate_owners)


@dataclass
class Board:
    community: Community
    steps: list[StepRow]
    step: int
    units: int
    owners: int
    area: Decimal
    willingness: Decision | None
    decisions: list[Decision]
    survey_households: int | None  # units that answered the latest survey, None without one
    plan: Any = None  # the adopted plan's summary (providers), None without
    plan_lines: list[Any] = field(default_factory=list)
    progress: dict[int, int] | None = None  # plan line id → % done (construction log)
    funding: dict | None = None
    issues: dict | None = None
    rating: ratings.RoundResults | None = None
    photos: list[PhotoPair] = field(default_factory=list)

    # -- participation shares

    @property
    def voted_owners_share(self) -> Fraction | None:
        w = self.willingness
        return rules.share(w.participation_owners, w.electorate_owners) if w else None

    @property
    def voted_area_share(self) -> Fraction | None:
        w = self.willingness
        if not w or not w.electorate_area:
            return None
        return Fraction(w.participation_area) / Fraction(w.electorate_area)

    @property
    def survey_share(self) -> Fraction | None:
        return (
            None
            if self.survey_households is None
            else rules.share(self.survey_households, self.units)
        )

    def line_state(self, line_id: int) -> str:
        return providers.line_state(self.progress, line_id)

    def line_percent(self, line_id: int) -> int | None:
        return (self.progress or {}).get(line_id)

    @property
    def households_pledging(self) -> int | None:
        if not self.funding:
            return None
        value = (self.funding.get("households") or {}).get("pledging")
        return None if value is None else int(value)

    @property
    def confirmed_total(self) -> Decimal | None:
        """Money and in-kind contributions the committee confirmed, in yuan."""
        if not self.funding:
            return None
        c = self.funding.get("confirmed") or {}
        total = Decimal(0)
        for kind, key in (("money", "amount"), ("labour", "value"), ("materials", "value")):
            value = (c.get(kind) or {}).get(key)
            if value:
                total += Decimal(value)
        return total

    @property
    def pledging_share(self) -> Fraction | None:
        n = self.households_pledging
        return None if n is None else rules.share(n, self.units)

    def aggregates(self) -> dict[str, Any]:
        """The figures the open-data API publishes (no names, comments or photos)."""

        def pct(value: Fraction | None) -> str | None:
            return None if value is None else str(rules.to_decimal(value * 100, 1))

        w = self.willingness
        r = self.rating
        out: dict[str, Any] = {
            "participation": {
                "voted_owners": w.participation_owners if w else None,
                "voted_owners_percent": pct(self.voted_owners_share),
                "voted_area": f"{w.participation_area:.2f}" if w else None,
                "voted_area_percent": pct(self.voted_area_share),
                "households_chose": self.survey_households,
                "households_chose_percent": pct(self.survey_share),
                "households_pledging": self.households_pledging,
                "households_pledging_percent": pct(self.pledging_share),
            },
            "decisions": [
                {
                    "vote": d.id,
                    "title": d.title,
                    "rule": d.rule,
                    "passed": d.passed,
                    "participation_owners": d.participation_owners,
                    "agree_owners": d.agree_owners,
                }
                for d in self.decisions
            ],
            "plan_items": len(self.plan_lines) if self.plan is not None else None,
            "money": _money(self.funding),
            "issues": _issues(self.issues),
            "satisfaction": None,
        }
        if r is not None:
            out["satisfaction"] = {
                "ratings": r.overall.count,
                "overall_mean": None
                if r.overall.mean_display is None
                else str(r.overall.mean_display),
                "satisfied_percent": pct(r.overall.satisfied_share),
                "items": [
                    {
                        "name": i.item.name_zh or i.item.name_en,
                        "ratings": i.stats.count,
                        "mean": None if i.stats.mean_display is None else str(i.stats.mean_display),
                    }
                    for i in r.items
                ],
            }
        return out


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, Fraction):
        return str(rules.to_decimal(value, 4))
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)


MONEY_KEYS = ("sources", "sources_total", "pledged", "confirmed", "households", "reward", "spent")
ISSUE_KEYS = (
    "total",
    "open",
    "resolved",
    "response_rate",
    "resolution_rate",
    "median_hours_to_acknowledge",
    "median_hours_to_resolve",
    "within_deadline_share",
)


def _money(funding: dict | None) -> dict | None:
    """The pledge step's funding summary without the reward rule's internals."""
    if not funding:
        return None
    out = {k: _plain(funding.get(k)) for k in MONEY_KEYS if k in funding}
    reward = funding.get("reward")
    if isinstance(reward, dict):
        out["reward"] = {
            k: _plain(reward.get(k)) for k in ("amount", "unlocked", "potential", "unlocks")
        }
    return out


def _issues(stats: dict | None) -> dict | None:
    if stats is None:
        return None
    return {k: _plain(stats.get(k)) for k in ISSUE_KEYS if k in stats}


def _decision(vote: Vote) -> Decision | None:
    result = vote.result or {}
    try:
        e, p, a = result["electorate"], result["participation"], result["agree"]
        return Decision(
            vote.id,
            vote.title,
            vote.rule,
            vote.scope_kind,
            vote.closed_at,
            result.get("passed"),
            int(e["owners"]),
            int(p["owners"]),
            Decimal(p["area"]),
            int(a["owners"]),
            Decimal(a["area"]),
            Decimal(e["area"]),
        )
    except (KeyError, TypeError, ValueError, ArithmeticError):
        return None


def pick_willingness(decisions: list[Decision]) -> Decision | None:
    """The first passed whole-community deciding vote, else the latest closed one."""
    whole = [d for d in decisions if d.scope == ScopeKind.COMMUNITY and d.rule in DECIDING]
    for d in whole:
        if d.passed:
            return d
    return whole[-1] if whole else None


def steps_of(community_id: int) -> list[StepRow]:
    rows = db.session.execute(
        select(
            ProjectStep.key,
            ProjectStep.position,
            ProjectStep.state,
            ProjectStep.started_at,
            ProjectStep.finished_at,
        )
        .join(Project, Project.id == ProjectStep.project_id)
        .where(Project.community_id == community_id)
        .order_by(ProjectStep.position)
    ).all()
    return [StepRow(*row) for row in rows]


def build_board(community: Community, *, with_photos: bool = True) -> Board:
    cid = community.id
    steps = steps_of(cid)
    units, area, owners = db.session.execute(
        select(
            func.count(Unit.id),
            func.coalesce(func.sum(Unit.area), 0),
            func.count(func.distinct(Unit.owner_id)),
        ).where(Unit.community_id == cid)
    ).one()
    votes = db.session.scalars(
        select(Vote)
        .where(Vote.community_id == cid, Vote.status == VoteStatus.CLOSED)
        .order_by(Vote.closed_at, Vote.id)
    ).all()
    decisions = [d for d in (_decision(v) for v in votes) if d is not None]
    survey = db.session.execute(
        select(ChoiceRound.id)
        .where(ChoiceRound.community_id == cid)
        .order_by(ChoiceRound.opens_at.desc(), ChoiceRound.id.desc())
        .limit(1)
    ).scalar()
    survey_households = None
    if survey is not None:
        survey_households = db.session.scalar(
            select(func.count(func.distinct(HouseholdPick.unit_id))).where(
                HouseholdPick.round_id == survey
            )
        )
    plan = providers.call("plan", "adopted_plan", cid)
    round_ = ratings.current_round(cid)
    board = Board(
        community=community,
        steps=steps,
        step=rules.current_step((s.position, s.state) for s in steps),
        units=units or 0,
        owners=owners or 0,
        area=Decimal(area or 0).quantize(Decimal("0.01")),
        willingness=pick_willingness(decisions),
        decisions=decisions,
        survey_households=survey_households,
        plan=plan,
        plan_lines=list(plan.lines) if plan else [],
        progress=providers.line_progress(cid) if plan else None,
        funding=providers.call("pledge", "funding_summary", cid),
        issues=providers.call("build", "issue_stats", cid),
        rating=ratings.results(round_) if round_ is not None else None,
    )
    if with_photos:
        board.photos = list(
            db.session.scalars(
                select(PhotoPair)
                .where(PhotoPair.community_id == cid)
                .order_by(PhotoPair.position, PhotoPair.id)
            )
        )
    return board
