"""The committee's vote pages, on the voting blueprint: a draft's form with the electorate
preview, opening, closing early (with a reason) and deleting a draft. Paper ballots and proxies
are in views_paper.py.

Rules stay in services.py: these views turn the form into the service's arguments (local times
to UTC, scope, rule), call it and put its refusal next to the field it names."""

from __future__ import annotations

from datetime import timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from ..consult.models import Topic, TopicStatus
from ..core import permissions
from ..core.context import load_community
from ..core.errors import DomainError
from ..core.forms import ConfirmForm, show_domain_error
from ..core.htmx import is_htmx
from ..core.models import Building, Community, Entrance
from ..core.timeutil import local_zone, utc_to_wall, utcnow, wall_to_utc
from ..extensions import db
from . import services
from .forms import (
    CloseForm,
    VoteForm,
    optional_int,
)
from .models import ScopeKind, Vote
from .rules import RuleKind, Totals
from .views import bp, load, vote_url

# What the committee is told when a button no longer fits the vote's state (e.g. a second tab).
STATE_REFUSALS = {
    "vote.edit": lambda: _(
        "Only a draft can be edited. An open vote can only be closed early, with a reason."
    ),
    "vote.open": lambda: _("This vote is already open or closed."),
    "vote.close": lambda: _("Only an open vote can be closed."),
    "vote.enter_paper": lambda: _("Paper ballots can be entered only while the vote is open."),
    "vote.proxy": lambda: _("Proxies can be recorded only before the vote closes."),
}


def committee_vote(code: str, vote_id: int, action: str):
    """The vote for a committee action; when the vote's state no longer allows the action, a
    message and back to the vote page (a redirect response instead of the vote)."""
    comm, vote = load(code, vote_id)
    permissions.require(current_user, "vote.create", comm)  # the committee of this community
    if not permissions.can(current_user, action, comm, vote):
        flash(STATE_REFUSALS[action](), "error")
        return comm, vote, redirect(vote_url(vote))
    return comm, vote, None


def _require_form() -> None:
    if not ConfirmForm().validate_on_submit():
        abort(400)


# ---------------------------------------------------------------------------------------------
# The draft's form


def _scope_choices(comm: Community, form: VoteForm) -> None:
    rows = db.session.execute(
        select(Building.id, Building.name, Entrance.id, Entrance.name)
        .outerjoin(Entrance, Entrance.building_id == Building.id)
        .where(Building.community_id == comm.id)
        .order_by(Building.sort_key, Building.name, Entrance.sort_key, Entrance.name)
    ).all()
    buildings: dict[int, str] = {}
    entrances = []
    for bid, bname, eid, ename in rows:
        buildings.setdefault(bid, _("Building %(name)s", name=bname))
        if eid is not None:
            entrances.append(
                SelectChoice(
                    eid,
                    _(
                        "Building %(building)s, entrance %(entrance)s",
                        building=bname,
                        entrance=ename,
                    ),
                )
            )
    form.buildings.choices = [SelectChoice(i, label) for i, label in buildings.items()]
    form.entrance.choices = [SelectChoice("", _("Choose an entrance")), *entrances]


def _topic_choices(comm: Community, form: VoteForm) -> None:
    topics = db.session.execute(
        select(Topic.id, Topic.title, Topic.status)
        .where(Topic.community_id == comm.id, Topic.status != TopicStatus.CLOSED)
        .order_by(Topic.posted_at.is_(None).desc(), Topic.posted_at.desc(), Topic.id.desc())
    ).all()
    form.topic.choices = [SelectChoice("", _("Choose the topic"))] + [
        SelectChoice(
            tid, title if status == TopicStatus.POSTED else _("%(title)s (draft)", title=title)
        )
        for tid, title, status in topics
    ]


def _scope_of(form: VoteForm) -> tuple[str, list[int]]:
    kind = form.scope.data or ScopeKind.COMMUNITY.value
    if kind == ScopeKind.BUILDINGS:
        return kind, [i for i in (form.buildings.data or []) if i is not None]
    if kind == ScopeKind.ENTRANCE:
        return kind, [form.entrance.data] if form.entrance.data else []
    return ScopeKind.COMMUNITY.value, []


def _preview(comm: Community, kind: str, ids: list[int]) -> Totals:
    """Who votes with the scope being chosen (nobody until an entrance is picked)."""
    if kind == ScopeKind.ENTRANCE and not ids:
        return Totals()
    return services.electorate_preview(comm, kind, ids)


def _values(form: VoteForm) -> dict:
    kind, ids = _scope_of(form)
    rule = form.rule.data or ""
    custom = None
    if rule == RuleKind.CUSTOM:
        custom = services.CustomRule(
            approval=(form.approval.data or "").strip(),
            approval_comparison=form.approval_cmp.data,
            base=form.approval_base.data,
            quorum=(form.quorum.data or "").strip() or None,
        )
    return {
        "title": form.title.data or "",
        "question": form.question.data or "",
        "rule": rule,
        "custom": custom,
        "scope_kind": kind,
        "scope_ids": ids,
        "opens_at": wall_to_utc(form.opens_at.data),
        "closes_at": wall_to_utc(form.closes_at.data),
        "turnout_public": bool(form.turnout_public.data),
        "auto_open": bool(form.auto_open.data),
        "result_notice_days": form.result_notice_days.data,
    }


def _fill(form: VoteForm, vote: Vote) -> None:
    form.title.data = vote.title
    form.question.data = vote.question
    form.scope.data = vote.scope_kind
    if vote.scope_kind == ScopeKind.BUILDINGS:
        form.buildings.data = list(vote.scope_ids)
    elif vote.scope_kind == ScopeKind.ENTRANCE:
        form.entrance.data = vote.scope_ids[0]
    form.rule.data = vote.rule
    if vote.rule == RuleKind.CUSTOM:
        form.approval.data = f"{vote.approval_num}/{vote.approval_den}"
        form.approval_cmp.data = vote.approval_cmp
        form.approval_base.data = vote.approval_base
        if vote.quorum_num is not None:
            form.quorum.data = f"{vote.quorum_num}/{vote.quorum_den}"
    form.opens_at.data = utc_to_wall(vote.opens_at)
    form.closes_at.data = utc_to_wall(vote.closes_at)
    form.auto_open.data = vote.auto_open
    form.turnout_public.data = vote.turnout_public
    form.result_notice_days.data = vote.result_notice_days


def _defaults(form: VoteForm, topic: Topic | None) -> None:
    """A new vote: opening on the next full hour once the topic's notice period is over,
    closing 7 days later at 20:00."""
    now = utcnow()
    start = max(now, topic.notice_ends_at or now) if topic is not None else now
    local = utc_to_wall(start)
    if local.minute or start > now:
        local = local.replace(minute=0) + timedelta(hours=1)
    form.opens_at.data = local
    form.closes_at.data = (local + timedelta(days=7)).replace(hour=20, minute=0)
    form.result_notice_days.data = services.config("RESULT_NOTICE_DAYS")
    form.rule.data = RuleKind.ORDINARY.value
    form.scope.data = ScopeKind.COMMUNITY.value


def _vote_form(comm: Community, vote: Vote | None):
    form = VoteForm()
    _scope_choices(comm, form)
    topic = vote.topic if vote is not None else None
    if vote is not None:
        del form.topic
    else:
        _topic_choices(comm, form)
    if request.method == "GET":
        if vote is not None:
            _fill(form, vote)
        else:
            topic_id = optional_int(request.args.get("topic"))
            topic = db.session.get(Topic, topic_id) if topic_id else None
            if topic is not None and topic.community_id != comm.id:
                topic = None
            form.topic.data = topic.id if topic else None
            _defaults(form, topic)
    previewing = request.method == "POST" and request.form.get("action") == "preview"
    if form.validate_on_submit() and not previewing:
        if vote is None:
            topic = db.session.get(Topic, form.topic.data) if form.topic.data else None
            if topic is None or topic.community_id != comm.id:
                form.topic.errors.append(_("Please choose the topic this vote is about."))
        if not form.errors:
            try:
                if vote is None:
                    vote = services.create_vote(current_user, topic, **_values(form))
                else:
                    services.update_vote(current_user, vote, **_values(form))
                db.session.commit()
            except DomainError as err:
                db.session.rollback()
                show_domain_error(form, err)
            else:
                flash(
                    _("The draft is saved. Check it, then open it when the time comes."),
                    "success",
                )
                return redirect(vote_url(vote))
    kind, ids = _scope_of(form)
    return render_template(
        "voting/form.html",
        form=form,
        vote=vote,
        topic=topic,
        previewing=previewing,
        # Said only while it runs: the vote cannot open before it ends.
        notice_ends=ends if topic and (ends := topic.notice_ends_at) and ends > utcnow() else None,
        electorate=_preview(comm, kind, ids),
        period=(services.config("VOTE_MIN_DAYS"), services.config("VOTE_MAX_DAYS")),
        zone=str(local_zone()),
    ), 400 if form.errors else 200


@bp.route("/new", methods=["GET", "POST"])
def new(code: str):
    comm = load_community(code)
    permissions.require(current_user, "vote.create", comm)
    return _vote_form(comm, None)


@bp.route("/<int:vote_id>/edit", methods=["GET", "POST"])
def edit(code: str, vote_id: int):
    comm, vote, refused = committee_vote(code, vote_id, "vote.edit")
    return refused or _vote_form(comm, vote)


@bp.get("/preview")
def preview(code: str):
    """The electorate of the scope being chosen (htmx, as the scope inputs change)."""
    comm = load_community(code)
    permissions.require(current_user, "vote.create", comm)
    form = VoteForm(request.args, meta={"csrf": False})
    _scope_choices(comm, form)
    kind, ids = _scope_of(form)
    electorate = _preview(comm, kind, ids)
    if not is_htmx():
        return redirect(url_for("voting.new", code=comm.code))
    return render_template("voting/_electorate.html", electorate=electorate, kind=kind, ids=ids)


# ---------------------------------------------------------------------------------------------
# Opening, closing, deleting


@bp.post("/<int:vote_id>/open")
def open_vote(code: str, vote_id: int):
    _comm, vote, refused = committee_vote(code, vote_id, "vote.open")
    if refused:
        return refused
    _require_form()
    try:
        totals = services.open_vote(current_user, vote)
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        flash(err.message, "error")
    else:
        flash(
            _(
                "The vote is open: %(owners)d owners holding %(area)s m² may vote. Every "
                "resident was told in their inbox and on the notice board.",
                owners=totals.heads,
                area=totals.area,
            ),
            "success",
        )
    return redirect(vote_url(vote))


@bp.route("/<int:vote_id>/close", methods=["GET", "POST"])
def close(code: str, vote_id: int):
    _comm, vote, refused = committee_vote(code, vote_id, "vote.close")
    if refused:
        return refused
    form = CloseForm()
    if form.validate_on_submit():
        try:
            services.close_vote(current_user, vote, form.reason.data or "")
            db.session.commit()
        except DomainError as err:
            db.session.rollback()
            show_domain_error(form, err)
        else:
            flash(
                _(
                    "The vote is closed. Its result is posted on the notice board and every "
                    "resident was told; print the result notice for the lobby."
                ),
                "success",
            )
            return redirect(vote_url(vote))
    return render_template("voting/close.html", vote=vote, form=form), 400 if form.errors else 200


@bp.post("/<int:vote_id>/delete")
def delete(code: str, vote_id: int):
    comm, vote, refused = committee_vote(code, vote_id, "vote.edit")
    if refused:
        return refused
    _require_form()
    title = vote.title
    try:
        services.delete_draft_vote(current_user, vote)
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        flash(err.message, "error")
        return redirect(vote_url(vote))
    flash(_("The draft “%(title)s” is deleted.", title=title), "success")
    return redirect(url_for("voting.index", code=comm.code))
