"""Voting engine models: a vote, its frozen electorate, ballots, the ballot log and proxies.

* `Vote`: what is asked, of whom (scope), under which rule, when. draft → open → closed.
* `VoteElector`: the electorate frozen when the vote opens, one row per owner with the area and
  units of that owner *inside the scope*. Areas are stored as integer cents (m² × 100), so sums
  are exact on every database (SQLite keeps NUMERIC as binary floating point).
* `Ballot`: the current ballot of an owner; UNIQUE(vote_id, owner_id) is what makes a double tap
  or two phones yield one ballot. A composite foreign key to `VoteElector` means only electors
  can have a ballot.
* `BallotEvent`: the append-only history (first cast, change, supersede), which becomes the
  hash-chained ballot log when the vote closes (see receipts.py for what is hashed).
* `VoteProxy`: an owner's proxy (委托) for one vote, recorded by the committee with the evidence.
"""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..consult.models import Topic
from ..core.models import Community, User
from ..core.timeutil import utcnow
from ..extensions import db
from . import rules
from .receipts import format_receipt


class VoteStatus(enum.StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


class ScopeKind(enum.StrEnum):
    COMMUNITY = "community"  # every unit of the community
    BUILDINGS = "buildings"  # the units of the chosen buildings (scope_ids: building ids)
    ENTRANCE = "entrance"  # the units of one entrance, e.g. for a lift (scope_ids: [entrance id])


class Channel(enum.StrEnum):
    ONLINE = "online"  # cast by the owner
    PAPER = "paper"  # entered by the committee from a paper ballot (入户征询)
    PROXY = "proxy"  # cast online by the owner's recorded proxy


def cents_to_area(cents: int | None) -> Decimal:
    return Decimal(int(cents or 0)).scaleb(-2)


class Vote(db.Model):
    __table_args__ = (
        Index("ix_vote_community_status", "community_id", "status"),
        Index("ix_vote_status_closes_at", "status", "closes_at"),
        CheckConstraint("closes_at > opens_at", name="window"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    topic_id: Mapped[int] = mapped_column(ForeignKey("topic.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    question: Mapped[str] = mapped_column(Text)
    rule: Mapped[str] = mapped_column(String(10))
    # Custom rules only (NULL otherwise): quorum (NULL: none) and approval as exact fractions.
    quorum_num: Mapped[int | None] = mapped_column(Integer)
    quorum_den: Mapped[int | None] = mapped_column(Integer)
    quorum_cmp: Mapped[str | None] = mapped_column(String(10))
    approval_num: Mapped[int | None] = mapped_column(Integer)
    approval_den: Mapped[int | None] = mapped_column(Integer)
    approval_cmp: Mapped[str | None] = mapped_column(String(10))
    approval_base: Mapped[str | None] = mapped_column(String(12))
    scope_kind: Mapped[str] = mapped_column(String(10), default=ScopeKind.COMMUNITY)
    scope_ids: Mapped[list] = mapped_column(JSON, default=list)
    # Planned while draft; when the vote opens, opens_at becomes the moment it opened.
    opens_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closes_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    turnout_public: Mapped[bool] = mapped_column(Boolean, default=False)
    # Open by itself at opens_at (lazily when viewed, or by `flask close-due-votes`).
    auto_open: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(8), default=VoteStatus.DRAFT)
    opened_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    closed_early_reason: Mapped[str] = mapped_column(Text, default="")
    # Frozen at opening (one aggregate over VoteElector).
    electorate_owners: Mapped[int | None] = mapped_column(Integer)
    electorate_units: Mapped[int | None] = mapped_column(Integer)
    electorate_area_cents: Mapped[int | None] = mapped_column(BigInteger)
    # Sealed at closing.
    final_hash: Mapped[str | None] = mapped_column(String(64))
    result: Mapped[dict | None] = mapped_column(JSON)
    result_notice_days: Mapped[int] = mapped_column(Integer, default=7)
    reminded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    community: Mapped[Community] = relationship()
    topic: Mapped[Topic] = relationship()

    @property
    def rule_spec(self) -> rules.Rule:
        """The pure rule object the tally evaluates."""
        kind = rules.RuleKind(self.rule)
        if kind == rules.RuleKind.ORDINARY:
            return rules.Rule.ordinary()
        if kind == rules.RuleKind.SPECIAL:
            return rules.Rule.special()
        if kind == rules.RuleKind.ADVISORY:
            return rules.Rule.advisory()
        from fractions import Fraction

        quorum = Fraction(self.quorum_num, self.quorum_den) if self.quorum_num is not None else None
        return rules.Rule.custom(
            approval=Fraction(self.approval_num, self.approval_den),
            approval_comparison=self.approval_cmp or rules.Comparison.AT_LEAST,
            base=self.approval_base or rules.Base.PARTICIPANTS,
            quorum=quorum,
            quorum_comparison=self.quorum_cmp or rules.Comparison.AT_LEAST,
        )

    @property
    def electorate(self) -> rules.Totals | None:
        if self.electorate_owners is None:
            return None
        return rules.Totals(
            self.electorate_owners,
            cents_to_area(self.electorate_area_cents),
            self.electorate_units or 0,
        )


class VoteElector(db.Model):
    """One owner of the frozen electorate, with what their ballot carries inside the scope."""

    vote_id: Mapped[int] = mapped_column(ForeignKey("vote.id"), primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("owner.id"), primary_key=True)
    area_cents: Mapped[int] = mapped_column(BigInteger)
    units: Mapped[int] = mapped_column(Integer)
    unit_ids: Mapped[list] = mapped_column(JSON)

    @property
    def area(self) -> Decimal:
        return cents_to_area(self.area_cents)


class Ballot(db.Model):
    """The current ballot of one owner in one vote."""

    __table_args__ = (
        UniqueConstraint("vote_id", "owner_id"),
        UniqueConstraint("vote_id", "receipt"),
        ForeignKeyConstraint(
            ["vote_id", "owner_id"], ["vote_elector.vote_id", "vote_elector.owner_id"]
        ),
        CheckConstraint("choice IN ('agree', 'disagree', 'abstain')", name="choice"),
        CheckConstraint("channel IN ('online', 'paper', 'proxy')", name="channel"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    vote_id: Mapped[int] = mapped_column(Integer)
    owner_id: Mapped[int] = mapped_column(Integer)
    choice: Mapped[str] = mapped_column(String(10))
    previous_choice: Mapped[str | None] = mapped_column(String(10))
    channel: Mapped[str] = mapped_column(String(10))
    # Who cast or entered it: the owner, their proxy, or the committee member (NULL: the CLI).
    cast_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    reference: Mapped[str] = mapped_column(String(40), default="")  # paper ballot number
    receipt: Mapped[str] = mapped_column(String(8))
    changes: Mapped[int] = mapped_column(Integer, default=0)  # times changed after the first
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    @property
    def receipt_display(self) -> str:
        return format_receipt(self.receipt)


class BallotEvent(db.Model):
    """Append-only: every cast, change and supersede, in the order written (id). `seq` and
    `hash` are filled in once, when the vote closes and its log is sealed."""

    __table_args__ = (
        Index("ix_ballot_event_vote_id_id", "vote_id", "id"),
        Index("ix_ballot_event_vote_id_owner_id", "vote_id", "owner_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    vote_id: Mapped[int] = mapped_column(ForeignKey("vote.id"))
    owner_id: Mapped[int] = mapped_column(Integer)
    receipt: Mapped[str] = mapped_column(String(8))
    kind: Mapped[str] = mapped_column(String(10))  # cast | change | supersede
    choice: Mapped[str] = mapped_column(String(10))
    previous_choice: Mapped[str | None] = mapped_column(String(10))
    channel: Mapped[str] = mapped_column(String(10))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    reference: Mapped[str] = mapped_column(String(40), default="")
    reason: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    seq: Mapped[int | None] = mapped_column(Integer)
    hash: Mapped[str | None] = mapped_column(String(64))


@event.listens_for(BallotEvent, "before_update")
@event.listens_for(BallotEvent, "before_delete")
def _log_is_append_only(mapper, connection, target) -> None:  # noqa: ARG001
    raise RuntimeError("the ballot log is append-only")


class VoteProxy(db.Model):
    """An owner's proxy for one vote. At most one active proxy per owner and vote."""

    __table_args__ = (
        Index(
            "ix_vote_proxy_active",
            "vote_id",
            "owner_id",
            unique=True,
            postgresql_where=text("revoked_at IS NULL"),
            sqlite_where=text("revoked_at IS NULL"),
        ),
        Index("ix_vote_proxy_vote_id_proxy_user_id", "vote_id", "proxy_user_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    vote_id: Mapped[int] = mapped_column(ForeignKey("vote.id"))
    owner_id: Mapped[int] = mapped_column(ForeignKey("owner.id"))
    proxy_user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    evidence: Mapped[str] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    revoke_reason: Mapped[str] = mapped_column(String(300), default="")

    proxy_user: Mapped[User] = relationship(foreign_keys=[proxy_user_id])
