"""Forms of the consult pages. They carry the CSRF token and render the fields; the rules
(lengths, reasons, notice period) live in services.py, whose DomainError names the field."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, MultipleFileField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from .services import COMMENT_MAX_CHARS, HIDE_TEXT_MAX, REPORT_REASON_MAX, TITLE_MAX

REASON_LABELS = {
    "off_topic": _l("Off-topic"),
    "abusive": _l("Abusive"),
    "personal_data": _l("Personal data"),
    "spam": _l("Spam or advertising"),
}


class TopicForm(FlaskForm):
    title = StringField(_l("Title"), render_kw={"maxlength": TITLE_MAX})
    body = TextAreaField(_l("Text"), render_kw={"rows": 10})
    notice_days = IntegerField(
        _l("Notice period (days)"), validators=[Optional()], render_kw={"inputmode": "numeric"}
    )
    attachments = MultipleFileField(
        _l("Photos and PDF documents"),
        render_kw={"accept": "image/jpeg,image/png,image/webp,application/pdf"},
    )


class CommentForm(FlaskForm):
    body = TextAreaField(_l("Your comment"), render_kw={"rows": 4, "maxlength": COMMENT_MAX_CHARS})


class ReplyForm(FlaskForm):
    body = TextAreaField(_l("Your reply"), render_kw={"rows": 3, "maxlength": COMMENT_MAX_CHARS})


class ReportForm(FlaskForm):
    reason = TextAreaField(
        _l("What is wrong with it? (optional)"),
        render_kw={"rows": 3, "maxlength": REPORT_REASON_MAX},
    )


class HideForm(FlaskForm):
    reason_code = RadioField(
        _l("Reason"),
        choices=[SelectChoice(code, label) for code, label in REASON_LABELS.items()],
        validate_choice=False,
    )
    text = TextAreaField(
        _l("Explanation (optional)"), render_kw={"rows": 3, "maxlength": HIDE_TEXT_MAX}
    )
