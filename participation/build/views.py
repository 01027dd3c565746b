"""Pages of step 4: the community's issue list, reporting (with "me too" offered first), an
issue with its timeline and the actions the viewer may take, the staff queue, routing, the
construction log and advance notices; and GET /api/v1/communities/<code>/issues/stats.

Every form posts, then redirects; the queue's buttons also work through htmx, which swaps in the
updated row. Photos are served only to those who may see them (private photos: the reporter and
the community's staff and committee)."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import (
    Blueprint,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms.fields.choices import SelectChoice

from ..core import permissions
from ..core.cache import cached_section, valid_until
from ..core.context import load_community
from ..core.errors import DomainError
from ..core.forms import ConfirmForm, show_domain_error
from ..core.htmx import is_htmx
from ..core.models import Building, Community, Entrance
from ..core.pagecache import cached_page
from ..core.timeutil import aware, local_zone, parse_wall, utcnow
from ..core.uploads import delete_stored, send_upload
from ..extensions import db, parse_id
from . import log as buildlog
from . import permissions as build_permissions
from . import public, rules, services, workflow
from .forms import (
    CATEGORY_CHOICES,
    AdvanceNoticeForm,
    LogForm,
    MergeForm,
    ReasonForm,
    ReassignForm,
    ReportForm,
    ResolveForm,
)
from .labels import (
    CATEGORY_LABELS,
    FILTER_LABELS,
    NOTICE_KIND_LABELS,
    PARTY_LABELS,
    STATUS_LABELS,
    URGENCY_LABELS,
)
from .models import Issue, IssuePhoto, LogPhoto

bp = Blueprint("build", __name__, url_prefix="/c/<code>")
api_bp = Blueprint("build_api", __name__, url_prefix="/api/v1/communities/<code>")

LABELS = {
    "categories": CATEGORY_LABELS,
    "urgencies": URGENCY_LABELS,
    "parties": PARTY_LABELS,
    "statuses": STATUS_LABELS,
    "filters": FILTER_LABELS,
    "notice_kinds": NOTICE_KIND_LABELS,
}


@bp.context_processor
def _labels() -> dict:
    return {"L": LABELS, "due_info": due_info, "now": utcnow(), "iso": _iso}


def _iso(value: datetime) -> str:
    """A machine-readable UTC time for <time datetime>, to the minute."""
    return aware(value).astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")


def due_info(issue: Issue, now: datetime | None = None) -> dict | None:
    """What the next deadline means now: {'at', 'stage', 'overdue', 'hours'}."""
    now = now or utcnow()
    ack_due, resolve_due = aware(issue.ack_due), aware(issue.resolve_due)
    at = rules.next_due(issue.status, ack_due, resolve_due)
    if at is None:
        return None
    stage = "acknowledge" if issue.status == workflow.SUBMITTED and at == ack_due else "resolve"
    missed = rules.overdue(now, issue.status, ack_due, resolve_due)
    late = bool(missed)
    ref = (
        min(d for d, s in ((ack_due, "acknowledge"), (resolve_due, "resolve")) if s in missed)
        if late
        else at
    )
    hours = abs((now - ref).total_seconds()) / 3600
    return {
        "at": at,
        "stage": stage,
        "overdue": late,
        "hours": int(hours),
        "days": int(hours // 24),
    }


def _issue(comm: Community, issue_id: int) -> Issue:
    issue = services.load_issue(comm, issue_id)
    if issue is None:
        abort(404)
    return issue


def _places(comm: Community) -> list[tuple[str, str]]:
    """The "where" choices: each building and each of its entrances, in one query."""
    rows = db.session.execute(
        select(Building, Entrance)
        .outerjoin(Entrance, Entrance.building_id == Building.id)
        .where(Building.community_id == comm.id)
        .order_by(Building.sort_key, Building.name, Entrance.sort_key, Entrance.name)
    ).all()
    out: list[tuple[str, str]] = []
    seen: set[int] = set()
    for building, entrance in rows:
        if building.id not in seen:
            seen.add(building.id)
            out.append((f"b{building.id}", _("Building %(b)s", b=building.name)))
        if entrance is not None:
            out.append(
                (
                    f"e{building.id}-{entrance.id}",
                    _("Building %(b)s, entrance %(e)s", b=building.name, e=entrance.name),
                )
            )
    return out


def _home_place(comm: Community) -> str:
    """The "where" value of the user's (first) home in this community, or ""."""
    from ..core.models import Residency, ResidencyStatus, Unit

    row = db.session.execute(
        select(Entrance.building_id, Entrance.id)
        .join(Unit, Unit.entrance_id == Entrance.id)
        .join(Residency, Residency.unit_id == Unit.id)
        .where(
            Residency.user_id == current_user.id,
            Residency.community_id == comm.id,
            Residency.status == ResidencyStatus.ACTIVE,
        )
        .order_by(Residency.id)
        .limit(1)
    ).first()
    return f"e{row[0]}-{row[1]}" if row else ""


def _parse_place(value: str | None) -> tuple[int | None, int | None]:
    value = (value or "").strip()
    if value.startswith("b"):
        return parse_id(value[1:]), None
    if value.startswith("e") and "-" in value:
        b, e = value[1:].split("-", 1)
        building_id, entrance_id = parse_id(b), parse_id(e)
        if building_id and entrance_id:
            return building_id, entrance_id
    return None, None


def _may_see_private(comm: Community) -> bool:
    return bool(
        permissions.roles_for(current_user, comm.id) & {permissions.COMMITTEE, permissions.PROPERTY}
    )


# ---------------------------------------------------------------------------------------------
# The community's issues


@bp.get("/issues")
def index(code: str):
    comm = load_community(code)
    permissions.require(current_user, "issue.view", comm)
    status = request.args.get("status", "open")
    if status not in FILTER_LABELS and status != "mine":
        status = "open"
    staff = _may_see_private(comm)
    if status == "mine":
        listing = _issue_listing(comm, "mine", staff, current_user.id)[1]
    else:
        # The list is the same for every resident (names masked, private photos left out) and
        # for every staff member: cached with the community's data (core/cache.py). A reader
        # who reported one of the listed issues sees "your report" and their own private
        # photos, so gets a list of their own.
        def shared() -> tuple[frozenset[int], Markup]:
            return cached_section(
                comm, "issue-list", lambda: _issue_listing(comm, status, staff), status, staff
            )

        reporters, listing = shared()
        if current_user.id in reporters:
            listing = _issue_listing(comm, status, staff, current_user.id)[1]
        else:  # and so is the page around it (core/pagecache.py), kept no longer than the list
            return cached_page(
                comm,
                "build.index",
                lambda: render_template("build/index.html", status=status, listing=shared()[1]),
            )
    return render_template("build/index.html", status=status, listing=listing)


def _issue_listing(
    comm: Community, status: str, staff: bool, viewer_id: int | None = None
) -> tuple[frozenset[int], Markup]:
    """The rendered list of one filter and the reporters in it, as `viewer_id` sees it (None:
    a reader who reported none of them). Kept no later than the next deadline a row shows."""
    issues = services.issue_list(
        comm,
        status="all" if status == "mine" else status,
        mine_of=viewer_id if status == "mine" else None,
    )
    visible = {i.id: (staff or not i.photos_private or i.reporter_id == viewer_id) for i in issues}
    now = utcnow()
    upcoming = [
        d
        for i in issues
        if i.status in workflow.OPEN
        for d in (aware(i.ack_due), aware(i.resolve_due))
        if d and d > now
    ]
    valid_until(min(upcoming, default=None))  # a row turns "overdue" then
    html = render_template(
        "build/_issue_list.html",
        issues=issues,
        status=status,
        viewer_id=viewer_id,
        reporters=_reporters(issues),
        thumbs=services.first_photos([i.id for i in issues], visible),
    )
    return frozenset(i.reporter_id for i in issues), Markup(html)


def _reporters(issues: list[Issue]) -> dict[int, str]:
    """Reporter names of a list in one query (masked in the template)."""
    from ..core.models import User

    ids = {i.reporter_id for i in issues}
    if not ids:
        return {}
    return dict(db.session.execute(select(User.id, User.name).where(User.id.in_(ids))).all())


@bp.route("/issues/new", methods=["GET", "POST"])
def new(code: str):
    comm = load_community(code)
    permissions.require(current_user, "issue.report", comm)
    places = _places(comm)
    category = request.values.get("category", "")
    place = request.values.get("place", "")
    chosen = category in rules.CATEGORIES
    if not chosen and "place" not in request.values:
        place = _home_place(comm)  # most problems are met at home: offer that first
    form = ReportForm()
    if request.method == "GET":
        form.category.data, form.place.data = category, place
    if request.method == "POST" and form.validate_on_submit():
        bid, eid = _parse_place(form.place.data)
        if form.place.data and bid is None:
            bid = -1  # refused by the service with a message
        issue = None
        try:
            issue = services.report(
                current_user,
                comm,
                category=form.category.data or "",
                urgency=form.urgency.data or "",
                description=form.description.data or "",
                building_id=bid,
                entrance_id=eid,
                floor=form.floor.data or "",
                spot=form.spot.data or "",
                photos=request.files.getlist("photos"),
                private=form.private.data,
                latitude=form.latitude.data,
                longitude=form.longitude.data,
            )
            db.session.commit()
        except DomainError as err:
            names = services.stored_names(issue) if issue is not None else []
            db.session.rollback()
            delete_stored(names)
            show_domain_error(form, err, "description")
        except Exception:
            names = services.stored_names(issue) if issue is not None else []
            db.session.rollback()
            delete_stored(names)
            raise
        else:
            flash(
                _(
                    "Thank you. Your report #%(id)s was sent; you will hear of every step in your inbox.",
                    id=issue.id,
                ),
                "success",
            )
            return redirect(url_for("build.issue", code=code, issue_id=issue.id))
        chosen = True
        category, place = form.category.data or "", form.place.data or ""
    bid, eid = _parse_place(place)
    similar = services.similar_open(comm, category, bid, eid) if chosen else []
    status = 400 if request.method == "POST" else 200
    return render_template(
        "build/report.html",
        form=form,
        places=places,
        category=category,
        place=place,
        place_label=dict(places).get(place, _("Elsewhere in the community")),
        chosen=chosen,
        similar=similar,
        categories=CATEGORY_CHOICES,
        mine_too=services.has_me_too(current_user, [i.id for i in similar]),
        confirm=ConfirmForm(),
        max_photos=services.MAX_PHOTOS,
    ), status


@bp.get("/issues/<int:issue_id>")
def issue(code: str, issue_id: int):
    comm = load_community(code)
    permissions.require(current_user, "issue.view", comm)
    item = _issue(comm, issue_id)
    return _detail(comm, item)


def _detail(comm: Community, item: Issue, forms: dict | None = None, status: int = 200):
    forms = forms or {}
    my_parties = build_permissions.party_of(current_user, comm)
    may_handle = item.party in my_parties
    show_private = permissions.can(current_user, "issue.private_photos", comm, item)
    staff = _may_see_private(comm)
    reporter = item.reporter
    reopen_form = forms.get("reopen") or ReasonForm()
    reject_form = forms.get("reject") or ReasonForm()
    for form, name in ((reopen_form, "reopen-reason"), (reject_form, "reject-reason")):
        form.reason.id = form.reason.label.field_id = name
    return render_template(
        "build/issue.html",
        issue=item,
        reporter=reporter,
        staff=staff,
        show_photos=show_private,
        photos=[p for p in item.photos if p.kind == "report"],
        after=[p for p in item.photos if p.kind == "after"],
        events=[e for e in item.events if e.kind != "me_too"],
        is_reporter=item.reporter_id == current_user.id,
        may_handle=may_handle,
        may_manage=permissions.can(current_user, "issue.manage", comm, item),
        may_me_too=permissions.can(current_user, "issue.me_too", comm, item)
        and item.status in workflow.OPEN,
        has_me_too=bool(services.has_me_too(current_user, [item.id])),
        actions=workflow.actions_from(item.status),
        resolve_form=forms.get("resolve") or ResolveForm(),
        reopen_form=reopen_form,
        reject_form=reject_form,
        reassign_form=forms.get("reassign") or ReassignForm(),
        merge_form=forms.get("merge") or MergeForm(),
        confirm=ConfirmForm(),
        due=due_info(item),
    ), status


_FORMS = {
    "resolve": ResolveForm,
    "reopen": ReasonForm,
    "reject": ReasonForm,
    "reassign": ReassignForm,
    "merge": MergeForm,
}


def _done_message(action: str) -> str:
    return {
        "acknowledge": _("Acknowledged. The resident was told."),
        "start": _("Marked as being fixed. The resident was told."),
        "resolve": _("Marked as fixed. The resident was asked to confirm."),
        "confirm": _("Thank you for confirming. The report is closed."),
        "reopen": _("The report is open again. The staff were told."),
        "reassign": _("The report was passed on."),
        "reject": _("The report was rejected. The resident was told why."),
        "merge": _("The report was merged."),
    }.get(action, "")


@bp.post("/issues/<int:issue_id>/act")
def act(code: str, issue_id: int):
    comm = load_community(code)
    permissions.require(current_user, "issue.view", comm)
    item = _issue(comm, issue_id)
    action = request.form.get("action", "")
    if action not in workflow.ACTIONS or action == "auto_close":
        abort(400)
    form = _FORMS.get(action, ConfirmForm)()
    if not form.validate_on_submit():
        abort(400)
    needed = {
        "acknowledge": "issue.handle",
        "start": "issue.handle",
        "resolve": "issue.handle",
        "confirm": "issue.reporter",
        "reopen": "issue.reporter",
        "reassign": "issue.manage",
        "reject": "issue.manage",
        "merge": "issue.manage",
    }[action]
    permissions.require(current_user, needed, comm, item)
    fields = {k: request.form.get(k, "") for k in ("note", "reason", "party", "into")}
    photo = request.files.get("photo")
    fields["photo"] = photo if photo is not None and photo.filename else None
    before = set(services.stored_names(item))
    from_queue = request.form.get("from") == "queue"
    try:
        services.apply(current_user, item, action, **fields)
        db.session.commit()
    except DomainError as err:
        added = [n for n in services.stored_names(item) if n not in before]
        db.session.rollback()
        delete_stored(added)
        if from_queue and is_htmx():
            return _queue_row(comm, item, error=err.message)
        if action in _FORMS and err.field is not None:
            show_domain_error(
                form,
                err,
                next(iter(k for k in ("note", "reason", "party", "into") if hasattr(form, k))),
            )
            return _detail(comm, _issue(comm, issue_id), {action: form}, 400)
        flash(err.message, "error")
        return redirect(url_for("build.issue", code=code, issue_id=issue_id))
    if from_queue and is_htmx():
        return _queue_row(comm, _issue(comm, issue_id), done=_done_message(action))
    flash(_done_message(action), "success")
    if from_queue:
        return redirect(url_for("build.queue", code=code, **_queue_args()))
    return redirect(url_for("build.issue", code=code, issue_id=issue_id))


@bp.post("/issues/<int:issue_id>/me-too")
def me_too(code: str, issue_id: int):
    comm = load_community(code)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    item = _issue(comm, issue_id)
    permissions.require(current_user, "issue.me_too", comm, item)
    try:
        added = services.me_too(current_user, item)
        db.session.commit()
    except DomainError as err:
        db.session.rollback()
        flash(err.message, "error")
    else:
        flash(
            _("Thank you: your voice was added. You will hear when it is fixed.")
            if added
            else _("You had already said this affects you too."),
            "success",
        )
    return redirect(url_for("build.issue", code=code, issue_id=issue_id))


@bp.get("/issues/<int:issue_id>/photos/<int:photo_id>")
@bp.get("/issues/<int:issue_id>/photos/<int:photo_id>/<any(thumb, small):size>")
def photo(code: str, issue_id: int, photo_id: int, size: str = "full"):
    comm = load_community(code)
    permissions.require(current_user, "issue.view", comm)
    item = db.session.get(Issue, issue_id)
    photo_ = db.session.get(IssuePhoto, photo_id)
    if item is None or item.community_id != comm.id or photo_ is None or photo_.issue_id != item.id:
        abort(404)
    if photo_.kind == "report" and not permissions.can(
        current_user, "issue.private_photos", comm, item
    ):
        abort(403)
    return send_upload(photo_.name, photo_.thumb, size)


# ---------------------------------------------------------------------------------------------
# The staff queue


QUEUE_FILTERS = (
    "open",
    "overdue",
    "submitted",
    "acknowledged",
    "in_progress",
    "reopened",
    "resolved",
    "done",
    "all",
)


def _queue_args() -> dict:
    src = request.values
    return {k: src.get(k) for k in ("status", "building", "party") if src.get(k)}


def _queue_row(comm: Community, item: Issue, *, done: str = "", error: str = ""):
    my_parties = build_permissions.party_of(current_user, comm)
    return render_template(
        "build/_queue_row.html",
        issue=item,
        my_parties=my_parties,
        confirm=ConfirmForm(),
        done=done,
        error=error,
        community=comm,
    )


@bp.get("/issues/queue")
def queue(code: str):
    comm = load_community(code)
    permissions.require(current_user, "issue.queue", comm)
    my_parties = build_permissions.party_of(current_user, comm)
    committee = permissions.COMMITTEE in permissions.roles_for(current_user, comm.id)
    status = request.args.get("status", "open")
    status = status if status in QUEUE_FILTERS else "open"
    building_id = parse_id(request.args.get("building"))
    default_party = "" if committee else next(iter(sorted(my_parties)), "")
    party = request.args.get("party", default_party)
    party = party if party in rules.PARTIES else ""
    issues = services.issue_list(
        comm, status=status, building_id=building_id, party=party or None, order="deadline"
    )
    buildings = db.session.execute(
        select(Building.id, Building.name)
        .where(Building.community_id == comm.id)
        .order_by(Building.sort_key, Building.name)
    ).all()
    return render_template(
        "build/queue.html",
        issues=issues,
        status=status,
        building_id=building_id,
        party=party,
        buildings=buildings,
        my_parties=my_parties,
        filters=QUEUE_FILTERS,
        confirm=ConfirmForm(),
        overdue_total=public.overdue_counts().get(comm.id, 0),
    )


# ---------------------------------------------------------------------------------------------
# Routing (the committee)


@bp.route("/issues/routing", methods=["GET", "POST"])
def routing(code: str):
    comm = load_community(code)
    permissions.require(current_user, "issue.manage", comm)
    if request.method == "POST":
        if not ConfirmForm().validate_on_submit():
            abort(400)
        try:
            if request.form.get("what") == "staff":
                services.set_staff_party(
                    current_user,
                    comm,
                    parse_id(request.form.get("user_id")) or 0,
                    request.form.get("party", ""),
                )
            else:
                category = request.form.get("category", "")
                services.set_route(
                    current_user,
                    comm,
                    category,
                    request.form.get("party", ""),
                    request.form.get("ack_normal"),
                    request.form.get("resolve_normal"),
                    request.form.get("ack_emergency"),
                    request.form.get("resolve_emergency"),
                )
            db.session.commit()
        except DomainError as err:
            db.session.rollback()
            flash(err.message, "error")
        else:
            flash(_("Saved. New reports follow this setting."), "success")
        return redirect(url_for("build.routing", code=code))
    return render_template(
        "build/routing.html",
        routes=services.routes(comm),
        defaults=rules.DEFAULT_ROUTES,
        hours_for=rules.hours_for,
        staff=services.property_staff(comm),
        confirm=ConfirmForm(),
    )


# ---------------------------------------------------------------------------------------------
# Construction log and advance notices


@bp.get("/build/log")
def log_index(code: str):
    comm = load_community(code)
    permissions.require(current_user, "buildlog.view", comm)
    page = buildlog.entries(comm, request.args.get("page", 1, type=int))
    if page.page > 1 and not page.items:
        abort(404)  # past the last page
    return render_template(
        "build/log.html",
        entries=page.items,
        pagination=page,
        progress=buildlog.latest_progress(comm),
        upcoming=buildlog.upcoming_notices(comm),
    )


@bp.route("/build/log/new", methods=["GET", "POST"])
def log_new(code: str):
    comm = load_community(code)
    permissions.require(current_user, "buildlog.post", comm)
    items = buildlog.plan_items(comm.id)
    form = LogForm()
    form.plan_line.choices = [SelectChoice("", _("Not in the list"))] + [
        SelectChoice(str(i), n) for i, n in items
    ]
    if request.method == "GET":
        form.day.data = utcnow().astimezone(local_zone()).date()
    if request.method == "POST" and form.validate_on_submit():
        entry = None
        try:
            entry = buildlog.add_entry(
                current_user,
                comm,
                day=form.day.data,
                item=form.item.data or "",
                plan_line_id=form.plan_line.data,
                progress=form.progress.data,
                body=form.body.data or "",
                photos=request.files.getlist("photos"),
            )
            db.session.commit()
        except DomainError as err:
            names = buildlog.entry_names(entry) if entry is not None else []
            db.session.rollback()
            delete_stored(names)
            show_domain_error(form, err, "body")
        else:
            flash(_("The log entry was posted."), "success")
            return redirect(url_for("build.log_index", code=code))
    elif request.method == "POST" and form.day.errors:
        form.day.errors = [_("Enter the date of the work.")]
    return render_template(
        "build/log_form.html", form=form, has_plan=bool(items), max_photos=buildlog.MAX_LOG_PHOTOS
    ), (400 if request.method == "POST" else 200)


@bp.get("/build/log/photos/<int:photo_id>")
@bp.get("/build/log/photos/<int:photo_id>/<any(thumb, small):size>")
def log_photo(code: str, photo_id: int, size: str = "full"):
    comm = load_community(code)
    permissions.require(current_user, "buildlog.view", comm)
    photo_ = db.session.scalar(
        select(LogPhoto).where(LogPhoto.id == photo_id).options(selectinload(LogPhoto.entry))
    )
    if photo_ is None or photo_.entry.community_id != comm.id:
        abort(404)
    return send_upload(photo_.name, photo_.thumb, size)


@bp.route("/build/notices/new", methods=["GET", "POST"])
def notice_new(code: str):
    comm = load_community(code)
    permissions.require(current_user, "buildlog.post", comm)
    form = AdvanceNoticeForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            buildlog.post_advance_notice(
                current_user,
                comm,
                kind=form.kind.data or "",
                starts_at=parse_wall(form.starts_at.data),
                ends_at=parse_wall(form.ends_at.data),
                area=form.area.data or "",
                details=form.details.data or "",
                reason=form.reason.data or "",
            )
            db.session.commit()
        except DomainError as err:
            db.session.rollback()
            show_domain_error(form, err, "details")
        else:
            flash(_("The notice is on the notice board and in every resident's inbox."), "success")
            return redirect(url_for("build.log_index", code=code))
    return render_template("build/notice_form.html", form=form), (
        400 if request.method == "POST" else 200
    )


# ---------------------------------------------------------------------------------------------
# JSON


@api_bp.get("/issues/stats")
def stats(code: str):
    comm = db.session.scalar(select(Community).where(Community.code == code))
    if comm is None:
        return jsonify({"error": "no such community"}), 404
    return jsonify({"community": comm.code, **public.issue_stats(comm.id)})
