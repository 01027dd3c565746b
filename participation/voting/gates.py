"""The step gate the voting engine holds (DESIGN.md §3): step 1 (意愿共商, "consult") may finish
only once the owners have decided they want the renovation, i.e. a willingness vote passed.

What counts: a CLOSED vote of the community with a pass/fail rule (ordinary, special or custom;
an advisory poll only counts opinions) whose electorate was the WHOLE community (a lift vote of
one entrance or a vote of some buildings cannot commit everybody) and whose sealed result says
it passed. The result stored at closing is used, not a fresh tally: it is what was published
and hash-sealed, and a closed vote takes no more ballots.

Registered with participation.core.services.community when the voting package is imported
(participation/voting/__init__.py), which the app factory does through the API blueprint and
the voting CLI.
"""

from __future__ import annotations

from sqlalchemy import select

from ..core.models import Community
from ..core.services.community import register_gate
from ..extensions import db
from .models import ScopeKind, Vote, VoteStatus
from .rules import RuleKind
from .services import _

DECIDING_RULES = (RuleKind.ORDINARY.value, RuleKind.SPECIAL.value, RuleKind.CUSTOM.value)


def passed_willingness_votes(community: Community) -> list[Vote]:
    """The community's closed, passed, whole-community votes under a deciding rule."""
    candidates = db.session.scalars(
        select(Vote)
        .where(
            Vote.community_id == community.id,
            Vote.status == VoteStatus.CLOSED,
            Vote.rule.in_(DECIDING_RULES),
            Vote.scope_kind == ScopeKind.COMMUNITY,
        )
        .order_by(Vote.closed_at)
    )
    # `passed` is read in Python: JSON paths differ between SQLite and PostgreSQL, and a
    # community has a handful of votes.
    return [vote for vote in candidates if (vote.result or {}).get("passed") is True]


def consult_gate(community: Community) -> str | None:
    """None when step 1 may finish, else the reason, in the reader's language."""
    if passed_willingness_votes(community):
        return None
    return _(
        "Step 1 cannot finish yet: the owners have not passed the willingness vote. It needs a "
        "closed vote of the whole community, under the ordinary, special or custom rule, that "
        "passed (an advisory poll or a vote of some buildings or one entrance does not count)."
    )


register_gate("consult", consult_gate)
