"""Pledge pages: the resident's pledge page (reward box, suggested amount, three small forms,
their own pledges), the public ledger and its A4 print, and the committee's pages (pledges to
confirm or cancel, the funding plan, the reward rule, spending). Every form posts, then
redirects; errors are shown next to their field. The reward box is an htmx fragment that the
money form refreshes live as an amount is typed."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from ..core import permissions
from ..core.context import load_community
from ..core.errors import DomainError
from ..core.forms import ConfirmForm, show_domain_error
from ..core.models import Community
from ..core.qr import qr_svg
from ..core.timeutil import utcnow
from ..extensions import db
from . import permissions as _permissions  # noqa: F401  (registers the pledge.* actions)
from . import services
from .forms import (
    CAP_LABELS,
    KIND_LABELS,
    SKILL_LABELS,
    STATUS_LABELS,
    CancelPledgeForm,
    ConfirmPledgeForm,
    LabourForm,
    MaterialsForm,
    MoneyForm,
    PaperPledgeForm,
    RewardForm,
    SpendingForm,
)
from .models import LIVE_STATUSES, Pledge, PledgeKind, PledgeStatus

bp = Blueprint("pledge", __name__, url_prefix="/c/<code>/pledge")

FORMS = {"money": MoneyForm, "labour": LabourForm, "materials": MaterialsForm}
LABELS = {
    "kinds": KIND_LABELS,
    "skills": SKILL_LABELS,
    "statuses": STATUS_LABELS,
    "caps": CAP_LABELS,
}


def _source_labels() -> dict:
    from ..plan.public import SOURCE_LABELS

    return SOURCE_LABELS


def _pledge(comm: Community, pledge_id: int) -> Pledge:
    pledge = db.session.get(Pledge, pledge_id)
    if pledge is None or pledge.community_id != comm.id:
        abort(404)
    return pledge


def _unit_label(unit) -> str:
    return unit.label()


def _forms(homes, plan, shares, posted=None):
    """The three pledge forms, each with a fresh one-time token (or the one posted)."""
    forms = {}
    choices = [(str(u.id), _unit_label(u)) for u in homes]
    for kind, cls in FORMS.items():
        form = posted if posted is not None and posted.kind.data == kind else None
        if form is None:
            form = cls(prefix=kind, formdata=None)
            form.token.data = services.new_token()
            form.kind.data = kind
            if homes:
                form.unit_id.data = str(homes[0].id)
            if kind == "money" and homes and homes[0].id in shares:
                form.amount.data = f"{shares[homes[0].id]:.2f}"
            if kind == "labour":
                form.skill.data = "supervision"
        form.unit_id.choices = choices
        forms[kind] = form
    return forms


def _page(comm: Community, posted=None, status: int = 200):
    plan = services.adopted_plan(comm)
    homes = services.homes_of(current_user, comm)
    shares = services.suggested_amounts(plan, [u.id for u in homes])
    rule, result, _after = services.reward_status(comm)
    mine = services.pledges_of(current_user, comm)
    return render_template(
        "pledge/index.html",
        plan=plan,
        homes=homes,
        shares=shares,
        rule=rule,
        result=result,
        after=None,
        mine=mine,
        forms=_forms(homes, plan, shares, posted),
        may_pledge=permissions.can(current_user, "pledge.make", comm),
        is_open=services.pledging_open(comm),
        manager=permissions.can(current_user, "pledge.manage", comm),
        withdraw_form=ConfirmForm(),
        labels=LABELS,
        max_amount=services.max_amount(),
    ), status


@bp.get("/")
def index(code: str):
    comm = load_community(code)
    permissions.require(current_user, "pledge.view", comm)
    return _page(comm)


@bp.post("/")
def make(code: str):
    comm = load_community(code)
    permissions.require(current_user, "pledge.view", comm)
    kind = next((k for k in FORMS if request.form.get(f"{k}-kind") == k), "")
    cls = FORMS.get(kind)
    if cls is None:
        abort(400)
    form = cls(prefix=kind)
    if not form.validate_on_submit():
        abort(400)  # only the CSRF token can fail here
    values = {k: getattr(form, k).data for k in ("amount", "hours", "skill") if hasattr(form, k)}
    for name in ("item", "quantity", "value"):
        if hasattr(form, name):
            values[name] = getattr(form, name).data
    try:
        pledge, created = services.make_pledge(
            current_user,
            comm,
            unit_id=form.unit_id.data,
            kind=kind,
            token=form.token.data,
            honour=form.honour.data,
            **values,
        )
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        if err.field is None or not hasattr(form, err.field):
            # Not about a field (step closed, not a resident, expired form): nothing written.
            flash(err.message, "error")
            return redirect(url_for("pledge.index", code=code))
        show_domain_error(form, err)
        return _page(comm, posted=form, status=400)
    if created:
        flash(
            _(
                "Thank you! Your pledge is recorded. The committee will confirm it when it is "
                "received. You can withdraw it until then."
            ),
            "success",
        )
    else:
        flash(_("This pledge was already recorded (the form was sent twice)."), "success")
    return redirect(url_for("pledge.index", code=code, _anchor=f"pledge-{pledge.id}"))


@bp.post("/<int:pledge_id>/withdraw")
def withdraw(code: str, pledge_id: int):
    comm = load_community(code)
    permissions.require(current_user, "pledge.view", comm)
    pledge = _pledge(comm, pledge_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        services.withdraw(current_user, pledge)
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        flash(err.message, "error")
    else:
        flash(_("Your pledge is withdrawn."), "success")
    return redirect(url_for("pledge.index", code=code))


@bp.get("/preview")
def preview(code: str):
    """The reward box, with what a typed amount would unlock once received (htmx)."""
    comm = load_community(code)
    permissions.require(current_user, "pledge.view", comm)
    extra = Decimal(0)
    raw = (request.args.get("money-amount") or request.args.get("amount") or "").strip()
    try:
        extra = Decimal(raw.replace(",", "")) if raw else Decimal(0)
    except InvalidOperation:
        extra = Decimal(0)
    if not extra.is_finite() or extra <= 0 or extra > services.max_amount():
        extra = Decimal(0)
    extra = extra.quantize(services.FEN)
    homes = services.homes_of(current_user, comm)
    unit = request.args.get("money-unit_id") or (str(homes[0].id) if homes else "")
    pledging_units = {
        p.unit_id for p in services.pledges_of(current_user, comm) if p.status in LIVE_STATUSES
    }
    new_household = bool(homes) and unit.isdigit() and int(unit) not in pledging_units
    rule, result, after = services.reward_status(comm, extra, new_household and extra > 0)
    return render_template(
        "pledge/_reward.html", rule=rule, result=result, after=after, extra=extra
    )


# ---------------------------------------------------------------------------------------------
# The public ledger


@bp.get("/ledger")
def ledger(code: str):
    comm = load_community(code)
    return render_template(
        "pledge/ledger.html",
        led=services.ledger(comm),
        labels=LABELS,
        sources_labels=_source_labels(),
    )


def _public_url(path: str) -> str:
    base = current_app.config.get("PUBLIC_BASE_URL", "").rstrip("/") or request.host_url.rstrip("/")
    return base + path


@bp.get("/ledger/print")
def ledger_print(code: str):
    comm = load_community(code)
    url = _public_url(url_for("pledge.ledger", code=code))
    return render_template(
        "pledge/print.html",
        led=services.ledger(comm),
        labels=LABELS,
        sources_labels=_source_labels(),
        url=url,
        qr=qr_svg(url),
        today=utcnow(),
    )


# ---------------------------------------------------------------------------------------------
# Committee


@bp.get("/manage")
def manage(code: str):
    comm = load_community(code)
    permissions.require(current_user, "pledge.manage", comm)
    status = request.args.get("status", "pledged")
    if status not in (*tuple(PledgeStatus), "all"):
        status = "pledged"
    rows = services.committee_list(comm, None if status == "all" else status)
    return render_template(
        "pledge/manage.html",
        rows=rows,
        status=status,
        labels=LABELS,
        counts=services.kind_totals(comm.id),
    )


@bp.route("/<int:pledge_id>/confirm", methods=["GET", "POST"])
def confirm(code: str, pledge_id: int):
    comm = load_community(code)
    permissions.require(current_user, "pledge.manage", comm)
    pledge = _pledge(comm, pledge_id)
    form = ConfirmPledgeForm()
    if request.method == "GET":
        if pledge.kind == PledgeKind.MONEY and pledge.amount is not None:
            form.received.data = f"{pledge.amount:.2f}"
        elif pledge.kind == PledgeKind.LABOUR and pledge.hours is not None:
            form.hours_worked.data = f"{pledge.hours:.1f}"
        elif pledge.kind == PledgeKind.MATERIALS:
            form.delivered.data = f"{pledge.item} × {pledge.quantity}"
            form.value.data = f"{pledge.value:.2f}" if pledge.value is not None else ""
    if form.validate_on_submit():
        try:
            services.confirm(
                current_user,
                pledge,
                received=form.received.data,
                reference=form.reference.data,
                hours_worked=form.hours_worked.data,
                delivered=form.delivered.data,
                value=form.value.data,
            )
            db.session.commit()
        except DomainError as err:
            db.session.rollback()
            show_domain_error(form, err)
        else:
            flash(_("Confirmed as received. The resident is told."), "success")
            return redirect(url_for("pledge.manage", code=code))
    row = next((r for r in services.committee_list(comm) if r.pledge.id == pledge.id), None)
    return render_template(
        "pledge/confirm.html", form=form, row=row, pledge=pledge, labels=LABELS
    ), (400 if form.errors else 200)


@bp.route("/<int:pledge_id>/cancel", methods=["GET", "POST"])
def cancel(code: str, pledge_id: int):
    comm = load_community(code)
    permissions.require(current_user, "pledge.manage", comm)
    pledge = _pledge(comm, pledge_id)
    form = CancelPledgeForm()
    if form.validate_on_submit():
        try:
            services.cancel(current_user, pledge, form.reason.data)
            db.session.commit()
        except DomainError as err:
            db.session.rollback()
            show_domain_error(form, err, "reason")
        else:
            flash(_("The pledge is cancelled. The resident is told why."), "success")
            return redirect(url_for("pledge.manage", code=code))
    row = next((r for r in services.committee_list(comm) if r.pledge.id == pledge.id), None)
    return render_template(
        "pledge/cancel.html", form=form, row=row, pledge=pledge, labels=LABELS
    ), (400 if form.errors else 200)


def _funding_page(comm, *, reward_form=None, spending_form=None, source_errors=None, status=200):
    plan = services.adopted_plan(comm)
    sources = []
    if plan is not None:
        try:
            sources = services.ensure_sources(comm, plan)
            db.session.commit()
        except IntegrityError:  # another committee member opened the page at the same moment
            db.session.rollback()
            sources = services.sources_of(comm, plan.id)
    rule = services.rule_in_use(comm)
    if reward_form is None:
        reward_form = RewardForm(formdata=None)
        r = rule.rule
        reward_form.match_ratio.data = f"{r.match_ratio.normalize():f}"
        reward_form.include_in_kind.data = r.include_in_kind
        reward_form.labour_rate.data = f"{rule.labour_rate:.2f}"
        reward_form.cap_kind.data = r.cap_kind
        reward_form.cap_amount.data = f"{r.cap_amount:.2f}"
        reward_form.min_household_share_pct.data = f"{(r.min_household_share * 100).normalize():f}"
        reward_form.min_per_m2.data = f"{r.min_per_m2:.2f}"
    labels = _source_labels()
    if spending_form is None:
        spending_form = SpendingForm(formdata=None)
        spending_form.spent_on.data = utcnow().date().isoformat()
        spending_form.source.data = "residents"
    spending_form.source.choices = [(k, str(v)) for k, v in labels.items()]
    return render_template(
        "pledge/funding.html",
        plan=plan,
        sources=sources,
        source_errors=source_errors or {},
        posted=request.form if source_errors else None,
        votes=services.passed_votes(comm),
        rule=rule,
        reward_form=reward_form,
        spending_form=spending_form,
        spending=services.spending_of(comm),
        sources_labels=labels,
        confirm=ConfirmForm(),
        labels=LABELS,
    ), status


@bp.route("/funding", methods=["GET", "POST"])
def funding(code: str):
    comm = load_community(code)
    permissions.require(current_user, "pledge.manage", comm)
    if request.method == "GET":
        return _funding_page(comm)
    action = request.form.get("action", "")
    if action == "sources":
        if not ConfirmForm().validate_on_submit():
            abort(400)
        amounts = {k[7:]: v for k, v in request.form.items() if k.startswith("amount_")}
        notes = {k[5:]: v for k, v in request.form.items() if k.startswith("note_")}
        try:
            services.set_sources(
                current_user,
                comm,
                amounts,
                notes=notes,
                fund_vote_id=request.form.get("fund_vote_id"),
            )
            db.session.commit()
        except DomainError as err:
            db.session.rollback()
            return _funding_page(comm, source_errors={err.field or "": err.message}, status=400)
        flash(_("The funding plan is saved."), "success")
        return redirect(url_for("pledge.funding", code=code, _anchor="sources"))
    if action in ("reward", "inherit"):
        form = RewardForm()
        if not form.validate_on_submit():
            abort(400)
        try:
            if action == "inherit":
                services.inherit_reward_rule(current_user, comm)
            else:
                services.set_reward_rule(
                    current_user,
                    comm,
                    match_ratio=form.match_ratio.data,
                    include_in_kind=form.include_in_kind.data,
                    labour_rate=form.labour_rate.data,
                    cap_kind=form.cap_kind.data,
                    cap_amount=form.cap_amount.data,
                    min_household_share_pct=form.min_household_share_pct.data,
                    min_per_m2=form.min_per_m2.data,
                )
            db.session.commit()
        except DomainError as err:
            db.session.rollback()
            show_domain_error(form, err, "match_ratio")
            return _funding_page(comm, reward_form=form, status=400)
        flash(
            _("The city's default reward rule applies again.")
            if action == "inherit"
            else _("The reward rule is saved."),
            "success",
        )
        return redirect(url_for("pledge.funding", code=code, _anchor="reward"))
    if action == "spending":
        form = SpendingForm()
        if not form.validate_on_submit():
            abort(400)
        try:
            services.add_spending(
                current_user,
                comm,
                spent_on=form.spent_on.data,
                amount=form.amount.data,
                purpose=form.purpose.data,
                payee=form.payee.data,
                reference=form.reference.data,
                source=form.source.data,
            )
            db.session.commit()
        except DomainError as err:
            db.session.rollback()
            show_domain_error(form, err, "purpose")
            return _funding_page(comm, spending_form=form, status=400)
        flash(_("The payment is recorded in the public ledger."), "success")
        return redirect(url_for("pledge.funding", code=code, _anchor="spending"))
    abort(400)


# ---------------------------------------------------------------------------------------------
# Paper pledges: a household without an account signs a paper form; the committee records it.


def _register_homes(comm: Community) -> list[tuple[int, str, str, str]]:
    """(unit id, building, entrance, room) of every home of the register, in order: one query."""
    from sqlalchemy import select

    from ..core.models import Building, Entrance, Unit

    return [
        tuple(r)
        for r in db.session.execute(
            select(Unit.id, Building.name, Entrance.name, Unit.room)
            .join(Entrance, Entrance.id == Unit.entrance_id)
            .join(Building, Building.id == Entrance.building_id)
            .where(Unit.community_id == comm.id)
            .order_by(
                Building.sort_key, Building.name, Entrance.sort_key, Entrance.name, Unit.sort_key
            )
        )
    ]


def _paper_home(form: PaperPledgeForm, homes) -> tuple[int | None, str]:
    from ..voting.views_paper import find_home, split_home

    typed = (form.unit.data or "").strip()
    if typed:
        parts = split_home(typed)
        if parts is None:
            return None, _("Type the home as building-entrance-room, like 3-2-501.")
    else:
        parts = (form.building.data or "", form.entrance.data or "", form.room.data or "")
        if not all(parts):
            return None, _("Choose the building, entrance and room, or type the home like 3-2-501.")
    label = "-".join(parts)
    unit_id = find_home(homes, *parts)
    if unit_id is None:
        return None, _(
            "No home %(label)s in the register. Check the building, entrance and room.",
            label=label,
        )
    return unit_id, label


@bp.route("/paper", methods=["GET", "POST"])
def paper(code: str):
    from wtforms.fields.choices import SelectChoice

    comm = load_community(code)
    permissions.require(current_user, "pledge.manage", comm)
    homes = _register_homes(comm)
    form = PaperPledgeForm()
    blank = [SelectChoice("", "—")]
    seen = lambda values: list(dict.fromkeys(values))  # noqa: E731
    form.building.choices = blank + [SelectChoice(b) for b in seen(h[1] for h in homes)]
    form.entrance.choices = blank + [SelectChoice(e) for e in seen(h[2] for h in homes)]
    rooms = sorted(seen(h[3] for h in homes), key=lambda r: (len(r), r))
    form.room.choices = blank + [SelectChoice(r) for r in rooms]
    if request.method == "GET":
        form.token.data = services.new_token()
        form.kind.data = "money"
        form.skill.data = "supervision"
    is_open = services.pledging_open(comm)
    if form.validate_on_submit():
        unit_id, label = _paper_home(form, homes)
        if unit_id is None:
            form.unit.errors.append(label)
        else:
            try:
                pledge, created = services.record_paper_pledge(
                    current_user,
                    comm,
                    unit_id=unit_id,
                    kind=form.kind.data,
                    token=form.token.data,
                    evidence=form.evidence.data,
                    amount=form.amount.data,
                    hours=form.hours.data,
                    skill=form.skill.data,
                    item=form.item.data,
                    quantity=form.quantity.data,
                    value=form.value.data,
                )
                db.session.commit()
            except DomainError as err:
                db.session.rollback()
                if err.field is None or not hasattr(form, err.field):
                    form.form_errors.append(err.message)
                else:
                    show_domain_error(form, err)
            else:
                flash(
                    _("The paper pledge for %(home)s is recorded.", home=label)
                    if created
                    else _("This pledge was already recorded (the form was sent twice)."),
                    "success",
                )
                return redirect(url_for("pledge.paper", code=code))
    recent = [r for r in services.committee_list(comm) if r.pledge.on_paper][:10]
    return render_template(
        "pledge/paper.html", form=form, recent=recent, labels=LABELS, is_open=is_open
    ), (400 if form.errors else 200)
