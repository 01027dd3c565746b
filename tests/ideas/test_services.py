"""Idea use cases on a real database: posting with photos, limits, support, moderation and
promotion into the menu. Bad input writes nothing: no row, no file."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from PIL import Image
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from participation.core.errors import DomainError
from participation.core.models import AuditEntry, Building, Message
from participation.core.timeutil import utcnow
from participation.core.uploads import UploadError, upload_path
from participation.extensions import db
from participation.ideas import services
from participation.ideas.models import Idea, IdeaPhoto, IdeaReport, IdeaStatus, IdeaSupport
from participation.plan.models import MenuItem

from .helpers import (
    audit_actions,
    count,
    jpeg_bytes,
    make_idea,
    png_bytes,
    png_zip_polyglot,
    stored_files,
    upload,
)

TITLE, BODY = "楼道口加扶手", "2幢1单元门口台阶没有扶手,老人进出不方便。"


def post(community, user, *, photos=None, title=TITLE, body=BODY, **kw):
    idea = services.create_idea(user, community, title, body, photos=photos, **kw)
    db.session.commit()
    return idea


# --- posting ---------------------------------------------------------------------------------


def test_a_resident_posts_an_idea_with_photos_stripped_of_metadata(ctx, community, people):
    building = db.session.scalar(select(Building).where(Building.community_id == community.id))
    idea = post(
        community,
        people["tenant"],
        photos=[upload(jpeg_bytes((2400, 1800), gps=True)), upload(png_bytes(), "b.png")],
        building=str(building.id),
        place="  东侧车棚旁 ",
    )
    assert (idea.status, idea.support_count, idea.building_id, idea.place) == (
        IdeaStatus.OPEN,
        0,
        building.id,
        "东侧车棚旁",
    )
    photos = services.photos_of(idea)
    assert [p.position for p in photos] == [1, 2]
    with Image.open(upload_path(photos[0].name)) as im:
        assert im.format == "JPEG" and not im.getexif() and max(im.size) == 1600
    assert len(stored_files()) == 6  # two photos, their thumbnails and list-sized copies
    assert audit_actions(community.id) == ["idea.create"]


@pytest.mark.parametrize("relation", ["owner", "family", "tenant"])
def test_owners_family_and_tenants_may_post(ctx, community, people, relation):
    assert post(community, people[relation]).author_id == people[relation].id


@pytest.mark.parametrize(
    "who", ["pending", "committee", "property", "contractor", "city", "outsider"]
)
def test_others_may_not_post(ctx, community, people, who):
    with pytest.raises(DomainError, match="Only residents"):
        services.create_idea(people[who], community, TITLE, BODY)
    db.session.rollback()
    assert count(Idea) == 0


@pytest.mark.parametrize(
    "title,body,field,message",
    [
        ("", BODY, "title", "short title"),
        ("   ", BODY, "title", "short title"),
        (TITLE, "", "body", "describe your idea"),
        (TITLE, " \n\t ", "body", "describe your idea"),
        ("长" * (services.TITLE_MAX + 1), BODY, "title", "too long"),
        (TITLE, "字" * (services.BODY_MAX + 1), "body", "too long: 1001 characters, at most 1000"),
    ],
)
def test_empty_or_overlong_text_is_refused(ctx, community, people, title, body, field, message):
    with pytest.raises(DomainError, match=message) as err:
        services.create_idea(people["owner"], community, title, body, photos=[upload(jpeg_bytes())])
    db.session.rollback()
    assert err.value.field == field
    assert count(Idea) == 0 and count(IdeaPhoto) == 0 and stored_files() == set()


def test_text_at_the_limits_is_accepted_and_control_characters_dropped(ctx, community, people):
    idea = post(
        community,
        people["owner"],
        title="题" * services.TITLE_MAX,
        body="a\x00b\r\n" + "字" * (services.BODY_MAX - 4),
    )
    assert len(idea.title) == services.TITLE_MAX
    assert idea.body.startswith("ab\n") and len(idea.body) == services.BODY_MAX - 1


def test_a_building_of_another_community_is_refused(ctx, community, people):
    other = db.session.scalar(select(Building).where(Building.community_id != community.id))
    for bad in (str(other.id), "abc", "999999"):
        with pytest.raises(DomainError, match="choose a building") as err:
            services.create_idea(people["owner"], community, TITLE, BODY, building=bad)
        db.session.rollback()
        assert err.value.field == "building"
    too_long = "地" * (services.PLACE_MAX + 1)
    with pytest.raises(DomainError, match="place"):
        services.create_idea(people["owner"], community, TITLE, BODY, place=too_long)


def _refused(ctx_people, community, files, message):
    with pytest.raises(UploadError, match=message):
        services.create_idea(ctx_people, community, TITLE, BODY, photos=files)
    db.session.rollback()
    assert count(Idea) == 0 and count(IdeaPhoto) == 0
    assert stored_files() == set(), "a refused idea left files behind"


def test_four_photos_are_refused_before_anything_is_stored(ctx, community, people):
    files = [upload(jpeg_bytes()) for _ in range(services.MAX_PHOTOS + 1)]
    _refused(people["owner"], community, files, "at most 3 photos")


def test_three_photos_are_accepted(ctx, community, people):
    idea = post(community, people["owner"], photos=[upload(jpeg_bytes()) for _ in range(3)])
    assert len(services.photos_of(idea)) == 3


@pytest.mark.parametrize(
    "data,name",
    [
        (b"%PDF-1.4 a document", "scan.pdf"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'></svg>", "x.svg"),
        (b"MZ\x90\x00 an executable", "photo.jpg"),
        (b"", "empty.jpg"),
    ],
)
def test_non_images_are_refused_and_earlier_photos_removed(ctx, community, people, data, name):
    # The good photo comes first: it is stored, then removed when the second is refused.
    files = [upload(jpeg_bytes()), upload(data, name)]
    _refused(people["owner"], community, files, "not a photo|empty")


def test_a_png_zip_polyglot_is_refused(ctx, community, people):
    _refused(people["owner"], community, [upload(png_zip_polyglot(), "p.png")], "archive inside")


def test_an_oversized_photo_is_refused(ctx, app, community, people, monkeypatch):
    monkeypatch.setitem(app.config, "IDEA_PHOTO_MAX_BYTES", 2 * 1024 * 1024)
    big = jpeg_bytes() + b"\x00" * (2 * 1024 * 1024)
    _refused(people["owner"], community, [upload(jpeg_bytes()), upload(big)], "too large")


def test_posting_is_rate_limited_per_person(ctx, app, community, people, monkeypatch):
    monkeypatch.setitem(app.config, "IDEA_RATE_COUNT", 2)
    now = utcnow()
    for n in range(2):
        services.create_idea(people["owner"], community, f"{TITLE}{n}", BODY, now=now)
    with pytest.raises(DomainError, match="posted 2 ideas in 60 minutes"):
        services.create_idea(people["owner"], community, TITLE, BODY, now=now)
    db.session.rollback()
    # Someone else is not held back, and the owner may post again after the window.
    services.create_idea(people["family"], community, TITLE, BODY, now=now)
    later = now + timedelta(minutes=61)
    services.create_idea(people["owner"], community, TITLE, BODY, now=later)


# --- editing and withdrawing -----------------------------------------------------------------


def test_the_author_edits_and_adds_photos_up_to_three(ctx, community, people):
    idea = post(community, people["owner"], photos=[upload(jpeg_bytes()), upload(jpeg_bytes())])
    added = services.update_idea(
        people["owner"], idea, "新标题", "新内容", photos=[upload(jpeg_bytes())]
    )
    db.session.commit()
    assert (idea.title, idea.body, len(added), added[0].position) == ("新标题", "新内容", 1, 3)
    assert idea.updated_at is not None
    with pytest.raises(UploadError, match="it has 3 already"):
        services.update_idea(
            people["owner"], idea, "新标题", "新内容", photos=[upload(jpeg_bytes())]
        )
    db.session.rollback()
    assert len(services.photos_of(idea)) == 3 and len(stored_files()) == 9
    names = services.remove_photo(people["owner"], idea, services.photos_of(idea)[0])
    db.session.commit()
    assert len(names) == 2 and len(services.photos_of(idea)) == 2
    assert audit_actions(community.id) == ["idea.create", "idea.update", "idea.photo_remove"]


def test_only_the_author_edits_and_never_once_promoted(ctx, community, people):
    idea = post(community, people["owner"])
    with pytest.raises(DomainError, match="Only the author"):
        services.update_idea(people["family"], idea, "x", "y")
    services.promote_idea(people["committee"], idea)
    db.session.commit()
    with pytest.raises(DomainError, match="renovation menu"):
        services.update_idea(people["owner"], idea, "x", "y")
    with pytest.raises(DomainError, match="renovation menu"):
        services.withdraw_idea(people["owner"], idea)


def test_withdrawing(ctx, community, people):
    idea = post(community, people["tenant"])
    with pytest.raises(DomainError, match="Only the author"):
        services.withdraw_idea(people["committee"], idea)
    services.withdraw_idea(people["tenant"], idea)
    db.session.commit()
    assert idea.status == IdeaStatus.WITHDRAWN and idea.withdrawn_at is not None
    with pytest.raises(DomainError, match="withdrawn"):
        services.withdraw_idea(people["tenant"], idea)
    with pytest.raises(DomainError, match="withdrawn"):
        services.support(people["owner"], idea)
    with pytest.raises(DomainError, match="withdrawn"):
        services.promote_idea(people["committee"], idea)


# --- support -----------------------------------------------------------------------------------


def _supports(idea) -> int:
    """Support rows of the idea, counted in the database (the count column must agree)."""
    from sqlalchemy import func

    return db.session.scalar(
        select(func.count(IdeaSupport.id)).where(IdeaSupport.idea_id == idea.id)
    )


def test_support_once_per_account_a_double_tap_counts_once(ctx, community, people):
    idea = make_idea(community, people["neighbour"])
    assert services.support(people["owner"], idea) is True
    assert services.support(people["owner"], idea) is False  # the second tap
    db.session.commit()
    assert services.support(people["family"], idea) is True
    db.session.commit()
    assert idea.support_count == 2 == _supports(idea)
    assert services.unsupport(people["owner"], idea) is True
    assert services.unsupport(people["owner"], idea) is False
    db.session.commit()
    assert idea.support_count == 1 == _supports(idea)
    assert services.supported_ids(people["family"], [idea.id]) == {idea.id}
    assert services.supported_ids(people["owner"], [idea.id]) == set()


def test_the_database_refuses_a_second_support_row(ctx, community, people):
    idea = make_idea(community, people["neighbour"])
    db.session.add(IdeaSupport(idea_id=idea.id, user_id=people["owner"].id))
    db.session.commit()
    db.session.add(IdeaSupport(idea_id=idea.id, user_id=people["owner"].id))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_a_support_racing_past_the_check_is_settled_by_the_constraint(ctx, community, people):
    """Another server inserted the same support between this request's check and its insert:
    the savepoint absorbs the conflict and the count does not move."""
    idea = make_idea(community, people["neighbour"])
    services.support(people["owner"], idea)
    db.session.commit()
    assert services.support(people["owner"], idea) is False
    db.session.commit()
    assert idea.support_count == 1 == _supports(idea)


@pytest.mark.parametrize(
    "who,message",
    [
        ("neighbour", "your own idea"),
        ("committee", "Only residents"),
        ("property", "Only residents"),
        ("city", "Only residents"),
        ("outsider", "Only residents"),
        ("pending", "Only residents"),
    ],
)
def test_who_may_not_support(ctx, community, people, who, message):
    idea = make_idea(community, people["neighbour"])
    with pytest.raises(DomainError, match=message):
        services.support(people[who], idea)
    db.session.rollback()
    assert count(IdeaSupport) == 0


def test_hidden_and_promoted_ideas_take_no_support(ctx, community, people):
    hidden = make_idea(community, people["neighbour"], hidden=True)
    promoted = make_idea(community, people["neighbour"], status="promoted")
    with pytest.raises(DomainError, match="hid"):
        services.support(people["owner"], hidden)
    with pytest.raises(DomainError, match="renovation menu"):
        services.support(people["owner"], promoted)


# --- reports and moderation ----------------------------------------------------------------


def _inbox(user) -> list[Message]:
    return list(db.session.scalars(select(Message).where(Message.user_id == user.id)))


def test_reports_once_each_and_the_committee_hears_of_the_first(ctx, community, people):
    idea = make_idea(community, people["neighbour"])
    services.report_idea(people["owner"], idea, "有人的电话号码")
    db.session.commit()
    with pytest.raises(DomainError, match="already reported"):
        services.report_idea(people["owner"], idea)
    db.session.rollback()
    services.report_idea(people["property"], idea)
    db.session.commit()
    assert idea.report_count == 2 == count(IdeaReport)
    assert len(_inbox(people["committee"])) == 1
    with pytest.raises(DomainError, match="your own idea"):
        services.report_idea(people["neighbour"], idea)
    with pytest.raises(DomainError, match="under 300"):
        services.report_idea(people["family"], idea, "x" * 301)


def test_hide_with_a_reason_and_restore(ctx, community, people):
    idea = make_idea(community, people["neighbour"])
    with pytest.raises(DomainError, match="choose a reason") as err:
        services.hide_idea(people["committee"], idea, "ugly")
    assert err.value.field == "reason_code"
    with pytest.raises(DomainError, match="under 300"):
        services.hide_idea(people["committee"], idea, "spam", "x" * 301)
    assert idea.hidden_at is None
    services.hide_idea(people["committee"], idea, "personal_data", "写了邻居的电话")
    db.session.commit()
    assert (idea.hidden, idea.hidden_reason_code, idea.hidden_reason_text) == (
        True,
        "personal_data",
        "写了邻居的电话",
    )
    [told] = _inbox(people["neighbour"])
    assert told.title == services.HIDDEN_MESSAGES["personal_data"] and told.params
    with pytest.raises(DomainError, match="already hidden"):
        services.hide_idea(people["committee"], idea, "spam")
    services.restore_idea(people["committee"], idea)
    db.session.commit()
    assert not idea.hidden and idea.hidden_reason_code == ""
    with pytest.raises(DomainError, match="not hidden"):
        services.restore_idea(people["committee"], idea)
    entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action.like("idea.%")).order_by(AuditEntry.id)
    ).all()
    assert [e.action for e in entries] == ["idea.hide", "idea.restore"]
    assert entries[0].detail["reason"] == "personal_data"
    assert entries[1].detail["was"] == "personal_data"


def test_moderation_shares_consults_reasons():
    from participation.consult import services as consult

    assert services.REASON_CODES is consult.REASON_CODES
    assert set(services.HIDDEN_MESSAGES) == set(consult.REASON_CODES)


# --- into the menu -------------------------------------------------------------------------


def test_promote_adds_a_menu_item_links_it_and_tells_the_author(ctx, community, people):
    idea = make_idea(community, people["tenant"], supports=7)
    item = services.promote_idea(people["committee"], idea)
    db.session.commit()
    assert (item.community_id, item.category, item.name_zh, item.description_zh, item.key) == (
        community.id,
        "improvement",
        idea.title,
        idea.body,
        None,
    )
    assert (idea.status, idea.menu_item_id) == (IdeaStatus.PROMOTED, item.id)
    assert idea.promoted_by_id == people["committee"].id
    [told] = _inbox(people["tenant"])
    assert "added your idea" in told.title and told.link.endswith(f"/ideas/{idea.id}")
    actions = audit_actions(community.id)
    assert actions[-2:] == ["menu.add", "idea.promote"]
    with pytest.raises(DomainError, match="renovation menu"):
        services.promote_idea(people["committee"], idea)


def test_promote_with_the_committees_wording_and_cost(ctx, community, people):
    idea = make_idea(community, people["tenant"])
    values = services.menu_prefill(idea) | {
        "name_en": "Handrails at the doors",
        "cost_basis": "total",
        "cost_amount": "12000",
    }
    item = services.promote_idea(people["committee"], idea, **values)
    db.session.commit()
    assert (item.name_en, item.cost_amount) == ("Handrails at the doors", Decimal("12000.00"))


def test_a_refused_promotion_changes_nothing(ctx, community, people):
    idea = make_idea(community, people["tenant"])
    values = services.menu_prefill(idea) | {"cost_basis": "total", "cost_amount": "-5"}
    with pytest.raises(DomainError, match="negative"):
        services.promote_idea(people["committee"], idea, **values)
    db.session.rollback()
    assert idea.status == IdeaStatus.OPEN and idea.menu_item_id is None
    assert count(MenuItem) == 0 or not db.session.scalar(
        select(MenuItem.id).where(MenuItem.key.is_(None))
    )
    hidden = make_idea(community, people["tenant"], hidden=True)
    with pytest.raises(DomainError, match="Show the idea again"):
        services.promote_idea(people["committee"], hidden)


def test_prefill_follows_the_language_of_the_idea(ctx, community, people):
    zh = make_idea(community, people["owner"])
    en = make_idea(community, people["owner"], title="Benches", body="Two benches under the tree.")
    assert services.menu_prefill(zh)["name_zh"] == zh.title
    assert services.menu_prefill(zh)["name_en"] == ""
    assert services.menu_prefill(en)["name_en"] == "Benches"
    assert services.menu_prefill(en)["description_en"] == "Two benches under the tree."
