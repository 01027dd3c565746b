"""The table of every route of the app: how to build its URL from the test world, who may use
it, and the fields of its form. Routes are discovered from app.url_map; a route missing from
this table fails tests/hostile/test_routes_table.py, so every new feature must add itself here.

Field kinds: "text" (free text), "int", "choice" (one of `choices`, or anything), "bool",
"date" (a local date-time), "file" (an upload), "ids" (a list of ids).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from werkzeug.routing import Rule
from werkzeug.routing.converters import AnyConverter

# Route parameter → key of World.side(...).ids; a route may override it (Route.ids).
PARAMS = {
    "topic_id": "topic_id",
    "attachment_id": "attachment_id",
    "comment_id": "comment_id",
    "vote_id": "vote_id",
    "owner_id": "owner_id",
    "proxy_id": "proxy_id",
    "invite_id": "invite_id",
    "unit_id": "unit_id",
    "link_id": "link_id",
    "notice_id": "notice_id",
    "message_id": "message_id",
    "item_id": "item_id",
    "idea_id": "idea_id",
    "issue_id": "issue_id",
    "plan_id": "plan_id",
    "pledge_id": "pledge_id",
    "pair_id": "pair_id",
}
# Parameters that name no object: a fixed valid value.
CONSTANTS = {"fmt": "csv", "_rest": "anything", "filename": "css/app.css"}


@dataclass(frozen=True)
class Field:
    name: str
    kind: str = "text"
    choices: tuple[str, ...] = ()


def F(name: str, kind: str = "text", *choices: str) -> Field:  # noqa: N802
    return Field(name, kind, choices)


@dataclass(frozen=True)
class Route:
    role: str = "committee"  # a role allowed to use it (CSRF and fuzz tests act as this role)
    ids: dict = field(default_factory=dict)  # parameter → ids key, overriding PARAMS
    fields: tuple[Field, ...] = ()  # the fields of the POST form
    public: bool = False  # open to anybody by design (public aggregates, login page…)
    user_scoped: bool = False  # the object belongs to a user, not a community (inbox)
    writes_on_200: bool = False  # a POST that answers 200 after writing (shown-once pages)
    htmx: bool = False  # fuzz as htmx (the cheaper fragment answer)
    pending: str = ""  # objects not built by the world yet (IDOR by code only): why
    query: tuple[str, ...] = ()  # query-string parameters a GET reads (fuzzed)


TEXT_NOTICE = (F("title"), F("body"), F("pinned", "bool"))
TOPIC = (F("title"), F("body"), F("notice_days", "int"), F("attachments", "file"))
VOTE = (
    F("topic", "int"),
    F("title"),
    F("question"),
    F("scope", "choice", "community", "buildings", "entrance"),
    F("buildings", "ids"),
    F("entrance", "int"),
    F("rule", "choice", "ordinary", "special", "custom", "advisory"),
    F("approval", "choice", "2/3", "3/4", "1/2", "0", "1", "-1/2", "1/0", "0.5"),
    F("approval_cmp", "choice", "at_least", "more_than"),
    F("approval_base", "choice", "participants", "electorate"),
    F("quorum", "choice", "2/3", "", "1/3", "9/8"),
    F("opens_at", "date"),
    F("closes_at", "date"),
    F("auto_open", "bool"),
    F("turnout_public", "bool"),
    F("result_notice_days", "int"),
    F("action", "choice", "preview", "save"),
)
ITEM = (
    F("category", "choice", "basic", "improvement", "upgrade"),
    F("name_zh"),
    F("name_en"),
    F("description_zh"),
    F("description_en"),
    F("cost_basis", "choice", "none", "total", "per_unit", "per_m2"),
    F("cost_amount", "choice", "12.50", "0", "-1", "1e9", "NaN", "Infinity", "1,000", "9" * 30),
    F("residents_share", "bool"),
)
CHOICE = (F("choice", "choice", "agree", "disagree", "abstain"), F("owner", "int"))

ROUTES: dict[str, Route] = {
    # --- core: public pages, auth, preferences
    "static": Route(role="anonymous", public=True),
    # The pledge ledger is public by design (printed with a QR code for the lobby).
    "pledge.ledger": Route(role="anonymous", public=True),
    "pledge.ledger_print": Route(role="anonymous", public=True),
    "main.home": Route(role="owner", public=True),
    "main.healthz": Route(role="anonymous", public=True),
    "main.favicon": Route(role="anonymous", public=True),
    "main.privacy": Route(role="anonymous", public=True),
    "main.prefs": Route(
        role="anonymous",
        public=True,
        fields=(F("lang", "choice", "en", "zh_Hans"), F("elder", "choice", "0", "1"), F("next")),
    ),
    "main.me": Route(role="owner", public=True),
    "main.inbox": Route(role="owner", public=True, query=("page",)),
    "main.message": Route(role="owner", user_scoped=True),
    "main.read_all": Route(role="owner", public=True),
    "auth.login": Route(role="anonymous", public=True, fields=(F("phone"), F("password"))),
    "auth.logout": Route(role="owner", public=True),
    "auth.signup": Route(
        role="anonymous",
        public=True,
        fields=(
            F("code"),
            F("phone"),
            F("name"),
            F("relation", "choice", "owner", "family", "tenant"),
            F("password"),
            F("privacy", "bool"),
        ),
    ),
    "auth.add_home": Route(
        role="tenant",
        public=True,
        fields=(F("code"), F("relation", "choice", "owner", "family", "tenant")),
    ),
    "auth.password": Route(role="owner", public=True, fields=(F("current"), F("new"))),
    # --- core: community pages, notices, committee, invites, register, city admin
    "main.community": Route(role="owner"),
    "main.notices": Route(role="owner", query=("page",)),
    "main.notice": Route(role="owner"),
    "main.notice_new": Route(fields=TEXT_NOTICE),
    "committee.residents": Route(query=("status", "page")),
    "committee.decide": Route(
        fields=(F("action", "choice", "confirm", "reject"), F("reason")),
    ),
    "committee.reset_password": Route(ids={"link_id": "owner_link_id"}, writes_on_200=True),
    "committee.project": Route(),
    "committee.audit": Route(query=("page",)),
    "invites.index": Route(query=("building", "status", "q", "page")),
    "invites.issue": Route(),
    "invites.issue_one": Route(),
    "invites.revoke": Route(),
    "invites.print_slips": Route(query=("building", "invite", "status")),
    "register.index": Route(query=("building", "page")),
    "register.upload": Route(fields=(F("sheet", "file"),)),
    "register.apply": Route(fields=(F("token"),)),
    "register.discard": Route(fields=(F("token"),)),
    "register.template": Route(),
    "admin.staff": Route(
        role="city",
        public=True,
        fields=(
            F("phone"),
            F("name"),
            F("password"),
            F("role", "choice", "committee", "property", "city"),
            F("community", "choice", "", "HA", "HB"),
            F("title"),
        ),
    ),
    "admin.communities": Route(
        role="city",
        public=True,
        fields=(F("code"), F("name"), F("name_en"), F("district"), F("address")),
    ),
    # --- API (public aggregates by design: drafts only for the committee and the city)
    "api.openapi": Route(role="anonymous", public=True),
    "api.unknown": Route(role="anonymous", public=True),
    "api.vote_detail": Route(role="anonymous", public=True),
    "api.vote_receipts": Route(role="anonymous", public=True, ids={"vote_id": "closed_vote_id"}),
    # --- consult: topics, discussion, moderation
    "consult.index": Route(role="owner", query=("page",)),
    "consult.detail": Route(role="owner"),
    "consult.new": Route(fields=TOPIC),
    "consult.edit": Route(ids={"topic_id": "draft_topic_id"}, fields=TOPIC),
    "consult.detach": Route(ids={"topic_id": "draft_topic_id"}),
    "consult.post": Route(ids={"topic_id": "draft_topic_id"}),
    "consult.close": Route(),
    "consult.attachment": Route(role="committee", ids={"topic_id": "draft_topic_id"}),
    "consult.comment": Route(role="owner", fields=(F("body"),)),
    "consult.reply": Route(role="owner", fields=(F("body"),)),
    "consult.report": Route(role="owner2", ids={"comment_id": "reply_id"}, fields=(F("reason"),)),
    "consult.hide": Route(
        fields=(
            F("reason_code", "choice", "off_topic", "abusive", "personal_data", "spam"),
            F("text"),
        ),
    ),
    "consult.restore": Route(ids={"comment_id": "hidden_comment_id"}),
    # --- voting
    "voting.index": Route(role="owner"),
    "voting.detail": Route(role="owner"),
    "voting.confirm": Route(role="owner", fields=CHOICE),
    "voting.cast": Route(role="owner", fields=CHOICE),
    "voting.ballot": Route(role="owner"),
    "voting.receipts": Route(
        role="owner", ids={"vote_id": "closed_vote_id"}, query=("receipt", "page")
    ),
    "voting.notice": Route(role="owner", ids={"vote_id": "closed_vote_id"}),
    "voting.new": Route(fields=VOTE, query=("topic",)),
    "voting.edit": Route(ids={"vote_id": "draft_vote_id"}, fields=VOTE),
    "voting.preview": Route(query=("scope", "buildings", "entrance")),
    "voting.open_vote": Route(ids={"vote_id": "draft_vote_id"}),
    "voting.close": Route(ids={"vote_id": "spare_vote_id"}, fields=(F("reason"),)),
    "voting.delete": Route(ids={"vote_id": "draft_vote_id"}),
    "voting.paper": Route(
        fields=(
            F("building"),
            F("entrance"),
            F("room"),
            F("unit", "choice", "1-1-101", "1-2-301", "9-9-999", "1-1", ""),
            F("choice", "choice", "agree", "disagree", "abstain"),
            F("reference"),
            F("supersede_reason"),
            F("supersede", "choice", "1", "0"),
        ),
    ),
    "voting.import_sheet": Route(fields=(F("sheet", "file"),)),
    "voting.import_apply": Route(fields=(F("token"),)),
    "voting.proxies": Route(
        fields=(
            F("owner", "choice", "1-1-101", "1-2-301", "9-9-999", ""),
            F("proxy"),
            F("evidence"),
        ),
    ),
    "voting.revoke_proxy": Route(fields=(F("reason"),)),
    # --- plan: menu and household survey
    "plan.menu": Route(role="owner"),
    "plan.new": Route(fields=ITEM),
    "plan.edit": Route(fields=ITEM),
    "plan.hide": Route(),
    "plan.show": Route(),
    "plan.survey": Route(
        role="owner",
        fields=(
            F("action", "choice", "save", "open", "close", "bogus"),
            F("closes_at", "date"),
            F("max_picks", "int"),
            F("unit_id", "int"),
            F("items", "ids"),
        ),
    ),
}

# Packages built now by other people: objects built by the world when their services allow
# (tests/hostile/conftest.py _build_new_packages); their text forms are fuzzed.
IDEA = (F("title"), F("body"), F("building", "int"), F("place"), F("photos", "file"))
ROUTES.update(
    {
        "ideas.index": Route(role="owner", query=("sort", "mine", "page")),
        "ideas.detail": Route(role="owner"),
        "ideas.new": Route(role="owner2", fields=IDEA),
        "ideas.edit": Route(role="owner", fields=IDEA),
        "ideas.hide": Route(
            fields=(F("reason_code", "choice", "off_topic", "abusive", "spam"), F("text"))
        ),
        "ideas.photo": Route(role="owner", ids={"photo_id": "idea_photo_id"}),
        "ideas.remove_photo": Route(role="owner", ids={"photo_id": "idea_photo_id"}),
        "ideas.promote": Route(),
        "ideas.report": Route(role="owner2", fields=(F("reason"),)),
        "ideas.restore": Route(),
        "ideas.support": Route(role="family", fields=(F("do", "choice", "1", "0"), F("back"))),
        "ideas.withdraw": Route(role="owner"),
        "plan.plan_index": Route(fields=(F("title"), F("summary"))),
        "plan.plan_detail": Route(role="owner"),
        "plan.plan_edit": Route(fields=(F("title"), F("summary"))),
        "plan.plan_print": Route(),
        "plan.plan_publish": Route(),
        "plan.plan_revise": Route(),
        "plan.plan_shares": Route(role="owner"),
        "plan.plan_vote": Route(),
        "build.index": Route(role="owner", query=("status", "page")),
        "build.issue": Route(role="owner"),
        "build.act": Route(
            role="property",
            fields=(
                F(
                    "action",
                    "choice",
                    "acknowledge",
                    "start",
                    "resolve",
                    "reopen",
                    "reject",
                    "reassign",
                    "merge",
                    "confirm",
                ),
                F("note"),
                F("reason"),
                F("party"),
                F("into", "int"),
                F("photo", "file"),
            ),
        ),
        "build.me_too": Route(role="family"),
        "build.photo": Route(role="owner", ids={"photo_id": "issue_photo_id"}),
        "build.new": Route(
            role="owner2",
            fields=(
                F("category", "choice", "noise", "dust", "other"),
                F("place"),
                F("urgency", "choice", "normal", "emergency"),
                F("description"),
                F("floor"),
                F("spot"),
                F("private", "bool"),
                F("latitude"),
                F("longitude"),
                F("photos", "file"),
            ),
        ),
        "build.log_new": Route(
            role="contractor",
            pending="",
            fields=(
                F("day", "date"),
                F("plan_line", "int"),
                F("item"),
                F("progress"),
                F("body"),
                F("photos", "file"),
            ),
        ),
        "build.notice_new": Route(
            role="contractor",
            fields=(
                F("kind", "choice", "water", "power", "noise", "other"),
                F("starts_at", "date"),
                F("ends_at", "date"),
                F("area"),
                F("details"),
                F("reason"),
            ),
        ),
        "pledge.make": Route(
            role="owner",
            fields=(
                F("money-kind", "choice", "money"),
                F("money-token"),
                F("money-unit_id", "int"),
                F("money-amount", "choice", "100", "0.001", "-5", "1e12", "NaN", "１００"),
                F("money-honour", "bool"),
                F("labour-kind", "choice", "labour"),
                F("labour-hours"),
                F("materials-kind", "choice", "materials"),
                F("materials-item"),
                F("materials-value"),
            ),
        ),
        "pledge.cancel": Route(role="owner", fields=(F("reason"),)),
        "pledge.confirm": Route(
            fields=(
                F("received"),
                F("reference"),
                F("hours_worked"),
                F("delivered"),
                F("value"),
            ),
        ),
        "share.photos_page": Route(
            fields=(F("caption"), F("before", "file"), F("after", "file")),
        ),
        "share.ratings_page": Route(
            role="owner",
            fields=(
                F("action", "choice", "rate", "open", "close", "save"),
                F("closes_at", "date"),
                F("unit_id", "int"),
                F("overall", "choice", "1", "3", "5", "0", "6", "-1"),
                F("overall_comment"),
            ),
        ),
        "build.log_photo": Route(role="owner", ids={"photo_id": "log_photo_id"}),
        "share.photo": Route(role="owner"),
        "share.photo_delete": Route(),
    }
)

# Routes named by the community code only (no object id): the IDOR test by code, the CSRF and
# security-header tests cover them as they are; those with a form or a query string are fuzzed.
ROUTES.update(
    {
        "plan.survey_print": Route(),
        "pledge.index": Route(role="owner"),
        "pledge.withdraw": Route(role="owner"),
        "pledge.funding": Route(
            fields=(
                F("action", "choice", "sources", "reward", "spending", "inherit", "bogus"),
                F("fund_vote_id", "int"),
                F("match_ratio"),
                F("include_in_kind", "bool"),
                F("labour_rate"),
                F("cap_kind", "choice", "none", "total", "per_m2"),
                F("cap_amount"),
                F("min_household_share_pct"),
                F("min_per_m2"),
                F("spent_on", "date"),
                F("amount"),
                F("purpose"),
                F("payee"),
                F("reference"),
                F("source", "int"),
            ),
        ),
        "pledge.manage": Route(query=("status", "page")),
        "pledge.paper": Route(
            fields=(
                F("token"),
                F("building"),
                F("entrance"),
                F("room"),
                F("unit", "choice", "1-1-101", "9-9-909", "abc", "１-１-１０１"),
                F("kind", "choice", "money", "labour", "materials", "gold"),
                F("amount", "choice", "100", "0.001", "-5", "1e12", "NaN"),
                F("hours"),
                F("skill", "choice", "cleaning", "juggling"),
                F("item"),
                F("quantity"),
                F("value"),
                F("evidence"),
            ),
        ),
        "pledge.preview": Route(role="owner", query=("money-amount", "amount", "money-unit_id")),
        "build.log_index": Route(role="owner", query=("page",)),
        "build.queue": Route(role="property", query=("party", "status", "page")),
        "build.routing": Route(
            fields=(F("category"), F("party"), F("user_id", "int"), F("hours", "int")),
        ),
        "share.board": Route(role="owner"),
        "share.board_print": Route(),
        "share.exports_page": Route(),
        "share.export": Route(),
        "share.export_ballots": Route(),
        "share.dashboard": Route(role="city", public=True, query=("sort", "district")),
        "share.dashboard_export": Route(role="city", public=True),
        "share.dashboard_refresh": Route(role="city", public=True),
    }
)
for _endpoint in (
    "share_api.communities",
    "share_api.community",
    "pledge_api.funding",
    "build_api.stats",
    "plan_api.community_plan",
):
    ROUTES.setdefault(_endpoint, Route(role="anonymous", public=True))


def rule_params(rule: Rule) -> list[str]:
    return [name for name in rule.arguments if name not in (rule.defaults or {})]


def url_values(rule: Rule, route: Route, side, code: str | None = None) -> dict | None:
    """Values for the rule's parameters from `side` (code may be overridden); None when a
    parameter names an object the world does not build."""
    values: dict = {}
    for name in rule_params(rule):
        converter = rule._converters.get(name)
        if name == "code":
            values[name] = code or side.code
        elif isinstance(converter, AnyConverter):
            values[name] = sorted(converter.items)[0]
        elif name in CONSTANTS:
            values[name] = CONSTANTS[name]
        else:
            key = route.ids.get(name, PARAMS.get(name))
            if key is None or key not in side.ids:
                return None
            values[name] = side.ids[key]
    return values


def build_url(rule: Rule, values: dict) -> str:
    """The path of this very rule (two rules may share an endpoint, e.g. a file and its thumb)."""
    built = rule.build(values, append_unknown=False)
    assert built is not None, (rule.rule, values)
    return built[1]


def app_rules(app) -> list[Rule]:
    return sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint))


def methods(rule: Rule) -> list[str]:
    return sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
