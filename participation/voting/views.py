"""Vote pages for everybody: the list, a vote with its ballot (two taps: choose, then confirm),
the results with the published receipts, and the printable result notice (公示). The
committee's pages (drafts, opening, closing, paper ballots, proxies) are in views_committee.py,
on the same blueprint.

Every form works without JavaScript (post, then redirect back). With htmx the ballot is cast in
place: a choice swaps the confirmation step into the ballot's card, and the confirmation swaps
in the receipt, from the same fragments the full page includes. Views stay thin: the rules
(window, scope, who may vote, the tally) are services.py's; a refusal is a message, never a 500.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import bindparam, select
from sqlalchemy.orm import joinedload

from ..core import permissions
from ..core.context import adopt_reader, load_community
from ..core.context import with_reader as reader_query
from ..core.errors import DomainError
from ..core.forms import ConfirmForm
from ..core.htmx import is_htmx
from ..core.models import Community
from ..core.pagecache import cached_page
from ..core.permissions import OWNER, RESIDENT, roles_for
from ..core.qr import qr_svg
from ..core.timeutil import aware, utcnow
from ..core.web import format_datetime, page_account, session_account
from ..extensions import db
from . import services
from .forms import (
    CHOICE_LABELS,
    CHOICE_SYMBOLS,
    RULE_HINTS,
    RULE_LABELS,
    CastForm,
    ChoiceForm,
    ReceiptForm,
)
from .models import Ballot, Vote, VoteStatus

bp = Blueprint("voting", __name__, url_prefix="/c/<code>/votes")

RECEIPTS_PER_PAGE = 100


@bp.context_processor
def _labels() -> dict:
    return {
        "CHOICE_LABELS": CHOICE_LABELS,
        "CHOICE_SYMBOLS": CHOICE_SYMBOLS,
        "RULE_LABELS": RULE_LABELS,
        "RULE_HINTS": RULE_HINTS,
        "CHOICES": services.CHOICES,
    }


# ---------------------------------------------------------------------------------------------
# Loading


_LOAD: dict[bool, Any] = {}


def _load_statement(with_reader: bool):
    """The vote, its community and topic (and the reader: core/context.py reader_columns),
    built once: building it cost as much as running it."""
    if with_reader not in _LOAD:
        query = (
            select(Vote, Community)
            .join(Community, Community.id == Vote.community_id)
            .where(Community.code == bindparam("code"), Vote.id == bindparam("vote_id"))
            .options(joinedload(Vote.topic, innerjoin=True))  # outer: no FOR UPDATE on refresh
        )
        _LOAD[with_reader] = reader_query(query) if with_reader else query
    return _LOAD[with_reader]


def load(code: str, vote_id: int, action: str = "vote.view") -> tuple[Community, Vote]:
    """The community and the vote, after the lazy schedule (a vote past its closing time
    closes when viewed; a planned one opens) and the permission check."""
    # The vote and its community in one query (this runs on every ballot cast), with the
    # topic every vote page shows.
    account = page_account()  # on a full page, the reader in the same round trip
    params = {"code": code, "vote_id": vote_id, "uid": account.id if account else None}
    row = db.session.execute(_load_statement(with_reader=account is not None), params).first()
    if row is not None and account is not None:
        adopt_reader(account, *row[2:])
    if row is None:
        comm = load_community(code)  # 404 for an unknown community
        permissions.require(current_user, "vote.view", comm)  # anonymous: log in first
        abort(404)
    vote, comm = row[0], row[1]
    g.community = comm
    permissions.require(current_user, "vote.view", comm)  # members only; anonymous: log in
    if services.refresh_vote(vote):
        db.session.commit()
    permissions.require(current_user, "vote.view", comm, vote)
    if action != "vote.view":
        permissions.require(current_user, action, comm, vote)
    return comm, vote


def vote_url(vote: Vote, **kwargs) -> str:
    return url_for("voting.detail", code=vote.community.code, vote_id=vote.id, **kwargs)


# ---------------------------------------------------------------------------------------------
# Time in words


def time_left(until: datetime, now: datetime | None = None) -> str:
    """ "3 days", "30 hours", "20 minutes": whole units, rounded down, so a resident is never
    told there is more time than there is."""
    seconds = int((aware(until) - (now or utcnow())).total_seconds())
    if seconds <= 0:
        return ""
    days, hours, minutes = seconds // 86400, seconds // 3600, seconds // 60
    if days >= 2:
        return ngettext("%(num)d day", "%(num)d days", days)
    if hours >= 1:
        return ngettext("%(num)d hour", "%(num)d hours", hours)
    return ngettext("%(num)d minute", "%(num)d minutes", max(minutes, 1))


@dataclass(frozen=True)
class Window:
    opens_at: datetime
    closes_at: datetime
    closed_at: datetime | None
    left: str  # open: time until closing; draft: until the planned opening


def window(vote: Vote) -> Window:
    if vote.status == VoteStatus.OPEN:
        left = time_left(vote.closes_at)
    elif vote.status == VoteStatus.DRAFT:
        left = time_left(vote.opens_at)
    else:
        left = ""
    return Window(
        aware(vote.opens_at),
        aware(vote.closes_at),
        aware(vote.closed_at) if vote.closed_at else None,
        left,
    )


# ---------------------------------------------------------------------------------------------
# The list


def _order(votes: list[Vote]) -> list[Vote]:
    """Open first (closing soonest first), then drafts, then closed (newest first)."""
    open_ = sorted((v for v in votes if v.status == VoteStatus.OPEN), key=lambda v: v.closes_at)
    drafts = [v for v in votes if v.status == VoteStatus.DRAFT]
    closed = sorted(
        (v for v in votes if v.status == VoteStatus.CLOSED),
        key=lambda v: (aware(v.closed_at or v.closes_at), v.id),
        reverse=True,
    )
    return [*open_, *drafts, *closed]


@bp.get("")
def index(code: str):
    comm = load_community(code)
    permissions.require(current_user, "vote.view", comm)
    # Drafts too: a planned one whose time has come opens when anybody looks (lazy schedule),
    # and a vote past its closing time closes; then each is shown only to who may see it.
    votes = services.votes_of(comm, include_drafts=True)
    now = utcnow()
    changed = False
    for vote in votes:
        changed = services.refresh_vote(vote, now) or changed
    if changed:
        db.session.commit()
    votes = [v for v in votes if permissions.can(current_user, "vote.view", comm, v)]
    return render_template(
        "voting/index.html",
        votes=_order(votes),
        windows={v.id: window(v) for v in votes},
    )


# ---------------------------------------------------------------------------------------------
# The vote page and its ballot


def why_not(comm: Community, vote: Vote) -> str | None:
    """Why a member of the community cannot cast a ballot in this open vote, in one sentence
    (None for staff, who do not vote here)."""
    roles = roles_for(current_user, comm.id)
    if OWNER in roles:
        return _("Your home is not in this vote's scope, so you are not in its electorate.")
    if RESIDENT in roles:
        return _(
            "Only owners vote. The owner of your home can name you as their proxy for this "
            "vote at the committee."
        )
    return None


def _refusal(comm: Community, vote: Vote) -> str:
    """Why casting is refused right now, before the service is asked."""
    if vote.status == VoteStatus.DRAFT:
        return _("This vote has not opened yet.")
    if vote.status == VoteStatus.CLOSED or utcnow() >= aware(vote.closes_at):
        return _("This vote has closed.")
    return why_not(comm, vote) or _(
        "You are not an owner in this community, so you cannot vote here."
    )


@dataclass(frozen=True)
class BallotView:
    """One ballot card: what the user may vote for, their ballot so far and its history."""

    b: services.MyBallot
    history: list  # BallotEvent, oldest first
    changes: int  # times the owner's own choice changed (online or by proxy)
    superseded: bool  # the committee entered a paper ballot in its place


def ballot_view(vote: Vote, b: services.MyBallot) -> BallotView:
    history = services.ballot_history(vote, b.owner_id) if b.choice else []
    changes = sum(
        1 for e in history if e.kind == "change" and e.choice != (e.previous_choice or e.choice)
    )
    superseded = any(e.kind == "supersede" for e in history)
    return BallotView(b, history, changes, superseded)


def _ballots(vote: Vote) -> list[services.MyBallot]:
    if not current_user.is_authenticated or vote.status == VoteStatus.DRAFT:
        return []
    return services.my_ballots(current_user, vote)


def _pick(ballots: list[services.MyBallot], owner_id: int | None) -> services.MyBallot | None:
    if owner_id is None:
        own = [b for b in ballots if b.via == "owner"] or ballots
        return own[0] if len(own) == 1 else None
    return next((b for b in ballots if b.owner_id == owner_id), None)


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


_SEALED_RESULTS: dict[tuple, Markup] = {}
_SEALED_RESULTS_MAX = 256


def sealed_results(vote: Vote, show_turnout: bool) -> Markup | None:
    """A closed vote's result section. Its ballots are sealed (final_hash) and never change,
    so it is rendered once per process and language: counting and formatting the figures is
    a third of the vote page's time."""
    if vote.status != VoteStatus.CLOSED or not show_turnout:
        return None
    key = (vote.id, vote.community_id, vote.final_hash, vote.closed_at, str(get_locale()))
    html = _SEALED_RESULTS.get(key) if vote.final_hash else None
    if html is None:
        html = Markup(
            render_template("voting/_results.html", vote=vote, tally=services.tally(vote))
        )
        if vote.final_hash:
            if len(_SEALED_RESULTS) >= _SEALED_RESULTS_MAX:
                _SEALED_RESULTS.clear()
            _SEALED_RESULTS[key] = html
    return html


def detail_context(comm: Community, vote: Vote) -> dict:
    """The vote page but for the reader's own ballots (`ballots_context`): the same for
    everyone with the same roles here."""
    show_turnout = permissions.can(current_user, "vote.turnout", comm, vote)
    results = sealed_results(vote, show_turnout)
    committee = permissions.can(current_user, "vote.create", comm)
    open_check = None
    if committee and vote.status == VoteStatus.DRAFT:
        open_check = opening_check(vote)
    return {
        "vote": vote,
        "window": window(vote),
        "scope": services.scope_label(vote),
        "rule_text": services.describe_rule(vote),
        # An open vote's running turnout (a closed vote's result is `results`, rendered apart).
        "tally": services.tally(vote) if show_turnout and results is None else None,
        "results": results,
        "committee": committee,
        "open_check": open_check,
        "confirm": ConfirmForm(),
    }


def ballots_context(comm: Community, vote: Vote, ballots: list[services.MyBallot]) -> dict:
    """The reader's own part of the vote page: their ballots, or why they have none."""
    views = [ballot_view(vote, b) for b in ballots]
    return {
        "vote": vote,
        "ballots": views,
        "can_cast": permissions.can(current_user, "vote.cast", comm, vote),
        "why_not": why_not(comm, vote) if vote.status == VoteStatus.OPEN and not views else None,
        "choice_form": ChoiceForm(),
    }


@dataclass(frozen=True)
class OpeningCheck:
    """For a draft: may the committee open it now, and if not, from when."""

    allowed: bool
    reason: str
    period_days: int


def opening_check(vote: Vote) -> OpeningCheck:
    """The service's own refusal, asked before the button is shown (nothing is written)."""
    now = utcnow()
    days = services.period_days(now, vote.closes_at)
    refusal = services.opening_refusal(vote, now)
    if refusal is None:
        return OpeningCheck(True, "", days)
    reason = refusal.message
    if refusal.field == "closes_at":
        reason = " ".join(
            (
                reason,
                ngettext(
                    "Opened now, it would run %(num)d day: change the closing time first.",
                    "Opened now, it would run %(num)d days: change the closing time first.",
                    days,
                ),
            )
        )
    return OpeningCheck(False, reason, days)


def format_when(value: datetime) -> str:
    return format_datetime(aware(value))


@bp.get("/<int:vote_id>")
def detail(code: str, vote_id: int):
    comm, vote = load(code, vote_id)
    my_ballots = cache(lambda: _ballots(vote))  # for both holes, loaded once

    def notice() -> Markup:
        text = cast_notice(my_ballots(), _int(request.args.get("cast")))
        if text is None:
            return Markup("")
        return Markup(
            '<div class="flashes" role="status"><p class="flash flash-success">{}</p></div>'
        ).format(text)

    # A closed vote's page is the same for everyone with the same roles but for the reader's
    # own ballots (core/pagecache.py); an open one shows a running turnout, never kept.
    return cached_page(
        comm,
        "voting.detail",
        lambda: render_template("voting/detail.html", **detail_context(comm, vote)),
        holes={
            "cast_notice": notice,
            "ballots": lambda: render_template(
                "voting/_my_ballots.html", **ballots_context(comm, vote, my_ballots())
            ),
        },
        keep=vote.status == VoteStatus.CLOSED,
    )


def _ballot_fragment(vote: Vote, b: services.MyBallot, **extra) -> str:
    return render_template(
        "voting/_ballot.html",
        vote=vote,
        bv=ballot_view(vote, b),
        can_cast=permissions.can(current_user, "vote.cast", vote.community, vote),
        choice_form=ChoiceForm(),
        **extra,
    )


def _refuse(comm: Community, vote: Vote, message: str, owner_id: int | None):
    """A refused choice or cast: with htmx, the ballot card again with the message in it;
    without, back to the vote page with the message on top."""
    if is_htmx():
        b = _pick(_ballots(vote), owner_id)
        if b is not None:
            return _ballot_fragment(vote, b, error=message)
        return render_template(
            "voting/_refused.html", vote=vote, owner_id=owner_id, message=message
        )
    flash(message, "error")
    return redirect(vote_url(vote, _anchor=f"b{owner_id}" if owner_id else "ballot"))


@bp.post("/<int:vote_id>/confirm")
def confirm(code: str, vote_id: int):
    """Step one of two: the chosen answer, and what the ballot carries, to confirm."""
    comm, vote = load(code, vote_id)
    form = ChoiceForm()
    if not form.validate_on_submit():
        abort(400)
    owner_id = _int(form.owner.data)
    choice = form.choice.data or ""
    if choice not in services.CHOICES:
        return _refuse(comm, vote, _("Please choose agree, disagree or abstain."), owner_id)
    if not permissions.can(current_user, "vote.cast", comm, vote):
        return _refuse(comm, vote, _refusal(comm, vote), owner_id)
    b = _pick(_ballots(vote), owner_id)
    if b is None:
        return _refuse(comm, vote, _("You may not vote for this owner."), owner_id)
    context = {
        "vote": vote,
        "b": b,
        "choice": choice,
        "form": CastForm(formdata=None, choice=choice, owner=b.owner_id),
        "window": window(vote),
    }
    if is_htmx():
        return render_template("voting/_confirm.html", **context)
    return render_template("voting/confirm.html", **context)


def _cast_at_once(code: str, vote_id: int) -> services.CastResult | None:
    """The busiest write of the app in as few round trips as it can: an owner casting their
    own ballot is one statement (services.cast_own_ballot checks the community, the window,
    the electorate and the owner, as load() and cast_ballot would). Nothing was read in this
    request yet, so on PostgreSQL the connection is put in autocommit: the statement commits by
    itself, without BEGIN and COMMIT round trips. The account comes from the signed session and
    is checked by the statement (core.web.session_account), so the user is not loaded either.
    None when it cast nothing (any refusal, a proxy, a bad form, SQLite): the caller then takes
    the explained path, in a transaction of its own. benchmarks/vote_cast measures it;
    tests/voting/test_cast_statements.py pins its statements."""
    if db.engine.dialect.name != "postgresql":
        return None
    # The two fields straight from the form: CSRFProtect has checked the token before the view
    # (CastForm would check it again, and build WTForms fields for two hidden inputs).
    choice, owner = request.form.get("choice", ""), request.form.get("owner")
    if choice not in services.CHOICES or (owner not in (None, "") and _int(owner) is None):
        return None
    session = db.session()
    if not session.in_transaction():
        session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    # The account as the signed session names it: the cast statement checks it as the login
    # would, which spares the user's SELECT (else the user Flask-Login loads).
    account = session_account() or (current_user if current_user.is_authenticated else None)
    result = None
    if account is not None:
        result = services.cast_own_ballot(account, code, vote_id, choice, _int(owner))
    # Ends the autocommit connection's use (no round trip: nothing is pending), so what
    # follows runs in a transaction. Nothing was changed through the ORM: the logged-in user
    # stays loaded (expiring it would cost a SELECT if the page reads it again).
    expire, session.expire_on_commit = session.expire_on_commit, False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire
    return result


@bp.post("/<int:vote_id>/cast")
def cast(code: str, vote_id: int):
    """Step two: the ballot is cast (or changed); the receipt code comes back."""
    result = _cast_at_once(code, vote_id)
    if result is None:  # a proxy, or a refusal to explain: the full checks
        comm, vote = load(code, vote_id)
        form = CastForm()
        if not form.validate_on_submit():
            abort(400)
        owner_id = _int(form.owner.data)
        try:
            result = services.cast_ballot(
                current_user, vote, form.choice.data or "", owner_id=owner_id
            )
            db.session.commit()
        except DomainError as err:
            db.session.rollback()
            return _refuse(comm, vote, err.message, owner_id)
    if is_htmx():
        comm, vote = load(code, vote_id)
        b = _pick(_ballots(vote), result.owner_id)
        if b is not None:
            html = _ballot_fragment(vote, b, just_cast=result)
            if permissions.can(current_user, "vote.turnout", comm, vote):  # now one more
                html += render_template(
                    "voting/_turnout.html", vote=vote, tally=services.tally(vote), oob=True
                )
            return html
    # No flash message: writing it would re-sign and re-send the session cookie, about half a
    # millisecond on the busiest write of the app. The vote page says it from the ballot
    # itself (cast_notice), named by the owner in the address. From the route's values: the
    # vote was not loaded (or is expired after the commit), and reading it would cost more
    # round trips.
    response = redirect(
        url_for(
            "voting.detail",
            code=code,
            vote_id=vote_id,
            cast=result.owner_id,
            _anchor=f"b{result.owner_id}",
        )
    )
    response.headers["Cache-Control"] = "no-store"  # a logged-in answer, user loaded or not
    return response


def cast_notice(ballots: list[services.MyBallot], owner_id: int | None) -> str | None:
    """After a cast without JS (?cast=<owner>): the confirmation, from the ballot as stored."""
    b = _pick(ballots, owner_id) if owner_id is not None else None
    if b is None or b.choice is None:
        return None
    return _(
        "Your vote is recorded: %(choice)s. Keep your receipt code %(code)s.",
        choice=CHOICE_LABELS[b.choice],
        code=b.receipt,
    )


@bp.get("/<int:vote_id>/ballot/<int:owner_id>")
def ballot(code: str, vote_id: int, owner_id: int):
    """The ballot card on its own (htmx: "choose again" from the confirmation step)."""
    comm, vote = load(code, vote_id)
    if not is_htmx():
        return redirect(vote_url(vote, _anchor=f"b{owner_id}"))
    b = _pick(_ballots(vote), owner_id)
    if b is None:
        return render_template(
            "voting/_refused.html", vote=vote, owner_id=owner_id, message=_refusal(comm, vote)
        )
    return _ballot_fragment(vote, b)


# ---------------------------------------------------------------------------------------------
# After closing: receipts and the result notice


def _published(code: str, vote_id: int) -> tuple[Community, Vote] | None:
    comm, vote = load(code, vote_id)
    if not permissions.can(current_user, "vote.results", comm, vote):
        return None
    return comm, vote


@bp.get("/<int:vote_id>/receipts")
def receipts(code: str, vote_id: int):
    loaded = _published(code, vote_id)
    if loaded is None:
        flash(_("The receipts are published when the vote closes."), "error")
        return redirect(url_for("voting.detail", code=code, vote_id=vote_id))
    _comm, vote = loaded
    form = ReceiptForm(request.args)
    looked_up = (form.receipt.data or "").strip()
    found = services.find_receipt(vote, looked_up) if looked_up else None
    page = db.paginate(
        select(Ballot).where(Ballot.vote_id == vote.id).order_by(Ballot.receipt),
        page=max(request.args.get("page", 1, type=int), 1),
        per_page=RECEIPTS_PER_PAGE,
        error_out=False,
    )
    return render_template(
        "voting/receipts.html",
        vote=vote,
        form=form,
        looked_up=looked_up,
        found=found,
        page=page,
        # The server re-checks its own seal on the first page (the whole log, a few ms).
        sealed=services.check_seal(vote) if page.page == 1 else None,
        api_url=url_for("api.vote_receipts", vote_id=vote.id),
    )


def public_url(path: str) -> str:
    """An absolute address for printed QR codes: PUBLIC_BASE_URL when set (behind a proxy the
    request's host may be internal), else this request's host."""
    base = current_app.config.get("PUBLIC_BASE_URL", "").rstrip("/") or request.host_url.rstrip("/")
    return base + path


@bp.get("/<int:vote_id>/notice")
def notice(code: str, vote_id: int):
    """The result notice (公示): an A4 page to print and post in the lobby, with a QR code to
    the vote's page."""
    loaded = _published(code, vote_id)
    if loaded is None:
        flash(_("The result is posted when the vote closes."), "error")
        return redirect(url_for("voting.detail", code=code, vote_id=vote_id))
    _comm, vote = loaded
    data = services.result_notice(vote)
    url = public_url(data.link)
    return render_template("voting/notice.html", n=data, t=data.tally, url=url, qr=qr_svg(url))


# The committee's routes, on the same blueprint.
from . import views_committee as views_committee  # noqa: E402
from . import views_paper as views_paper  # noqa: E402
