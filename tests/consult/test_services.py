"""The consult use cases: topic lifecycle and notice period, comments, reports, moderation."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from flask import current_app
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from participation.consult import services
from participation.consult.models import (
    Comment,
    CommentReport,
    Topic,
    TopicAttachment,
    TopicStatus,
)
from participation.core.errors import DomainError
from participation.core.models import AuditEntry, Message, Notice
from participation.core.timeutil import aware, utcnow
from participation.core.uploads import UploadError
from participation.extensions import db

from .helpers import DAY, PDF, audit_actions, count, make_comment, make_topic, png_bytes

pytestmark = pytest.mark.usefixtures("ctx")


def upload(data: bytes, name: str) -> FileStorage:
    import io

    return FileStorage(io.BytesIO(data), filename=name)


# --- topics ----------------------------------------------------------------------------------


def test_topic_lifecycle_draft_post_close(community, people):
    committee = people["committee"]
    topic = services.create_topic(committee, community, "  加装电梯  ", "方案见附件\r\n欢迎讨论")
    db.session.commit()
    assert topic.status == TopicStatus.DRAFT
    assert topic.title == "加装电梯" and topic.body == "方案见附件\n欢迎讨论"
    assert topic.notice_days == 7 and topic.posted_at is None and topic.notice_ends_at is None

    services.update_topic(committee, topic, "加装电梯方案", "新的说明", notice_days=15)
    db.session.commit()
    assert (topic.title, topic.body, topic.notice_days) == ("加装电梯方案", "新的说明", 15)

    before = utcnow()
    services.post_topic(committee, topic)
    db.session.commit()
    assert topic.status == TopicStatus.POSTED
    assert before <= aware(topic.posted_at) <= utcnow()
    assert topic.notice_ends_at == aware(topic.posted_at) + timedelta(days=15)

    # Posted: no more changes, no second posting, no closing during the notice period.
    with pytest.raises(DomainError):
        services.update_topic(committee, topic, "改标题", "")
    with pytest.raises(DomainError):
        services.post_topic(committee, topic)
    with pytest.raises(DomainError, match="notice period"):
        services.close_topic(committee, topic)
    db.session.rollback()

    services.close_topic(committee, topic, now=topic.notice_ends_at + timedelta(seconds=1))
    db.session.commit()
    assert topic.status == TopicStatus.CLOSED
    with pytest.raises(DomainError):
        services.close_topic(committee, topic)
    assert audit_actions(community.id) == [
        "topic.create",
        "topic.update",
        "notice.post",
        "topic.post",
        "topic.close",
    ]


def test_post_topic_puts_a_notice_on_the_board_and_tells_every_resident(community, people):
    committee = people["committee"]
    topic = services.create_topic(committee, community, "外墙保温", "说明")
    services.post_topic(committee, topic)
    db.session.commit()
    notice = db.session.scalars(select(Notice)).one()
    assert notice.kind == "topic" and "外墙保温" in notice.title
    assert notice.link == f"/c/T01/topics/{topic.id}"
    recipients = set(db.session.scalars(select(Message.user_id)))
    members = {people[r].id for r in ("owner", "family", "tenant", "committee", "property")}
    assert recipients == members  # not the city, not another community
    message = db.session.scalars(select(Message)).first()
    assert message.params["title"] == "外墙保温"  # translated for each reader when shown
    assert message.link == f"/c/T01/topics/{topic.id}"


def test_notice_ends_at_is_posted_at_plus_notice_days(community):
    topic = make_topic(community, notice_days=15, posted_days_ago=0)
    assert topic.notice_ends_at == aware(topic.posted_at) + 15 * DAY
    draft = make_topic(community, status=TopicStatus.DRAFT)
    assert draft.notice_ends_at is None


@pytest.mark.parametrize("days", [6, 91, "x", -1])
def test_notice_period_outside_the_bounds_is_refused(community, people, days):
    with pytest.raises(DomainError) as err:
        services.create_topic(people["committee"], community, "议题", "", notice_days=days)
    assert err.value.field == "notice_days"


def test_default_notice_period_is_configurable(app, community, people):
    current_app.config["TOPIC_NOTICE_DAYS"] = 10
    try:
        topic = services.create_topic(people["committee"], community, "议题", "")
    finally:
        del current_app.config["TOPIC_NOTICE_DAYS"]
    assert topic.notice_days == 10


def test_a_topic_needs_a_title(community, people):
    with pytest.raises(DomainError) as err:
        services.create_topic(people["committee"], community, "   ", "正文")
    assert err.value.field == "title"


def test_the_voting_engine_refuses_a_vote_before_the_notice_period_ends(community, people):
    pytest.importorskip("participation.voting.services")
    from participation.voting import services as voting

    committee = people["committee"]
    topic = services.create_topic(committee, community, "加装电梯", "说明")
    services.post_topic(committee, topic)
    db.session.commit()
    with pytest.raises(DomainError, match="notice period"):
        voting.create_vote(
            committee,
            topic,
            title="是否同意",
            question="是否同意加装电梯？",
            rule="ordinary",
            opens_at=utcnow() + DAY,
            closes_at=utcnow() + 10 * DAY,
        )


# --- attachments -----------------------------------------------------------------------------


def test_attachments_photos_and_pdfs_judged_by_content(app, community, people):
    committee = people["committee"]
    topic = services.create_topic(committee, community, "议题", "")
    added = services.add_attachments(
        committee, topic, [upload(png_bytes(), "现场.png"), upload(PDF, "..\\方案/预算.pdf")]
    )
    db.session.commit()
    photo, pdf = added
    assert photo.kind == "image" and photo.thumb.startswith("topics/")
    assert pdf.kind == "pdf" and pdf.filename == "预算.pdf" and pdf.size == len(PDF)
    root = Path(app.config["UPLOAD_FOLDER"])
    assert (root / pdf.name).read_bytes() == PDF
    assert "预算" not in pdf.name  # stored under a random name

    names = services.remove_attachment(committee, pdf)
    db.session.commit()
    services.delete_stored(names)
    assert not (root / pdf.name).exists()
    assert [a.id for a in services.attachments_of(topic)] == [photo.id]
    assert "topic.attach" in audit_actions() and "topic.detach" in audit_actions()


def test_a_file_that_is_neither_photo_nor_pdf_is_refused(community, people):
    topic = services.create_topic(people["committee"], community, "议题", "")
    with pytest.raises(UploadError):
        services.add_attachments(
            people["committee"], topic, [upload(b"<html>not a pdf</html>", "fake.pdf")]
        )


def test_a_pdf_over_10_mb_is_refused(community, people):
    topic = services.create_topic(people["committee"], community, "议题", "")
    big = PDF + b"0" * (10 * 1024 * 1024)
    with pytest.raises(UploadError, match="too large"):
        services.add_attachments(people["committee"], topic, [upload(big, "big.pdf")])


def test_at_most_five_photos_and_a_refusal_removes_what_it_stored(app, community, people):
    committee = people["committee"]
    topic = services.create_topic(committee, community, "议题", "")
    services.add_attachments(committee, topic, [upload(png_bytes(), f"{i}.png") for i in range(4)])
    db.session.commit()
    folder = Path(app.config["UPLOAD_FOLDER"]) / "topics"
    before = set(folder.iterdir())
    with pytest.raises(UploadError, match="5"):
        services.add_attachments(
            committee, topic, [upload(png_bytes(), "5.png"), upload(png_bytes(), "6.png")]
        )
    db.session.rollback()
    assert set(folder.iterdir()) == before
    assert count(TopicAttachment) == 4


def test_attachments_of_a_posted_topic_cannot_change(community, people):
    topic = make_topic(community)
    with pytest.raises(DomainError):
        services.add_attachments(people["committee"], topic, [upload(PDF, "a.pdf")])


# --- comments --------------------------------------------------------------------------------


@pytest.mark.parametrize("body", ["", "   ", "\n\t\n", None])
def test_an_empty_comment_is_refused(topic, people, body):
    with pytest.raises(DomainError) as err:
        services.add_comment(people["owner"], topic, body)
    assert err.value.field == "body"


def test_comment_length_is_limited_to_2000_characters(topic, people):
    ok = services.add_comment(people["owner"], topic, "字" * 2000)
    assert len(ok.body) == 2000
    with pytest.raises(DomainError, match="too long") as err:
        services.add_comment(people["owner"], topic, "字" * 2001)
    assert err.value.field == "body"


def test_comment_is_plain_text_html_kept_as_typed(topic, people):
    payload = '<script>alert("x")</script><b>粗体</b>'
    comment = services.add_comment(people["owner"], topic, f"  {payload}\r\n第二行\x00  ")
    db.session.commit()
    assert comment.body == f"{payload}\n第二行"  # stripped, newlines normalised, NUL dropped


def test_reply_joins_the_thread_one_level_deep(topic, people):
    first = services.add_comment(people["owner"], topic, "意见")
    reply = services.add_comment(people["tenant"], topic, "回复", parent=first)
    deeper = services.add_comment(people["family"], topic, "再回复", parent=reply)
    db.session.commit()
    assert reply.parent_id == first.id and deeper.parent_id == first.id
    threads = services.discussion(topic)
    assert [(t.comment.id, [r.id for r in t.replies]) for t in threads] == [
        (first.id, [reply.id, deeper.id])
    ]


def test_reply_to_a_comment_of_another_topic_is_refused(community, topic, people):
    other = make_topic(community, title="另一个议题")
    elsewhere = make_comment(other, people["owner"])
    with pytest.raises(DomainError, match="this topic"):
        services.add_comment(people["tenant"], topic, "回复", parent=elsewhere)


def test_reply_to_a_hidden_comment_is_refused(topic, people):
    c = make_comment(topic, people["owner"])
    services.hide_comment(people["committee"], c, "spam")
    with pytest.raises(DomainError):
        services.add_comment(people["tenant"], topic, "回复", parent=c)


def test_no_comments_on_a_draft_or_closed_topic(community, people):
    draft = make_topic(community, status=TopicStatus.DRAFT)
    closed = make_topic(community, status=TopicStatus.CLOSED)
    for topic in (draft, closed):
        with pytest.raises(DomainError):
            services.add_comment(people["owner"], topic, "意见")


@pytest.mark.parametrize("role", ["city", "outsider"])
def test_people_outside_the_discussion_cannot_comment(topic, people, role):
    with pytest.raises(DomainError):
        services.add_comment(people[role], topic, "意见")


@pytest.mark.parametrize("role", ["owner", "family", "tenant", "committee", "property"])
def test_residents_and_staff_of_the_community_comment(topic, people, role):
    assert services.add_comment(people[role], topic, "意见").id


def test_rate_limit_ten_comments_in_ten_minutes_counted_in_sql(topic, people):
    owner, now = people["owner"], utcnow()
    for i in range(10):
        services.add_comment(owner, topic, f"第{i}条", now=now + timedelta(seconds=i))
    db.session.commit()
    with pytest.raises(DomainError, match="wait"):
        services.add_comment(owner, topic, "第11条", now=now + timedelta(minutes=1))
    db.session.rollback()
    # Other people are not held back by one person's comments.
    assert services.add_comment(people["tenant"], topic, "我的意见", now=now)
    # Ten minutes after the first, one more is allowed again.
    later = now + timedelta(minutes=10, seconds=0.5)
    assert services.add_comment(owner, topic, "稍后", now=later)
    assert services.recent_comment_count(owner.id, later) == 10


def test_rate_limit_is_configurable(app, topic, people):
    current_app.config["COMMENT_RATE_COUNT"] = 2
    try:
        services.add_comment(people["owner"], topic, "一")
        services.add_comment(people["owner"], topic, "二")
        with pytest.raises(DomainError):
            services.add_comment(people["owner"], topic, "三")
    finally:
        del current_app.config["COMMENT_RATE_COUNT"]


# --- reports ---------------------------------------------------------------------------------


def committee_inbox(people) -> list[Message]:
    return list(
        db.session.scalars(select(Message).where(Message.user_id == people["committee"].id))
    )


def test_report_once_per_person_and_the_committee_hears_of_the_first(topic, people):
    c = make_comment(topic, people["owner"], "有人的电话是13812345678")
    services.report_comment(people["tenant"], c, " 泄露电话 ")
    db.session.commit()
    assert c.report_count == 1
    (message,) = committee_inbox(people)
    assert message.params == {"title": topic.title}
    assert message.link.endswith(f"/topics/{topic.id}#c{c.id}")

    with pytest.raises(DomainError, match="already reported"):
        services.report_comment(people["tenant"], c)
    db.session.rollback()

    services.report_comment(people["family"], c)
    db.session.commit()
    assert c.report_count == 2
    assert len(committee_inbox(people)) == 1  # told once, the count shows the rest
    reasons = db.session.scalars(select(CommentReport.reason).order_by(CommentReport.id)).all()
    assert reasons == ["泄露电话", ""]
    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "comment.report").order_by(AuditEntry.id)
    ).all()
    assert [e.detail["reports"] for e in entries] == [1, 2]


def test_own_and_hidden_comments_cannot_be_reported(topic, people):
    c = make_comment(topic, people["owner"])
    with pytest.raises(DomainError, match="own"):
        services.report_comment(people["owner"], c)
    services.hide_comment(people["committee"], c, "spam")
    with pytest.raises(DomainError, match="hidden"):
        services.report_comment(people["tenant"], c)


# --- moderation ------------------------------------------------------------------------------


@pytest.mark.parametrize("code", services.REASON_CODES)
def test_hide_with_each_reason_code_then_restore(topic, people, code):
    c = make_comment(topic, people["owner"], "原文")
    services.hide_comment(people["committee"], c, code, "  请勿张贴  ")
    db.session.commit()
    assert c.hidden_at is not None and c.hidden_by_id == people["committee"].id
    assert (c.hidden_reason_code, c.hidden_reason_text) == (code, "请勿张贴")
    assert c.body == "原文"  # hidden, never deleted
    author_msgs = db.session.scalars(
        select(Message).where(Message.user_id == people["owner"].id)
    ).all()
    assert [m.title for m in author_msgs] == [services.HIDDEN_MESSAGES[code]]

    with pytest.raises(DomainError):
        services.hide_comment(people["committee"], c, code)
    services.restore_comment(people["committee"], c)
    db.session.commit()
    assert c.hidden_at is None and c.hidden_reason_code == "" and c.hidden_by_id is None
    with pytest.raises(DomainError):
        services.restore_comment(people["committee"], c)

    hide, restore = db.session.scalars(
        select(AuditEntry)
        .where(AuditEntry.action.in_(["comment.hide", "comment.restore"]))
        .order_by(AuditEntry.id)
    ).all()
    assert hide.detail["reason"] == code and hide.detail["text"] == "请勿张贴"
    assert hide.actor_id == people["committee"].id and hide.target_id == str(c.id)
    assert restore.detail["was"] == code


@pytest.mark.parametrize("code", ["", "rude", "OFF_TOPIC", None])
def test_an_unknown_reason_code_is_refused(topic, people, code):
    c = make_comment(topic, people["owner"])
    with pytest.raises(DomainError) as err:
        services.hide_comment(people["committee"], c, code)
    assert err.value.field == "reason_code"
    assert c.hidden_at is None


def test_every_step_of_a_discussion_is_in_the_audit_log(community, people):
    committee, owner = people["committee"], people["owner"]
    topic = services.create_topic(committee, community, "议题", "正文")
    services.post_topic(committee, topic)
    c = services.add_comment(owner, topic, "意见")
    services.add_comment(committee, topic, "答复", parent=c)
    services.report_comment(people["tenant"], c)
    services.hide_comment(committee, c, "off_topic")
    services.restore_comment(committee, c)
    db.session.commit()
    assert audit_actions(community.id) == [
        "topic.create",
        "notice.post",
        "topic.post",
        "comment.add",
        "comment.add",
        "comment.report",
        "comment.hide",
        "comment.restore",
    ]
    assert count(Comment) == 2 and count(Topic) == 1


def test_a_report_racing_past_the_check_is_settled_by_the_unique_constraint(
    topic, people, monkeypatch
):
    """Two taps on "report" at once: both pass the pre-check, the constraint refuses the second
    inside a savepoint, and the rest of the transaction survives."""
    c = make_comment(topic, people["owner"])
    db.session.add(CommentReport(comment_id=c.id, user_id=people["tenant"].id))
    db.session.commit()
    real_scalar = db.session.scalar
    skipped = []

    def miss_the_first_report_check(statement, *args, **kwargs):
        if not skipped and "comment_report" in str(statement):
            skipped.append(statement)
            return None
        return real_scalar(statement, *args, **kwargs)

    monkeypatch.setattr(db.session, "scalar", miss_the_first_report_check)
    services.add_comment(people["family"], topic, "同一事务里的其他改动")
    with pytest.raises(DomainError, match="already reported"):
        services.report_comment(people["tenant"], c)
    monkeypatch.undo()
    db.session.commit()
    assert skipped and count(CommentReport) == 1 and count(Comment) == 2
    db.session.refresh(c)
    assert c.report_count == 0  # only the service counts, and it refused
