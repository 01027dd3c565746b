"""Acceptance ratings (验收评价): when the works end the committee opens a round; each household
(one rating per unit) gives every implemented item of the adopted plan a score 1–5, with an
optional comment, and an overall satisfaction; it may change its rating until the round closes.

Each function changes the session only; the caller commits once (or rolls back on DomainError).
Refusals raise DomainError before anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import delete, func, select

from ..core import audit, notify
from ..core.errors import DomainError
from ..core.models import Community, Project, ProjectStep, StepState
from ..core.timeutil import aware, utcnow
from ..extensions import db
from ..plan.survey import homes_of
from . import permissions as _permissions  # noqa: F401  (registers the actions)
from . import providers, rules
from .models import Rating, RatingItem, RatingRound, RatingScore

COMMENT_MAX = 500
MAX_DAYS = 60
# Rating opens once the works are under way or done: step 4 (家园共建) or 5 (成果共享).
RATING_STEPS = ("build", "share")


@dataclass(frozen=True)
class RatedItem:
    source_id: int | None
    category: str
    name_zh: str
    name_en: str


def implemented_items(community_id: int) -> list[RatedItem]:
    """The items a round rates: the lines of the adopted plan whose works the construction log
    reports done (100 %); every line when the log reports no progress at all. Without the plan
    package, the community's visible menu items with a cost estimate stand in for the plan."""
    mod = providers.module("plan")
    if mod is not None and hasattr(mod, "adopted_plan"):
        from ..plan.models import PlanLine

        plan = mod.adopted_plan(community_id)
        if plan is None:
            return []
        progress = providers.line_progress(community_id)
        ids = [line.id for line in plan.lines]
        if progress:
            ids = [i for i in ids if providers.line_state(progress, i) == "done"]
        rows = {
            line.id: line
            for line in db.session.scalars(select(PlanLine).where(PlanLine.id.in_(ids)))
        }
        return [
            RatedItem(i, rows[i].category, rows[i].name_zh, rows[i].name_en)
            for i in ids
            if i in rows
        ]
    from ..plan.models import CostBasis, MenuItem

    items = db.session.scalars(
        select(MenuItem)
        .where(
            MenuItem.community_id == community_id,
            MenuItem.hidden.is_(False),
            MenuItem.cost_basis != CostBasis.NONE,
        )
        .order_by(MenuItem.position, MenuItem.id)
    )
    return [RatedItem(i.id, i.category, i.name_zh, i.name_en) for i in items]


def current_round(community: Community | int) -> RatingRound | None:
    community_id = getattr(community, "id", community)
    return db.session.scalar(
        select(RatingRound)
        .where(RatingRound.community_id == community_id)
        .order_by(RatingRound.opens_at.desc(), RatingRound.id.desc())
        .limit(1)
    )


def _step_key(community_id: int) -> str | None:
    return db.session.scalar(
        select(ProjectStep.key)
        .join(Project, Project.id == ProjectStep.project_id)
        .where(Project.community_id == community_id, ProjectStep.state == StepState.ACTIVE)
    )


def open_round(
    actor: Any, community: Community, closes_at: datetime | None, *, now: datetime | None = None
) -> RatingRound:
    now = now or utcnow()
    if closes_at is None:
        raise DomainError(_("Give the closing date and time."), "closes_at")
    closes_at = aware(closes_at)
    if closes_at <= now:
        raise DomainError(_("The closing time must be in the future."), "closes_at")
    if closes_at > now + timedelta(days=MAX_DAYS):
        raise DomainError(
            _("A rating round lasts at most %(days)d days.", days=MAX_DAYS), "closes_at"
        )
    if _step_key(community.id) not in RATING_STEPS:
        raise DomainError(_("Ratings open when the works are under way or done (step 4 or 5)."))
    latest = current_round(community)
    if latest is not None and latest.is_open(now):
        raise DomainError(_("A rating round is already open. Close it first."), "closes_at")
    items = implemented_items(community.id)
    if not items:
        raise DomainError(_("The adopted plan has no implemented items to rate yet."))
    round_ = RatingRound(
        community_id=community.id,
        opens_at=now,
        closes_at=closes_at,
        created_by_id=getattr(actor, "id", None),
    )
    db.session.add(round_)
    db.session.flush()
    db.session.add_all(
        RatingItem(
            round_id=round_.id,
            position=n,
            source_id=item.source_id,
            category=item.category,
            name_zh=item.name_zh,
            name_en=item.name_en,
        )
        for n, item in enumerate(items, start=1)
    )
    db.session.flush()
    audit.record(
        actor,
        "rating.open",
        community_id=community.id,
        target=round_,
        closes_at=closes_at.isoformat(),
        items=len(items),
    )
    notify.send(
        notify.community_user_ids(community.id, include_staff=False),
        notify.N_("Rate the renovation: how satisfied is your home?"),
        link=f"/c/{community.code}/ratings",
        community_id=community.id,
        params={},
    )
    return round_


def close_round(actor: Any, round_: RatingRound, *, now: datetime | None = None) -> None:
    now = now or utcnow()
    if not round_.is_open(now):
        raise DomainError(_("This rating round is already closed."))
    round_.closed_early_at = now
    db.session.flush()
    audit.record(actor, "rating.close", community_id=round_.community_id, target=round_)


# ---------------------------------------------------------------------------------------------
# Households


def rating_of(round_: RatingRound, unit_id: int) -> tuple[Rating | None, dict[int, RatingScore]]:
    rating = db.session.scalar(
        select(Rating).where(Rating.round_id == round_.id, Rating.unit_id == unit_id)
    )
    if rating is None:
        return None, {}
    scores = db.session.scalars(select(RatingScore).where(RatingScore.rating_id == rating.id))
    return rating, {s.item_id: s for s in scores}


def _comment(value: Any, field: str) -> str:
    text = ("" if value is None else str(value)).replace("\r\n", "\n").strip()
    if len(text) > COMMENT_MAX:
        raise DomainError(
            _("The comment is too long (at most %(n)d characters).", n=COMMENT_MAX), field
        )
    return text


def _score(value: Any, field: str, label: str) -> int:
    if value is None or str(value).strip() == "":
        raise DomainError(_("Please give %(what)s a score from 1 to 5.", what=label), field)
    try:
        return rules.parse_score(value)
    except rules.ScoreError:
        raise DomainError(
            _("A score must be a whole number from 1 to 5 (%(what)s).", what=label), field
        ) from None


def save_rating(
    user: Any,
    round_: RatingRound,
    unit_id: Any,
    overall: Any,
    scores: dict[Any, Any],
    comments: dict[Any, Any] | None = None,
    overall_comment: Any = "",
    *,
    locale: str = "zh_Hans",
    now: datetime | None = None,
) -> Rating:
    """Create or replace the unit's rating: every item of the round needs a score."""
    now = now or utcnow()
    if not round_.is_open(now):
        if aware(round_.opens_at) > now:
            raise DomainError(_("The rating has not opened yet."))
        raise DomainError(_("The rating is closed: ratings can no longer be given or changed."))
    try:
        unit_id = int(unit_id)
    except (TypeError, ValueError):
        raise DomainError(_("You can only rate for a home you are registered to.")) from None
    if unit_id not in {u.id for u in homes_of(user, round_.community_id)}:
        raise DomainError(_("You can only rate for a home you are registered to."))
    comments = comments or {}
    values: dict[int, tuple[int, str]] = {}
    by_key = {str(k): v for k, v in scores.items()}
    notes = {str(k): v for k, v in comments.items()}
    for item in round_.items:
        values[item.id] = (
            _score(by_key.get(str(item.id)), f"item-{item.id}", item.name(locale)),
            _comment(notes.get(str(item.id)), f"comment-{item.id}"),
        )
    extra = set(by_key) - {str(i.id) for i in round_.items}
    if extra:
        raise DomainError(_("Only the items listed can be rated."))
    total = _score(overall, "overall", _("overall satisfaction"))
    note = _comment(overall_comment, "overall_comment")
    rating = db.session.scalar(
        select(Rating).where(Rating.round_id == round_.id, Rating.unit_id == unit_id)
    )
    if rating is None:
        rating = Rating(round_id=round_.id, unit_id=unit_id, created_at=now, changes=0, comment="")
        db.session.add(rating)
    else:
        rating.changes = (rating.changes or 0) + 1
        db.session.execute(delete(RatingScore).where(RatingScore.rating_id == rating.id))
    rating.user_id = getattr(user, "id", None)
    rating.overall = total
    rating.comment = note
    rating.updated_at = now
    db.session.flush()
    db.session.add_all(
        RatingScore(rating_id=rating.id, item_id=item_id, score=score, comment=text)
        for item_id, (score, text) in values.items()
    )
    db.session.flush()
    return rating


# ---------------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True)
class ItemResult:
    item: RatingItem
    stats: rules.ScoreStats


@dataclass(frozen=True)
class RoundResults:
    round: RatingRound
    overall: rules.ScoreStats
    items: list[ItemResult]
    households: int  # units of the community
    comments: int

    @property
    def turnout(self):
        return rules.share(self.overall.count, self.households)


def results(round_: RatingRound) -> RoundResults:
    """Per item and overall, by two GROUP BY queries."""
    from ..core.models import Unit

    overall = dict(
        db.session.execute(
            select(Rating.overall, func.count(Rating.id))
            .where(Rating.round_id == round_.id)
            .group_by(Rating.overall)
        ).all()
    )
    per_item: dict[int, dict[int, int]] = {}
    for item_id, score, count in db.session.execute(
        select(RatingScore.item_id, RatingScore.score, func.count(RatingScore.id))
        .join(Rating, Rating.id == RatingScore.rating_id)
        .where(Rating.round_id == round_.id)
        .group_by(RatingScore.item_id, RatingScore.score)
    ):
        per_item.setdefault(item_id, {})[score] = count
    households = db.session.scalar(
        select(func.count(Unit.id)).where(Unit.community_id == round_.community_id)
    )
    comments = db.session.scalar(
        select(func.count(Rating.id)).where(Rating.round_id == round_.id, Rating.comment != "")
    )
    return RoundResults(
        round_,
        rules.stats_from_counts(overall),
        [ItemResult(i, rules.stats_from_counts(per_item.get(i.id, {}))) for i in round_.items],
        households or 0,
        comments or 0,
    )
