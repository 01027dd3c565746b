"""Paper ballots (入户征询): one at a time, supersede, sheet import (service and CLI)."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from participation.core.errors import DomainError
from participation.core.models import AuditEntry
from participation.core.timeutil import aware
from participation.voting import services
from participation.voting.models import Ballot, BallotEvent
from tests import factories
from tests.voting import helpers


@pytest.fixture()
def committee(db, community):
    return factories.staff(db.session, "committee", community)


@pytest.fixture()
def vote(db, community, committee):
    return helpers.open_vote(db.session, community, actor=committee)


def ballots(db) -> int:
    return db.session.scalar(select(func.count(Ballot.id)))


def csv_bytes(*rows: str, header: str = "楼栋,单元,房号,意见,编号") -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode("gb18030")


def test_enter_one_paper_ballot(db, community, committee, vote):
    unit = helpers.unit_at(db.session, community, "1", "2", "101")
    result = services.enter_paper_ballot(committee, vote, "agree", "P-001", unit_id=unit.id)
    db.session.commit()
    assert result.channel == "paper" and len(result.receipt) == 8
    ballot = services.ballot_for(vote, unit.owner_id)
    assert (ballot.channel, ballot.reference, ballot.cast_by_user_id) == (
        "paper",
        "P-001",
        committee.id,
    )
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "vote.paper"))
    assert entry.detail["reference"] == "P-001"


def test_paper_input_is_checked(db, community, committee, vote):
    unit = helpers.unit_at(db.session, community, "1", "2", "101")
    with pytest.raises(DomainError, match="number written on the paper"):
        services.enter_paper_ballot(committee, vote, "agree", " ", unit_id=unit.id)
    with pytest.raises(DomainError, match="agree, disagree or abstain"):
        services.enter_paper_ballot(committee, vote, "同意", "P1", unit_id=unit.id)
    other = factories.community(db.session, code="T02", buildings=1, entrances=1, per_entrance=2)
    with pytest.raises(DomainError, match="not in the register"):
        services.enter_paper_ballot(
            committee, vote, "agree", "P1", unit_id=helpers.units_of(db.session, other)[0].id
        )


def test_paper_outside_the_scope_is_refused(db, community, committee):
    entrance = helpers.unit_at(db.session, community, "2", "1", "101").entrance_id
    vote = helpers.open_vote(
        db.session, community, actor=committee, scope_kind="entrance", scope_ids=[entrance]
    )
    unit = helpers.unit_at(db.session, community, "1", "1", "201")
    with pytest.raises(DomainError, match="no home in this vote's scope"):
        services.enter_paper_ballot(committee, vote, "agree", "P1", unit_id=unit.id)


def test_paper_for_an_owner_who_voted_online_is_refused_unless_superseded(
    db, community, committee, vote
):
    unit = helpers.unit_at(db.session, community, "1", "1", "201")
    owner = helpers.owner_account(db.session, community, unit)
    online = services.cast_ballot(owner, vote, "disagree")
    db.session.commit()
    with pytest.raises(DomainError) as err:
        services.enter_paper_ballot(committee, vote, "agree", "P-7", unit_id=unit.id)
    assert "already voted online" in err.value.message
    assert online.receipt_display in err.value.message
    db.session.rollback()
    result = services.enter_paper_ballot(
        committee,
        vote,
        "agree",
        "P-7",
        unit_id=unit.id,
        supersede_reason="业主当面确认纸质表决票",
    )
    db.session.commit()
    assert result.changed and result.previous_choice == "disagree"
    assert result.receipt == online.receipt  # the owner keeps one code
    ballot = services.ballot_for(vote, unit.owner_id)
    assert (ballot.channel, ballot.choice, ballot.reference) == ("paper", "agree", "P-7")
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "vote.supersede"))
    assert entry.actor_id == committee.id
    assert entry.detail["reason"] == "业主当面确认纸质表决票"
    assert entry.detail["previous_channel"] == "online"
    last = services.ballot_history(vote, unit.owner_id)[-1]
    assert (last.kind, last.previous_choice, last.reason) == (
        "supersede",
        "disagree",
        "业主当面确认纸质表决票",
    )


def test_a_second_paper_ballot_is_refused_and_references_are_unique(db, community, committee, vote):
    a = helpers.unit_at(db.session, community, "1", "2", "101")
    b = helpers.unit_at(db.session, community, "1", "2", "102")
    services.enter_paper_ballot(committee, vote, "agree", "P-1", unit_id=a.id)
    with pytest.raises(DomainError, match="already recorded"):
        services.enter_paper_ballot(committee, vote, "disagree", "P-2", unit_id=a.id)
    with pytest.raises(DomainError, match="already used for another ballot"):
        services.enter_paper_ballot(committee, vote, "agree", "P-1", unit_id=b.id)


def test_an_owner_may_change_a_paper_ballot_online(db, community, committee, vote):
    unit = helpers.unit_at(db.session, community, "1", "1", "201")
    services.enter_paper_ballot(committee, vote, "agree", "P-1", unit_id=unit.id)
    owner = helpers.owner_account(db.session, community, unit)
    result = services.cast_ballot(owner, vote, "disagree")
    assert result.changed and result.channel == "online"


# --- importing a sheet --------------------------------------------------------------------


def test_import_a_good_sheet_after_a_dry_run(db, community, committee, vote):
    data = csv_bytes("1,1,101,同意,001", "1,2,101,反对,002", "2,1,201,弃权,003")
    report = services.import_paper_sheet(committee, vote, "sheet.csv", data, dry_run=True)
    assert report.ok and report.rows == 3 and report.created == 0
    db.session.rollback()
    assert ballots(db) == 0
    report = services.import_paper_sheet(committee, vote, "sheet.csv", data)
    db.session.commit()
    assert (report.created, report.skipped, report.errors) == (3, 0, [])
    counts = services.tally(vote)
    assert counts.channels == {"online": 0, "paper": 3, "proxy": 0}
    assert counts.counts.agree.units == 2  # 1-1-101's owner also owns 1-1-102
    assert db.session.scalar(select(func.count(BallotEvent.id))) == 3
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "vote.import_paper"))
    assert entry.detail["created"] == 3
    # Importing the same sheet again changes nothing.
    again = services.import_paper_sheet(committee, vote, "sheet.csv", data)
    assert (again.created, again.skipped, again.errors) == (0, 3, [])


def test_import_an_xlsx_with_register_style_names(db, community, committee, vote):
    wb = Workbook()
    ws = wb.active
    ws.append(["楼栋", "单元", "房号", "意见", "编号"])
    ws.append(["1号楼", "2单元", 101, "同意", 5])
    ws.append(["2栋", "1", "202室", "反对", 6])
    buf = io.BytesIO()
    wb.save(buf)
    report = services.import_paper_sheet(committee, vote, "x.xlsx", buf.getvalue())
    assert report.ok and report.created == 2


def test_bad_rows_are_reported_by_number_and_nothing_is_written(db, community, committee, vote):
    owner = helpers.owner_account(
        db.session, community, helpers.unit_at(db.session, community, "2", "2", "201")
    )
    services.cast_ballot(owner, vote, "agree")
    db.session.commit()
    data = csv_bytes(
        "1,1,201,同意,001",  # row 2: fine
        "9,1,101,同意,002",  # row 3: no such home
        "1,1,101,同意,003",  # row 4: fine
        "1,1,102,反对,004",  # row 5: same owner as row 4
        "2,2,201,反对,005",  # row 6: voted online
        "1,2,101,随便,006",  # row 7: bad choice
        "2,1,101,同意,001",  # row 8: reference of row 2
    )
    report = services.import_paper_sheet(committee, vote, "bad.csv", data)
    assert not report.ok and report.created == 0
    assert [row for row, _message in report.errors] == [3, 5, 6, 7, 8]
    messages = dict(report.errors)
    assert "No home 9-1-101" in messages[3]
    assert "already on row 4" in messages[5]
    assert "already voted online" in messages[6]
    assert "随便" in messages[7]
    assert "also on row 2" in messages[8]
    db.session.rollback()
    assert ballots(db) == 1  # only the online ballot


def test_import_out_of_scope_rows(db, community, committee):
    entrance = helpers.unit_at(db.session, community, "2", "1", "101").entrance_id
    vote = helpers.open_vote(
        db.session, community, actor=committee, scope_kind="entrance", scope_ids=[entrance]
    )
    report = services.import_paper_sheet(
        committee, vote, "x.csv", csv_bytes("2,1,101,同意,1", "1,1,101,同意,2")
    )
    assert report.errors == [(3, "Home 1-1-101 is not in this vote's scope.")]


def test_import_is_refused_when_the_vote_is_not_open(db, community, committee):
    vote = helpers.draft_vote(db.session, community, actor=committee)
    with pytest.raises(DomainError, match="not opened"):
        services.import_paper_sheet(committee, vote, "x.csv", csv_bytes("1,1,101,同意,1"))


def test_cli_import_ballots(app, db, community, committee, vote, tmp_path):
    path = tmp_path / "入户征询.csv"
    path.write_bytes(csv_bytes("1,1,101,同意,001", "1,2,101,反对,002"))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["import-ballots", str(path), "--vote", str(vote.id), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "dry run: 2 row(s) OK" in result.output
    assert ballots(db) == 0
    result = runner.invoke(
        args=["import-ballots", str(path), "--vote", str(vote.id), "--by", committee.phone]
    )
    assert result.exit_code == 0, result.output
    assert "imported 2 paper ballot(s)" in result.output
    db.session.expire_all()
    assert ballots(db) == 2
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "vote.import_paper"))
    assert entry.actor_id == committee.id


def test_cli_import_reports_bad_rows_and_fails(app, db, community, vote, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(csv_bytes("1,1,101,同意,001", "1,1,999,同意,002"))
    result = app.test_cli_runner().invoke(
        args=["import-ballots", str(path), "--vote", str(vote.id)]
    )
    assert result.exit_code != 0
    assert "row 3: No home 1-1-999" in result.output
    assert "nothing was imported" in result.output
    assert ballots(db) == 0


def test_cli_import_refuses_unknown_votes_and_non_committee(app, db, community, vote, tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes(csv_bytes("1,1,101,同意,001"))
    runner = app.test_cli_runner()
    assert (
        "no vote with id"
        in runner.invoke(args=["import-ballots", str(path), "--vote", "999"]).output
    )
    stranger = factories.user(db.session)
    out = runner.invoke(
        args=["import-ballots", str(path), "--vote", str(vote.id), "--by", stranger.phone]
    ).output
    assert "not a committee member" in out


def test_cli_close_and_remind(app, db, community, committee):
    runner = app.test_cli_runner()
    vote = helpers.open_vote(db.session, community, actor=committee)
    assert "sent 0 reminder(s)" in runner.invoke(args=["remind-votes"]).output
    assert "closed vote" not in runner.invoke(args=["close-due-votes"]).output
    vote.opens_at = aware(vote.opens_at) - timedelta(days=8)
    vote.closes_at = aware(vote.opens_at) + timedelta(days=7)
    db.session.commit()
    assert f"closed vote {vote.id}" in runner.invoke(args=["close-due-votes"]).output
    db.session.expire_all()
    assert vote.status == "closed" and vote.final_hash
