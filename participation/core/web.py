"""Wiring shared by every page: extensions, language, elder mode, security headers, htmx,
error pages, template helpers and the blueprints."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, cached_property, partial, wraps
from pathlib import Path

import flask
import flask_babel
from flask import Flask, g, has_request_context, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from markupsafe import Markup
from sqlalchemy import bindparam, event, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from werkzeug.routing import IntegerConverter

from ..extensions import babel, compress, csrf, db, limiter, login_manager, migrate, parse_id
from . import assets, permissions
from .models import STEP_KEYS, User

LANG_COOKIE = "lang"
ELDER_COOKIE = "elder"
ONE_YEAR = 365 * 24 * 3600

STEP_NAMES = {
    "consult": _l("Consult together"),
    "plan": _l("Plan together"),
    "pledge": _l("Share responsibility"),
    "build": _l("Build together"),
    "share": _l("Share the results"),
}
STEP_NAMES_ZH = {
    "consult": "意愿共商",
    "plan": "方案共谋",
    "pledge": "责任共担",
    "build": "家园共建",
    "share": "成果共享",
}

ERROR_TEXT = {
    400: (
        _l("Bad request"),
        _l("Something in the request was not right. Please go back and try again."),
    ),
    403: (
        _l("Not allowed"),
        _l("Your account may not open this page. If you think it should, ask your committee."),
    ),
    404: (_l("Page not found"), _l("This page does not exist or was removed.")),
    405: (_l("Not allowed"), _l("This page cannot be used that way.")),
    413: (
        _l("File too large"),
        _l("The file you sent is too large. Please choose a smaller file."),
    ),
    429: (_l("Too many attempts"), _l("Please wait a minute before trying again.")),
    500: (
        _l("Something went wrong"),
        _l("We could not finish this. Nothing was saved. Please try again later."),
    ),
}


def select_locale() -> str:
    if not has_request_context():  # CLI commands and background jobs: the default language
        return "zh_Hans"
    lang = request.cookies.get(LANG_COOKIE)
    return lang if lang in ("zh_Hans", "en") else "zh_Hans"


def elder_mode() -> bool:
    return request.cookies.get(ELDER_COOKIE) == "1"


# Unambiguous dates for residents: 2026年11月26日 21:47 / 26 Nov 2026, 21:47 (Babel's "short"
# English form, 11/26/26, hides the year's place and the day/month order).
_DATE = {"zh_Hans": "y年M月d日", "en": "d MMM y"}
_TIME = {"zh_Hans": "HH:mm", "en": "HH:mm"}


def format_date(value, format: str | None = None) -> str:
    if format in (None, "short", "medium"):
        format = _DATE.get(str(get_locale()), _DATE["zh_Hans"])
    return flask_babel.format_date(value, format)


def format_datetime(value, format: str | None = None) -> str:
    if format in (None, "short", "medium"):
        locale = str(get_locale())
        sep = " " if locale == "zh_Hans" else ", "
        format = _DATE.get(locale, _DATE["zh_Hans"]) + sep + _TIME.get(locale, "HH:mm")
    return flask_babel.format_datetime(value, format)


_WROTE = "_wrote_in_transaction"


def wrote_in_transaction(session: Session) -> bool:
    """Whether the session's current transaction flushed or executed anything but a SELECT."""
    return bool(session.info.get(_WROTE))


@event.listens_for(Session, "after_flush")
def _flushed(session: Session, flush_context) -> None:  # noqa: ARG001
    session.info[_WROTE] = True


@event.listens_for(Session, "do_orm_execute")
def _executed(state) -> None:
    if not state.is_select:  # DML, and text() or anything else it cannot tell from a read
        state.session.info[_WROTE] = True


@event.listens_for(Session, "after_transaction_end")
def _transaction_ended(session: Session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(_WROTE, None)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record) -> None:  # noqa: ARG001
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=5000")
        cur.close()


_PAGE_USER_QUERY: list = []


def _page_user_query():
    """Built once, with a bind parameter: building it cost as much as running it."""
    if not _PAGE_USER_QUERY:
        from .context import reader_columns

        uid = bindparam("uid")
        _PAGE_USER_QUERY.append(select(*reader_columns(uid)).where(User.id == uid))
    return _PAGE_USER_QUERY[0]


@login_manager.user_loader
def _load_user(token: str) -> User | None:
    try:
        user_id, version = (int(part) for part in token.split(":"))
    except ValueError:
        return None
    if has_request_context() and request.method == "GET" and not _is_htmx():
        # A full page shows the inbox badge and checks the user's roles: the unread count and
        # the role rows come in the same round trip as the user.
        row = db.session.execute(_page_user_query(), {"uid": parse_id(user_id)}).first()
        user = row[0] if row else None
        if user is not None:
            from .context import keep_reader_extras

            keep_reader_extras(user, row[1], row[2])
    else:
        user = db.session.get(User, user_id)
    if user is None or user.session_version != version:
        return None
    return user


def _is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


@dataclass(frozen=True)
class SessionAccount:
    """The account a signed session names, not loaded from the database (see session_account)."""

    id: int
    session_version: int


def session_account() -> SessionAccount | None:
    """The logged-in account as the signed session names it, without the user's SELECT: for
    the hottest write (a ballot cast), whose one statement checks what _load_user and
    Flask-Login check (the account exists, its session_version matches the session's, it is
    active: Flask-Login counts an inactive user as logged out). None whenever Flask-Login would
    do more than read the session: a user already loaded in this request (use current_user), no
    user id in the session (remember cookie), a session from another client (session protection
    acts on it). The caller then uses current_user. Keep in step with _load_user."""
    if "_login_user" in g:
        return None
    token = session.get("_user_id")
    if not token or session.get("_id") != login_manager._session_identifier_generator():
        return None
    try:
        user_id, version = (int(part) for part in token.split(":"))
    except ValueError:
        return None
    return SessionAccount(user_id, version)


def page_account() -> SessionAccount | None:
    """session_account() on a full page view (a GET that is not an htmx request) whose account
    is not loaded yet: the case in which _load_user would load the unread count and the roles
    with it, and load_community can load all of them with the community instead."""
    if not has_request_context() or request.method != "GET" or _is_htmx():
        return None
    return session_account()


@cache
def _wtforms_catalog(locale: str):
    from babel import support
    from wtforms.i18n import messages_path

    return support.Translations.load(messages_path(), [locale], domain="wtforms")


class _WTFormsTranslations:
    """WTForms' own messages in the reader's language, each catalogue read once per process.
    Flask-WTF would read the .mo file from disk on every request that builds a form (every
    field's label goes through gettext): about a millisecond on each POST."""

    def ugettext(self, string: str) -> str:
        return _wtforms_catalog(str(get_locale())).ugettext(string)

    def ungettext(self, singular: str, plural: str, n: int) -> str:
        return _wtforms_catalog(str(get_locale())).ungettext(singular, plural, n)


_WTFORMS_TRANSLATIONS = _WTFormsTranslations()


@dataclass(frozen=True)
class _TemplateGettext:
    """gettext/ngettext for templates, bound to one language's catalogue. Flask-Babel's own
    look the catalogue up through the app context on every call (a page makes 25–120 of
    them: a fifth of its rendering time); a context variable of this name overrides them.
    Same behaviour as Jinja's "newstyle" gettext: the string is safe markup, then %-formatted
    with the (escaped) keyword arguments."""

    translations: object

    # Positional-only: Jinja passes the count of {% trans count=n %} as a keyword too.
    def gettext(self, string: str, /, **variables) -> Markup:
        # Always %-formatted, as Jinja does: "%%" in a catalogue is "%" on the page.
        return Markup(self.translations.ugettext(string)) % variables  # type: ignore[attr-defined]

    def ngettext(self, singular: str, plural: str, num: int, /, **variables) -> Markup:
        variables.setdefault("num", num)
        text = Markup(self.translations.ungettext(singular, plural, num))  # type: ignore[attr-defined]
        return text % variables


_TEMPLATE_GETTEXT: dict[str, _TemplateGettext] = {}
_STEP_NAMES_BY_LOCALE: dict[str, dict[str, str]] = {}


def _step_names(locale: str) -> dict[str, str]:
    # The five step names in the reader's language, translated once per process (a lazy
    # string would look its catalogue up again each time a page prints it).
    names = _STEP_NAMES_BY_LOCALE.get(locale)
    if names is None:
        names = _STEP_NAMES_BY_LOCALE[locale] = {k: str(v) for k, v in STEP_NAMES.items()}
    return names


def _template_gettext(locale: str) -> _TemplateGettext:
    # Catalogues are read once per process (as Flask-Babel caches them); keyed by language.
    found = _TEMPLATE_GETTEXT.get(locale)
    if found is None:
        found = _TEMPLATE_GETTEXT[locale] = _TemplateGettext(flask_babel.get_translations())
    return found


# A paragraph that is nothing but one of the app's own addresses (a plan vote's question ends
# with its plan's): a resident gets a link to tap, not a path to read.
_OWN_PAGE = re.compile(r"/c/[A-Za-z0-9]+/[A-Za-z0-9_\-/]*")


def paragraphs(text: str | None) -> Markup:
    """A text's lines as paragraphs (blank ones dropped), escaped."""
    out = []
    for para in (text or "").split("\n"):
        if not para.strip():
            continue
        if _OWN_PAGE.fullmatch(para.strip()):
            link = Markup('<p><a class="more" href="{}">{}</a></p>')
            out.append(link.format(para.strip(), flask_babel.gettext("See the page")))
        else:
            out.append(Markup("<p>{}</p>").format(para))
    return Markup("").join(out)


class Lazy:
    """A template value computed on first use (a database query most fragments never need)."""

    __slots__ = ("_fn", "_value", "_done")

    def __init__(self, fn) -> None:
        self._fn, self._done, self._value = fn, False, None

    def get(self):
        if not self._done:
            self._value, self._done = self._fn(), True
        return self._value

    def __bool__(self) -> bool:
        return bool(self.get())

    def __str__(self) -> str:
        return str(self.get())

    def __int__(self) -> int:
        return int(self.get())

    def __getattr__(self, name: str):
        return getattr(self.get(), name)

    def __eq__(self, other) -> bool:
        return self.get() == other

    __hash__ = None  # type: ignore[assignment]


class CleanRequest(flask.Request):
    """Form fields and query strings without NUL characters: they mean nothing in a text, and
    PostgreSQL refuses them in text columns (a 500 on any form that stores what it is sent)."""

    def _load_form_data(self) -> None:
        super()._load_form_data()
        form = self.__dict__.get("form")
        if form is not None and any("\x00" in v for v in form.values()):
            self.__dict__["form"] = self.parameter_storage_class(
                [(k, v.replace("\x00", "")) for k, v in form.items(multi=True)]
            )

    @cached_property
    def args(self):  # type: ignore[override]
        args = super().args
        if not any("\x00" in v for v in args.values()):
            return args
        return self.parameter_storage_class(
            [(k, v.replace("\x00", "")) for k, v in args.items(multi=True)]
        )


class DatabaseIntConverter(IntegerConverter):
    """<int:…> ids that fit the database's integer column: a larger number in a URL is "not
    found" instead of an overflow in the driver (a 500)."""

    def __init__(self, map, *args, **kwargs) -> None:  # noqa: A002
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


def _limiter_on_writes_only(app: Flask) -> None:
    """Every limit of the app is on a POST (login, sign-up, comments, ideas): a page view does
    not enter the limiter's hooks at all (resolving its limits, even to skip them with a
    request filter, cost a tenth of the app's floor). tests/core/test_request_machinery.py
    keeps every limit on POST only."""
    reads = ("GET", "HEAD", "OPTIONS")

    def ours(f) -> bool:
        return getattr(f, "__self__", None) is limiter or (
            isinstance(f, partial) and f.args[:1] == (limiter,)
        )

    def on_writes(f, *, passes_through: bool):
        @wraps(f)
        def hook(*args):
            if request.method in reads:
                return args[0] if passes_through else None
            return f(*args)

        return hook

    for funcs, passes_through in (
        (app.before_request_funcs, False),
        (app.after_request_funcs, True),  # an after-request hook returns the response
        (app.teardown_request_funcs, False),
    ):
        hooks = funcs.get(None, [])
        funcs[None] = [on_writes(f, passes_through=passes_through) if ours(f) else f for f in hooks]


def init_app(app: Flask) -> None:
    from . import pool, reads  # noqa: F401  (checked connections; reads outside transactions)
    from .sessions import RememberingSessionInterface

    app.request_class = CleanRequest
    app.session_interface = RememberingSessionInterface()
    # Before any blueprint adds its rules: every <int:…> id is bounded.
    app.url_map.converters["int"] = DatabaseIntConverter
    db.init_app(app)
    migrate.init_app(
        app, db, directory=str(Path(app.root_path).parent / "migrations"), render_as_batch=True
    )
    csrf.init_app(app)
    from .pagecache import hole
    from .sessions import csrf_token

    app.jinja_env.globals.update(hole=hole, csrf_token=csrf_token)
    babel.init_app(app, locale_selector=select_locale)
    limiter.init_app(app)
    _limiter_on_writes_only(app)

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to see this page.")
    login_manager.session_protection = "basic"

    @app.before_request
    def _wtforms_translations() -> None:
        request.wtforms_translations = _WTFORMS_TRANSLATIONS  # read by Flask-WTF's i18n

    # Responses compressed (brotli, else gzip); static files fingerprinted, cached for a year
    # and precompressed (core/assets.py).
    compress.init_app(app)
    assets.init_app(app)

    static_urls: dict[tuple[str, str], str] = {}

    def static_url(filename: str) -> str:
        # A fingerprinted name is fixed for the life of the process: built once per file (and
        # per mount point), not by url_for on every page.
        key = (request.script_root if has_request_context() else "", filename)
        url = static_urls.get(key)
        if url is None:
            url = static_urls[key] = url_for("static", filename=filename)
        return url

    from .privacy import mask_name, mask_phone

    app.add_template_filter(mask_phone)
    app.add_template_filter(mask_name)
    app.add_template_filter(paragraphs)
    # Numbers, money and dates by the reader's locale (Flask-Babel functions as filters).
    app.add_template_filter(flask_babel.format_number, "format_number")
    app.add_template_filter(flask_babel.format_decimal, "format_decimal")
    app.add_template_filter(flask_babel.format_percent, "format_percent")
    app.add_template_filter(format_date, "format_date")
    app.add_template_filter(format_datetime, "format_datetime")
    app.add_template_filter(lambda value: flask_babel.format_currency(value, "CNY"), "format_money")
    from .notify import title_of

    app.add_template_filter(title_of, "message_title")

    @app.context_processor
    def _template_context() -> dict:
        from .context import communities_of, steps_bar
        from .notify import unread_count

        community = g.get("community")
        logged_in = current_user.is_authenticated

        def nav_community():
            # The bottom navigation keeps the same four places on every page (inbox, me too):
            # a resident of one community gets its home and notice board from anywhere.
            if community is not None or not logged_in:
                return community
            mine = communities_of(current_user)
            return mine[0] if len(mine) == 1 else None

        locale = str(get_locale())
        tr = _template_gettext(locale)
        return {
            "gettext": tr.gettext,
            "ngettext": tr.ngettext,
            "can": lambda action, comm=None, obj=None: permissions.can(
                current_user, action, comm if comm is not None else g.get("community"), obj
            ),
            "community": community,
            # Computed only if a template uses them: htmx fragments and JSON never pay for them.
            "nav_community": Lazy(nav_community),
            "locale": locale,
            "elder": elder_mode(),
            "static_url": static_url,
            "unread_count": Lazy(lambda: unread_count(current_user.id) if logged_in else 0),
            "STEP_KEYS": STEP_KEYS,
            "STEP_NAMES": _step_names(locale),
            "STEP_NAMES_ZH": STEP_NAMES_ZH,
            "is_htmx": request.headers.get("HX-Request") == "true",
            "steps_bar": steps_bar,
        }

    security_headers = [
        (
            "Content-Security-Policy",
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
        ),
        ("X-Frame-Options", "DENY"),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "same-origin"),
        ("Permissions-Policy", "geolocation=(self), camera=(self), microphone=()"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
    ]
    if app.config.get("HTTPS"):
        security_headers.append(("Strict-Transport-Security", "max-age=31536000"))

    @app.teardown_request
    def _end_reads_with_commit(exc: BaseException | None) -> None:
        # psycopg forgets every prepared statement on a ROLLBACK, and each request used to end
        # with one (the session's close), so PostgreSQL planned every statement anew: planning
        # was most of the database's time on a page. A page view whose transaction wrote nothing
        # ends it with COMMIT instead (for a transaction that only read, the same thing), and
        # the statements a worker runs again and again stay prepared on its connections.
        if exc is None and request.method in ("GET", "HEAD"):
            session = db.session()
            if session.in_transaction() and not wrote_in_transaction(session):
                session.commit()

    @app.after_request
    def _headers(response):
        # On every response, so as cheap as it can be: the names a view already set are read
        # once, then the missing ones appended (Headers.setdefault scans the list per header).
        h = response.headers
        present = {name.lower() for name, _value in h.items()}
        for name, value in security_headers:
            if name.lower() not in present:
                h.add(name, value)
        if request.endpoint != "static":
            # Pages differ for htmx (fragment) and full requests, and by language/elder cookie.
            if "vary" in present:
                response.vary.add("HX-Request")
                response.vary.add("Cookie")
            else:
                h.add("Vary", "HX-Request, Cookie")
            if "cache-control" not in present:
                # Ask only whether a user was loaded: after the commit, touching current_user's
                # columns would reload the row, a database round trip on every write.
                user = g.get("_login_user")
                logged_in = user is not None and not user.is_anonymous
                h.add("Cache-Control", "no-store" if logged_in else "no-cache")
        return response

    def _error(code: int, message: str | None = None):
        title, text = ERROR_TEXT.get(code, ERROR_TEXT[500])
        return render_template(
            "errors/error.html", code=code, title=title, text=message or text
        ), code

    for code in (400, 403, 404, 405, 413, 429):
        app.register_error_handler(code, lambda e, code=code: _error(code))

    @app.errorhandler(CSRFError)
    def _csrf(e):
        return _error(
            400,
            str(
                _l(
                    "The form expired or was sent from elsewhere. Please reload the page and try again."
                )
            ),
        )

    @app.errorhandler(500)
    def _server_error(e):
        db.session.rollback()
        return _error(500)

    from .views import register_blueprints

    register_blueprints(app)
