"""Plan pages (step 2): the community's renovation plan and its versions, the committee's
compose form, publishing for comment, the confirmation vote, revising, the table of every unit's
share, and the A4 print pages of the plan and of the survey's results.

Registered on the menu blueprint (views.bp, /c/<code>/plan). Every form posts, then redirects;
a refusal is shown as a message (or next to its field) and writes nothing.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from functools import cached_property
from types import MappingProxyType
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from ..core import permissions
from ..core.cache import cached_block, cached_section, roles_key
from ..core.context import load_community
from ..core.errors import DomainError
from ..core.forms import ConfirmForm
from ..core.models import Community
from ..core.pagecache import cached_page
from ..core.qr import qr_svg
from ..core.timeutil import parse_wall, utc_to_wall, utcnow
from ..extensions import db
from . import plans, survey
from .forms import CATEGORY_LABELS
from .menu_data import CATEGORIES
from .models import Plan, PlanStatus
from .public import FUNDING_SOURCES, SOURCE_LABELS, unit_shares
from .services import items_of
from .views import _ensure, bp

VOTE_RULES = ("special", "ordinary")


def status_text(status: str) -> str:
    return {
        PlanStatus.DRAFT: _("Draft"),
        PlanStatus.NOTICE: _("Posted for comment"),
        PlanStatus.VOTING: _("Confirmation vote"),
        PlanStatus.ADOPTED: _("Adopted"),
        PlanStatus.REJECTED: _("Rejected"),
        PlanStatus.SUPERSEDED: _("Superseded"),
    }.get(status, status)


def _plan(comm: Community, plan_id: int) -> Plan:
    plan = db.session.get(Plan, plan_id)
    if plan is None or plan.community_id != comm.id:
        abort(404)
    editor = permissions.can(current_user, "plan.edit", comm)
    if plan.status == PlanStatus.DRAFT and not editor:
        abort(404)  # drafts exist for the committee only
    return plan


def _refresh(plan: Plan) -> None:
    """A due confirmation vote closes (or opens) when the plan is viewed, and the plan takes
    the status its result decided."""
    from ..voting import services as voting
    from ..voting.models import Vote

    changed = False
    if plan.vote_id is not None:
        vote = db.session.get(Vote, plan.vote_id)
        if vote is not None and voting.refresh_vote(vote):
            changed = True
    before = plan.status
    plans.settle(plan)
    if changed or plan.status != before:
        db.session.commit()


def _done(comm: Community, plan: Plan, message: str):
    flash(message, "success")
    return redirect(url_for("plan.plan_detail", code=comm.code, plan_id=plan.id))


def _refused(comm: Community, plan: Plan, err: DomainError):
    db.session.rollback()
    flash(err.message, "error")
    return redirect(url_for("plan.plan_detail", code=comm.code, plan_id=plan.id))


@bp.route("/", methods=["GET", "POST"], endpoint="plan_index")
def plan_index(code: str):
    comm = load_community(code)
    permissions.require(current_user, "plan.view", comm)
    editor = permissions.can(current_user, "plan.edit", comm)
    if request.method == "POST":
        permissions.require(current_user, "plan.edit", comm)
        if not ConfirmForm().validate_on_submit():
            abort(400)
        try:
            plan = plans.create_plan(
                current_user, comm, request.form.get("title"), request.form.get("summary")
            )
            db.session.commit()
        except DomainError as err:
            db.session.rollback()
            flash(err.message, "error")
            return redirect(url_for("plan.plan_index", code=code))
        flash(_("The plan was started. Choose its items and funding."), "success")
        return redirect(url_for("plan.plan_edit", code=code, plan_id=plan.id))
    versions = [p for p in plans.versions_of(comm) if editor or p.status != PlanStatus.DRAFT]
    from .public import current_plan

    current = current_plan(comm.id)
    if current is not None and (editor or current.status != PlanStatus.DRAFT):
        return redirect(url_for("plan.plan_detail", code=code, plan_id=current.id))
    return render_template(
        "plan/plan_index.html", versions=versions, editor=editor, confirm=ConfirmForm()
    )


class _Detail:
    """What the plan page shows, read only when a section of it is not cached (core/cache.py):
    the page's community-wide sections are cached per plan and role set until the
    community's data changes."""

    def __init__(self, comm: Community, plan: Plan, editor: bool) -> None:
        self.comm, self.plan, self.editor = comm, plan, editor

    @cached_property
    def s(self):
        return plans.summary_of(self.plan)

    @cached_property
    def sections(self):
        return _sections(self.s)

    @cached_property
    def versions(self) -> list[Plan]:
        return [
            p for p in plans.versions_of(self.comm) if self.editor or p.status != PlanStatus.DRAFT
        ]

    @cached_property
    def newest(self) -> Plan | None:
        return plans.latest(self.comm)

    @cached_property
    def notice_ends(self):
        return plans.notice_ends_at(self.plan)

    @cached_property
    def vote(self):
        if self.plan.vote_id is None:
            return None
        from ..voting.models import Vote

        return db.session.get(Vote, self.plan.vote_id)

    @cached_property
    def comments(self) -> int:
        if self.plan.topic_id is None:
            return 0
        from ..consult.services import comment_counts

        return comment_counts([self.plan.topic_id]).get(self.plan.topic_id, 0)

    @cached_property
    def opens_default(self):
        now = utcnow()
        return max(self.notice_ends, now) if self.notice_ends else now


def _my_shares(comm: Community, plan: Plan) -> list[tuple[Any, Decimal]]:
    """The reader's homes with their share: the shares of every home are community-wide
    (cached), the homes are the reader's (one query)."""
    homes = plans.homes_of(current_user, comm)
    if not homes:
        return []
    shares = cached_section(
        comm, "plan.unit_shares", lambda: MappingProxyType(unit_shares(plan.id)), plan.id
    )
    return [(unit, shares.get(unit.id, Decimal("0.00"))) for unit in homes]


@bp.get("/<int:plan_id>", endpoint="plan_detail")
def plan_detail(code: str, plan_id: int):
    comm = load_community(code)
    permissions.require(current_user, "plan.view", comm)
    plan = _plan(comm, plan_id)
    if plan.status == PlanStatus.VOTING:
        _refresh(plan)  # only a plan put to a vote changes with the clock (its vote closes)
    editor = permissions.can(current_user, "plan.edit", comm)
    d = _Detail(comm, plan, editor)
    roles = roles_key(permissions.roles_for(current_user, comm.id))
    # The same page for everyone with the same roles but for the reader's own share (a hole,
    # core/pagecache.py).
    return cached_page(
        comm,
        "plan.detail",
        lambda: render_template(
            "plan/plan_detail.html",
            plan=plan,
            d=d,
            editor=editor,
            roles=roles,
            cached_block=cached_block,
            categories=CATEGORY_LABELS,
            source_labels=SOURCE_LABELS,
            notice_days=plans.config("PLAN_NOTICE_DAYS", 7),
            rules=VOTE_RULES,
            status_text_of=status_text,
            wall=lambda dt: utc_to_wall(dt).strftime("%Y-%m-%dT%H:%M"),
            vote_days=timedelta(days=plans.VOTE_DAYS),
            confirm=ConfirmForm(),
        ),
        holes={
            "my_share": lambda: render_template("plan/_my_share.html", mine=_my_shares(comm, plan))
        },
    )


def _sections(summary):
    return [
        (c, [line for line in summary.lines if line.category == c])
        for c in CATEGORIES
        if any(line.category == c for line in summary.lines)
    ]


# ---------------------------------------------------------------------------------------------
# Composing


def _compose_rows(comm: Community, plan: Plan, form=None):
    """Every visible menu item (and any item already in the plan) with its quantity and cost
    per item: as submitted, else as in the plan, else prefilled from the menu's estimate."""
    units, area = plans.community_totals(comm.id)
    in_plan = {line.menu_item_id: line for line in plans.lines_of(plan)}
    items = [i for i in items_of(comm, include_hidden=True) if not i.hidden or i.id in in_plan]
    rows = []
    for item in items:
        qty, cost = plans.prefill(item, units, area)
        line = in_plan.get(item.id)
        if line is not None:
            qty, cost = Decimal(line.quantity), Decimal(line.unit_cost)
        included = line is not None
        if form is not None:
            included = form.get(f"inc-{item.id}") is not None
            qty, cost = form.get(f"qty-{item.id}", ""), form.get(f"cost-{item.id}", "")
        rows.append({"item": item, "included": included, "qty": qty, "cost": cost})
    return rows, units, area


@bp.route("/<int:plan_id>/edit", methods=["GET", "POST"], endpoint="plan_edit")
def plan_edit(code: str, plan_id: int):
    comm = load_community(code)
    permissions.require(current_user, "plan.edit", comm)
    plan = _plan(comm, plan_id)
    _ensure(comm)
    if plans.settle(plan) != PlanStatus.DRAFT:
        db.session.commit()
        flash(
            _(
                "This version is no longer a draft and cannot be changed. Revise it to make a new version."
            ),
            "error",
        )
        return redirect(url_for("plan.plan_detail", code=code, plan_id=plan.id))
    error = None
    form = None
    sources = {k: str(v) for k, v in plans.sources_of(plan).items()}
    title, summary_text = plan.title, plan.summary
    if request.method == "POST":
        if not ConfirmForm().validate_on_submit():
            abort(400)
        form = request.form
        title, summary_text = form.get("title", ""), form.get("summary", "")
        sources = {k: form.get(f"source-{k}", "") for k in FUNDING_SOURCES}
        lines = []
        for key in form:
            if key.startswith("inc-"):
                item_id = key[4:]
                lines.append(
                    plans.LineInput(
                        item_id, form.get(f"qty-{item_id}", ""), form.get(f"cost-{item_id}", "")
                    )
                )
        try:
            plans.save_plan(
                current_user,
                plan,
                title=title,
                summary=summary_text,
                lines=lines,
                sources=sources,
            )
            db.session.commit()
        except DomainError as err:
            db.session.rollback()
            error = err
        else:
            flash(_("The plan was saved."), "success")
            return redirect(url_for("plan.plan_detail", code=code, plan_id=plan.id))
    rows, units, area = _compose_rows(comm, plan, form)
    error_item = None
    if error is not None and error.field and error.field.split("-")[0] in ("qty", "cost"):
        error_item = next(
            (
                r["item"]
                for r in rows
                if f"-{r['item'].id}" == error.field[error.field.index("-") :]
            ),
            None,
        )
    return render_template(
        "plan/plan_edit.html",
        plan=plan,
        rows=rows,
        sections=[(c, [r for r in rows if r["item"].category == c]) for c in CATEGORIES],
        units=units,
        area=area,
        title=title,
        summary_text=summary_text,
        sources=sources,
        source_keys=FUNDING_SOURCES,
        source_labels=SOURCE_LABELS,
        categories=CATEGORY_LABELS,
        error=error,
        error_item=error_item,
        lang=str(get_locale()),
        confirm=ConfirmForm(),
    ), (422 if error else 200)


# ---------------------------------------------------------------------------------------------
# Publishing, the vote, revising


def _post_action(code: str, plan_id: int):
    comm = load_community(code)
    permissions.require(current_user, "plan.edit", comm)
    plan = _plan(comm, plan_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    return comm, plan


@bp.post("/<int:plan_id>/publish", endpoint="plan_publish")
def plan_publish(code: str, plan_id: int):
    comm, plan = _post_action(code, plan_id)
    try:
        plans.publish_plan(current_user, plan, request.form.get("notice_days"))
        db.session.commit()
    except DomainError as err:
        return _refused(comm, plan, err)
    return _done(
        comm,
        plan,
        _(
            "The plan is posted for comment. Residents were told; the vote can open when the notice period ends."
        ),
    )


@bp.post("/<int:plan_id>/vote", endpoint="plan_vote")
def plan_vote(code: str, plan_id: int):
    comm, plan = _post_action(code, plan_id)
    rule = request.form.get("rule") or plans.DEFAULT_RULE
    if rule not in VOTE_RULES:
        return _refused(comm, plan, DomainError(_("Please choose a rule.")))
    opens_at = parse_wall(request.form.get("opens_at"))
    closes_at = parse_wall(request.form.get("closes_at"))
    if opens_at is None or closes_at is None:
        return _refused(comm, plan, DomainError(_("Please set when the vote opens and closes.")))
    try:
        vote = plans.put_to_vote(
            current_user, plan, opens_at=opens_at, closes_at=closes_at, rule=rule
        )
        db.session.commit()
    except DomainError as err:
        return _refused(comm, plan, err)
    flash(_("The confirmation vote is ready. It opens by itself at the time set."), "success")
    return redirect(url_for("voting.detail", code=code, vote_id=vote.id))


@bp.post("/<int:plan_id>/revise", endpoint="plan_revise")
def plan_revise(code: str, plan_id: int):
    comm, plan = _post_action(code, plan_id)
    try:
        new = plans.revise(current_user, plan)
        db.session.commit()
    except DomainError as err:
        return _refused(comm, plan, err)
    flash(
        _(
            "Version %(n)d was created from version %(old)d. Edit it, then publish it.",
            n=new.version,
            old=plan.version,
        ),
        "success",
    )
    return redirect(url_for("plan.plan_edit", code=code, plan_id=new.id))


# ---------------------------------------------------------------------------------------------
# The table of shares, printing


@bp.get("/<int:plan_id>/shares", endpoint="plan_shares")
def plan_shares(code: str, plan_id: int):
    comm = load_community(code)
    permissions.require(current_user, "plan.shares", comm)
    plan = _plan(comm, plan_id)
    summary = plans.summary_of(plan)
    rows = plans.share_table(plan)
    return render_template(
        "plan/plan_shares.html",
        plan=plan,
        s=summary,
        rows=rows,
        area_total=sum((r.area for r in rows), Decimal("0.00")),
        share_total=sum((r.share for r in rows), Decimal("0.00")),
    )


@bp.get("/<int:plan_id>/print", endpoint="plan_print")
def plan_print(code: str, plan_id: int):
    comm = load_community(code)
    permissions.require(current_user, "plan.view", comm)
    plan = _plan(comm, plan_id)
    _refresh(plan)
    summary = plans.summary_of(plan)
    url = url_for("plan.plan_detail", code=code, plan_id=plan.id, _external=True)
    units, area = plans.community_totals(comm.id)
    per_m2 = (summary.residents_total / area).quantize(Decimal("0.01")) if area else None
    return render_template(
        "plan/plan_print.html",
        plan=plan,
        s=summary,
        status_text=status_text(summary.status),
        sections=_sections(summary),
        categories=CATEGORY_LABELS,
        source_labels=SOURCE_LABELS,
        units=units,
        area=area,
        per_m2=per_m2,
        notice_ends=plans.notice_ends_at(plan),
        url=url,
        qr=qr_svg(url),
        printed=utcnow(),
    )


@bp.get("/survey/print", endpoint="survey_print")
def survey_print(code: str):
    comm = load_community(code)
    permissions.require(current_user, "survey.view", comm)
    round_ = survey.current_round(comm)
    if round_ is None or round_.is_open():
        flash(_("The results can be printed once the survey has closed."), "error")
        return redirect(url_for("plan.survey", code=code))
    url = url_for("plan.survey", code=code, _external=True)
    return render_template(
        "plan/survey_print.html",
        round=round_,
        results=survey.results(round_),
        lang=str(get_locale()),
        url=url,
        qr=qr_svg(url),
        printed=utcnow(),
    )
