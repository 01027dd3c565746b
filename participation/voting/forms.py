"""Forms of the vote pages. They carry the CSRF token and render the fields; the rules
(periods, shares, who may vote, paper ballots over online ones) live in services.py, whose
DomainError names the field it concerns (show_domain_error puts it next to that field)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from ..core.timeutil import LOCAL_FORMATS
from ..extensions import parse_id
from .rules import Base, Comparison, RuleKind

# What each choice is called on buttons, lists and notices. A symbol goes with each word, so
# colour is never the only cue.
CHOICE_LABELS = {
    "agree": _l("Agree"),
    "disagree": _l("Disagree"),
    "abstain": _l("Abstain"),
}
CHOICE_SYMBOLS = {"agree": "✓", "disagree": "✗", "abstain": "○"}

RULE_LABELS = {
    RuleKind.ORDINARY.value: _l("Ordinary decision"),
    RuleKind.SPECIAL.value: _l("Special decision"),
    RuleKind.CUSTOM.value: _l("Custom rule"),
    RuleKind.ADVISORY.value: _l("Advisory poll"),
}
RULE_HINTS = {
    RuleKind.ORDINARY.value: _l(
        "Most matters, including using the maintenance fund, hiring the property company and "
        "the renovation plan. Owners holding at least 2/3 of the area and at least 2/3 of the "
        "owners must take part; it passes with more than half of the participating area and "
        "more than half of the participating owners (Civil Code Art. 278)."
    ),
    RuleKind.SPECIAL.value: _l(
        "Raising the maintenance fund, altering or rebuilding buildings and facilities, "
        "changing the use of common parts. Same participation; it passes with at least 3/4 "
        "of the participating area and at least 3/4 of the participating owners."
    ),
    RuleKind.CUSTOM.value: _l(
        "Your own shares, where a local rule asks for them: for example a lift that needs 2/3 "
        "of all owners of the entrance, or every owner's consent. They apply to area and to "
        "owners alike."
    ),
    RuleKind.ADVISORY.value: _l(
        "An opinion poll: one voice per home, counts only. Nothing passes or fails, so it "
        "cannot decide a matter the owners must decide."
    ),
}


SCOPE_LABELS = {
    "community": _l("The whole community"),
    "buildings": _l("Chosen buildings"),
    "entrance": _l("One entrance (e.g. for a lift)"),
}


def _choices(labels: dict) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in labels.items()]


def optional_int(value):
    """Coerce for selects whose first option is a blank "choose…": "" is None, not an error."""
    return None if value in (None, "", "None") else parse_id(value)


class VoteForm(FlaskForm):
    topic = SelectField(_l("Topic"), coerce=optional_int, validate_choice=False)
    title = StringField(_l("Title"), render_kw={"maxlength": 200})
    question = TextAreaField(_l("The question owners answer"), render_kw={"rows": 4})
    scope = RadioField(
        _l("Who votes"),
        choices=_choices(SCOPE_LABELS),
        default="community",
        validate_choice=False,
    )
    buildings = SelectMultipleField(_l("Buildings"), coerce=optional_int, validate_choice=False)
    entrance = SelectField(_l("Entrance"), coerce=optional_int, validate_choice=False)
    rule = RadioField(
        _l("Rule"), choices=_choices(RULE_LABELS), default="ordinary", validate_choice=False
    )
    approval = StringField(
        _l("Share that must agree"), render_kw={"inputmode": "text", "placeholder": "2/3"}
    )
    approval_cmp = SelectField(
        _l("Compared how"),
        choices=[
            SelectChoice(Comparison.AT_LEAST.value, _l("at least this share (以上)")),
            SelectChoice(Comparison.MORE_THAN.value, _l("more than this share (超过)")),
        ],
        validate_choice=False,
    )
    approval_base = SelectField(
        _l("Share of whom"),
        choices=[
            SelectChoice(Base.PARTICIPANTS.value, _l("of the owners who take part")),
            SelectChoice(Base.ELECTORATE.value, _l("of all owners in the scope")),
        ],
        validate_choice=False,
    )
    quorum = StringField(
        _l("Share that must take part (optional)"), render_kw={"placeholder": "2/3"}
    )
    opens_at = DateTimeLocalField(_l("Opens"), validators=[Optional()], format=LOCAL_FORMATS)
    closes_at = DateTimeLocalField(_l("Closes"), validators=[Optional()], format=LOCAL_FORMATS)
    auto_open = BooleanField(_l("Open it by itself at this time"))
    turnout_public = BooleanField(_l("Show the participation to everybody while it is open"))
    result_notice_days = IntegerField(
        _l("Result posted for (days)"),
        validators=[Optional()],
        render_kw={"inputmode": "numeric", "min": 1, "max": 365},
    )


class ChoiceForm(FlaskForm):
    """A tap on Agree / Disagree / Abstain: shows the confirmation step, saves nothing."""

    choice = HiddenField()
    owner = HiddenField()


class CastForm(FlaskForm):
    """The confirmation: casts the ballot."""

    choice = HiddenField()
    owner = HiddenField()


class CloseForm(FlaskForm):
    reason = TextAreaField(_l("Why is it closed early?"), render_kw={"rows": 3, "maxlength": 500})


class PaperForm(FlaskForm):
    building = SelectField(_l("Building"), validate_choice=False)
    entrance = SelectField(_l("Entrance"), validate_choice=False)
    room = SelectField(_l("Room"), validate_choice=False)
    unit = StringField(
        _l("Or type the home"),
        render_kw={"placeholder": "3-2-501", "autocomplete": "off", "spellcheck": "false"},
    )
    choice = RadioField(
        _l("Choice on the paper ballot"),
        choices=_choices(CHOICE_LABELS),
        validate_choice=False,
    )
    reference = StringField(
        _l("Number on the paper ballot"), render_kw={"maxlength": 40, "autocomplete": "off"}
    )
    supersede_reason = TextAreaField(
        _l("Why the paper ballot replaces the owner's ballot"),
        render_kw={"rows": 3, "maxlength": 300},
    )


class ImportForm(FlaskForm):
    sheet = FileField(
        _l("The sheet of paper ballots (.csv or .xlsx)"),
        validators=[FileRequired(_l("Please choose a file."))],
    )


class ApplyForm(FlaskForm):
    token = HiddenField()


class ProxyForm(FlaskForm):
    owner = StringField(
        _l("The owner's home"),
        render_kw={"placeholder": "3-2-501", "autocomplete": "off", "spellcheck": "false"},
    )
    proxy = StringField(
        _l("The proxy's mobile number"),
        render_kw={"inputmode": "tel", "autocomplete": "off", "maxlength": 20},
    )
    evidence = TextAreaField(
        _l("Evidence you saw"),
        render_kw={"rows": 3, "maxlength": 2000},
    )


class RevokeForm(FlaskForm):
    reason = StringField(_l("Reason"), render_kw={"maxlength": 300})


class ReceiptForm(FlaskForm):
    """Looking up a receipt code: a GET form, nothing to protect."""

    class Meta:
        csrf = False

    receipt = StringField(
        _l("Your receipt code"),
        render_kw={
            "placeholder": "ABCD-EFGH",
            "autocomplete": "off",
            "autocapitalize": "characters",
            "spellcheck": "false",
            "maxlength": 20,
        },
    )
