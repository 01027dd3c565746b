"""Topic pages: the list, a topic with its attachments and threaded discussion, the committee's
topic form and moderation. Every form works without JavaScript (post, then redirect); with
htmx, a comment or reply is appended in place from the same fragment the full page includes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import format_date, format_time
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..core import permissions
from ..core.context import load_community
from ..core.errors import DomainError
from ..core.forms import ConfirmForm, show_domain_error
from ..core.htmx import is_htmx, render_page
from ..core.models import Community
from ..core.timeutil import aware, utcnow
from ..core.uploads import UploadError, delete_stored, upload_path
from ..extensions import db, limiter
from . import permissions as _permissions  # noqa: F401  (registers the topic.* actions)
from . import services
from .forms import REASON_LABELS, CommentForm, HideForm, ReplyForm, ReportForm, TopicForm
from .models import AttachmentKind, Comment, CommentReport, Topic, TopicAttachment, TopicStatus

bp = Blueprint("consult", __name__, url_prefix="/c/<code>/topics")


def _user_key() -> str:
    return f"user:{current_user.get_id()}" if current_user.is_authenticated else request.remote_addr


# A burst guard per account in front of the service's own limit (counted in SQL).
_comment_limit = limiter.limit("30 per minute", methods=["POST"], key_func=_user_key)


def _topic(comm: Community, topic_id: int) -> Topic:
    topic = db.session.get(Topic, topic_id)
    if topic is None or topic.community_id != comm.id:
        abort(404)
    return topic


def _comment(topic: Topic, comment_id: int) -> Comment:
    comment = db.session.get(Comment, comment_id)
    if comment is None or comment.topic_id != topic.id:
        abort(404)
    return comment


def _load(code: str, topic_id: int, action: str = "topic.read") -> tuple[Community, Topic]:
    comm = load_community(code)
    topic = _topic(comm, topic_id)
    permissions.require(current_user, action, comm, topic)
    return comm, topic


def _when(value: datetime) -> str:
    value = aware(value)
    return f"{format_date(value, 'long')} {format_time(value, 'HH:mm')}"


@dataclass(frozen=True)
class Period:
    """The notice period in words: when posted, and from when a vote may open."""

    posted: str
    ends: str
    running: bool


def _period(topic: Topic) -> Period | None:
    if topic.posted_at is None:
        return None
    ends = topic.notice_ends_at
    return Period(_when(topic.posted_at), _when(ends), utcnow() < ends)


def _votes(comm: Community, topic: Topic) -> list:
    """Votes on the topic that the user may see (drafts: the committee and the city)."""
    from ..voting.services import votes_of_topic

    return [v for v in votes_of_topic(topic) if permissions.can(current_user, "vote.view", comm, v)]


# ---------------------------------------------------------------------------------------------
# Topics


@bp.get("")
def index(code: str):
    comm = load_community(code)
    permissions.require(current_user, "topic.read", comm)
    query = select(Topic).where(Topic.community_id == comm.id)
    if not permissions.can(current_user, "topic.create", comm):
        query = query.where(Topic.status != TopicStatus.DRAFT)
    items = db.paginate(
        query.order_by(Topic.posted_at.is_(None).desc(), Topic.posted_at.desc(), Topic.id.desc()),
        page=max(request.args.get("page", 1, type=int), 1),
        per_page=20,
        error_out=False,
    )
    counts = services.comment_counts([t.id for t in items.items])
    return render_page(
        "consult/index.html", "consult/_topic_items.html", items=items, counts=counts
    )


def _detail(comm: Community, topic: Topic, form: CommentForm | None = None) -> str:
    threads = services.discussion(topic)
    authors = {c.user_id for t in threads for c in (t.comment, *t.replies)}
    reported: set[int] = set()
    if current_user.is_authenticated and threads:
        reported = set(
            db.session.scalars(
                select(CommentReport.comment_id)
                .join(Comment, Comment.id == CommentReport.comment_id)
                .where(Comment.topic_id == topic.id, CommentReport.user_id == current_user.id)
            )
        )
    return render_template(
        "consult/topic.html",
        topic=topic,
        period=_period(topic),
        attachments=services.attachments_of(topic),
        threads=threads,
        staff=services.staff_roles(comm.id, authors),
        reported=reported,
        votes=_votes(comm, topic),
        form=form or CommentForm(),
        confirm=ConfirmForm(),
        moderator=permissions.can(current_user, "topic.moderate", comm),
        reasons=REASON_LABELS,
    )


@bp.get("/<int:topic_id>")
def detail(code: str, topic_id: int):
    comm, topic = _load(code, topic_id)
    return _detail(comm, topic)


def _topic_form(comm: Community, topic: Topic | None):
    form = TopicForm(obj=topic)
    if request.method == "GET" and topic is None:
        form.notice_days.data = services.config("TOPIC_NOTICE_DAYS")
    if form.validate_on_submit():
        added: list[TopicAttachment] = []
        try:
            if topic is None:
                topic = services.create_topic(
                    current_user,
                    comm,
                    form.title.data,
                    form.body.data,
                    notice_days=form.notice_days.data,
                )
            else:
                services.update_topic(
                    current_user,
                    topic,
                    form.title.data,
                    form.body.data,
                    notice_days=form.notice_days.data,
                )
            added = services.add_attachments(
                current_user, topic, request.files.getlist(form.attachments.name)
            )
            db.session.commit()
        except DomainError as err:
            db.session.rollback()
            delete_stored(services.stored_names(added))
            show_domain_error(form, err, "attachments" if isinstance(err, UploadError) else "title")
        except Exception:
            db.session.rollback()
            delete_stored(services.stored_names(added))
            raise
        else:
            flash(_("The draft is saved. Check it, then post it."), "success")
            return redirect(url_for("consult.detail", code=comm.code, topic_id=topic.id))
    attachments = services.attachments_of(topic) if topic is not None else []
    return render_template(
        "consult/form.html",
        form=form,
        topic=topic,
        attachments=attachments,
        confirm=ConfirmForm(),
        limits=(services.config("TOPIC_NOTICE_DAYS_MIN"), services.config("TOPIC_NOTICE_DAYS_MAX")),
        max_images=services.MAX_IMAGES,
        max_pdfs=services.MAX_PDFS,
    ), 400 if form.errors else 200


@bp.route("/new", methods=["GET", "POST"])
def new(code: str):
    comm = load_community(code)
    permissions.require(current_user, "topic.create", comm)
    return _topic_form(comm, None)


@bp.route("/<int:topic_id>/edit", methods=["GET", "POST"])
def edit(code: str, topic_id: int):
    comm, topic = _load(code, topic_id, "topic.edit")
    return _topic_form(comm, topic)


@bp.post("/<int:topic_id>/attachments/<int:attachment_id>/delete")
def detach(code: str, topic_id: int, attachment_id: int):
    comm, topic = _load(code, topic_id, "topic.edit")
    item = db.session.get(TopicAttachment, attachment_id)
    if item is None or item.topic_id != topic.id:
        abort(404)
    names = services.remove_attachment(current_user, item)
    db.session.commit()
    delete_stored(names)
    flash(_("The attachment is removed."), "success")
    return redirect(url_for("consult.edit", code=comm.code, topic_id=topic.id))


def _state_change(code: str, topic_id: int, action: str, change, done: str):
    comm, topic = _load(code, topic_id, action)
    try:
        change(current_user, topic)
        db.session.commit()
        flash(done, "success")
    except DomainError as err:
        db.session.rollback()
        flash(err.message, "error")
    return redirect(url_for("consult.detail", code=comm.code, topic_id=topic_id))


@bp.post("/<int:topic_id>/post")
def post(code: str, topic_id: int):
    return _state_change(
        code,
        topic_id,
        "topic.post",
        services.post_topic,
        _("The topic is posted on the notice board and every resident was told in their inbox."),
    )


@bp.post("/<int:topic_id>/close")
def close(code: str, topic_id: int):
    return _state_change(
        code, topic_id, "topic.close", services.close_topic, _("The discussion is closed.")
    )


@bp.get("/<int:topic_id>/files/<int:attachment_id>")
@bp.get("/<int:topic_id>/files/<int:attachment_id>/thumb", defaults={"thumb": True})
def attachment(code: str, topic_id: int, attachment_id: int, thumb: bool = False):
    _comm, topic = _load(code, topic_id)
    item = db.session.get(TopicAttachment, attachment_id)
    if item is None or item.topic_id != topic.id:
        abort(404)
    name = item.thumb if thumb and item.thumb else item.name
    try:
        path = upload_path(name)
    except UploadError:
        abort(404)
    if not path.is_file():
        abort(404)
    is_pdf = item.kind == AttachmentKind.PDF
    response = send_file(
        path,
        mimetype="application/pdf" if is_pdf else None,
        download_name=item.filename if is_pdf else path.name,
        as_attachment=False,
        conditional=True,
        max_age=0,
    )
    # Files never change (random names) but are only for members: private caches only.
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response


# ---------------------------------------------------------------------------------------------
# Discussion


def _posted(topic: Topic, comment: Comment, form: CommentForm, parent: Comment | None):
    """The htmx answer: the new comment (appended by the form's hx-target) and, out of band, a
    fresh form and a line for screen readers."""
    return render_template(
        "consult/_posted.html",
        topic=topic,
        comment=comment,
        parent=parent,
        form=form,
        staff=services.staff_roles(topic.community_id, [comment.user_id]),
        reported=set(),
        confirm=ConfirmForm(),
        moderator=permissions.can(current_user, "topic.moderate", topic.community_id),
        reasons=REASON_LABELS,
    )


def _save_comment(comm: Community, topic: Topic, form: CommentForm, parent: Comment | None):
    if form.validate_on_submit():
        try:
            comment = services.add_comment(current_user, topic, form.body.data, parent)
            db.session.commit()
        except DomainError as err:
            db.session.rollback()
            show_domain_error(form, err, "body")
        else:
            if is_htmx():
                fresh = type(form)(prefix=form._prefix.rstrip("-"), formdata=None)
                return _posted(topic, comment, fresh, parent)
            flash(_("Your comment is posted."), "success")
            return redirect(
                url_for(
                    "consult.detail", code=comm.code, topic_id=topic.id, _anchor=f"c{comment.id}"
                )
            )
    if is_htmx():
        # 200, so htmx swaps: only the form (with its error) comes back, out of band.
        return render_template("consult/_form_error.html", topic=topic, parent=parent, form=form)
    if parent is not None:
        return render_template("consult/reply.html", topic=topic, parent=parent, form=form), 400
    return _detail(comm, topic, form), 400


@bp.post("/<int:topic_id>/comments")
@_comment_limit
def comment(code: str, topic_id: int):
    comm, topic = _load(code, topic_id, "comment.add")
    return _save_comment(comm, topic, CommentForm(), None)


@bp.route("/<int:topic_id>/comments/<int:comment_id>/reply", methods=["GET", "POST"])
@_comment_limit
def reply(code: str, topic_id: int, comment_id: int):
    comm, topic = _load(code, topic_id, "comment.add")
    parent = _comment(topic, comment_id)
    if parent.parent_id is not None:  # one level: answer the thread
        parent = _comment(topic, parent.parent_id)
    form = ReplyForm(prefix=f"r{parent.id}")
    if request.method == "POST":
        return _save_comment(comm, topic, form, parent)
    return render_page(
        "consult/reply.html", "consult/_reply_form.html", topic=topic, parent=parent, form=form
    )


@bp.route("/<int:topic_id>/comments/<int:comment_id>/report", methods=["GET", "POST"])
def report(code: str, topic_id: int, comment_id: int):
    comm, topic = _load(code, topic_id)
    item = _comment(topic, comment_id)
    permissions.require(current_user, "comment.report", comm, item)
    form = ReportForm()
    if form.validate_on_submit():
        try:
            services.report_comment(current_user, item, form.reason.data)
            db.session.commit()
        except DomainError as err:
            db.session.rollback()
            if err.field:
                show_domain_error(form, err, "reason")
            else:
                flash(err.message, "error")
                return redirect(_back(comm, topic, item))
        else:
            flash(_("Thank you. The committee will look at this comment."), "success")
            return redirect(_back(comm, topic, item))
    return render_template(
        "consult/report.html", topic=topic, item=item, form=form
    ), 400 if form.errors else 200


def _back(comm: Community, topic: Topic, item: Comment) -> str:
    return url_for("consult.detail", code=comm.code, topic_id=topic.id, _anchor=f"c{item.id}")


@bp.route("/<int:topic_id>/comments/<int:comment_id>/hide", methods=["GET", "POST"])
def hide(code: str, topic_id: int, comment_id: int):
    comm, topic = _load(code, topic_id, "topic.moderate")
    item = _comment(topic, comment_id)
    form = HideForm()
    if form.validate_on_submit():
        try:
            services.hide_comment(current_user, item, form.reason_code.data, form.text.data)
            db.session.commit()
        except DomainError as err:
            db.session.rollback()
            if err.field:
                show_domain_error(form, err, "reason_code")
            else:
                flash(err.message, "error")
                return redirect(_back(comm, topic, item))
        else:
            flash(_("The comment is hidden. Everybody sees the reason in its place."), "success")
            return redirect(_back(comm, topic, item))
    return render_template(
        "consult/hide.html", topic=topic, item=item, form=form, reasons=REASON_LABELS
    ), 400 if form.errors else 200


@bp.post("/<int:topic_id>/comments/<int:comment_id>/restore")
def restore(code: str, topic_id: int, comment_id: int):
    comm, topic = _load(code, topic_id, "topic.moderate")
    item = _comment(topic, comment_id)
    try:
        services.restore_comment(current_user, item)
        db.session.commit()
        flash(_("The comment is shown again."), "success")
    except DomainError as err:
        db.session.rollback()
        flash(err.message, "error")
    return redirect(_back(comm, topic, item))
