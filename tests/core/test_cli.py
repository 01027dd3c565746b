"""Operator commands."""

from __future__ import annotations

from sqlalchemy import select

from participation.core.models import Membership, User


def test_create_user_with_role(app, db, community):
    result = app.test_cli_runner().invoke(
        args=[
            "create-user",
            "--phone",
            "13700001111",
            "--password",
            "long-enough",
            "--role",
            "committee",
            "--community",
            "T01",
        ]
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.phone == "13700001111"))
    assert (
        db.session.scalar(select(Membership.role).where(Membership.user_id == user.id))
        == "committee"
    )


def test_create_user_refusals_are_messages_not_crashes(app, db, community):
    runner = app.test_cli_runner()
    bad_phone = runner.invoke(
        args=["create-user", "--phone", "123", "--password", "long-enough", "--role", "city"]
    )
    assert bad_phone.exit_code == 1 and "11" in bad_phone.output
    no_comm = runner.invoke(
        args=[
            "create-user",
            "--phone",
            "13700002222",
            "--password",
            "long-enough",
            "--role",
            "committee",
            "--community",
            "NOPE",
        ]
    )
    assert no_comm.exit_code == 1 and "NOPE" in no_comm.output
    assert db.session.scalar(select(User.id).where(User.phone == "13700002222")) is None
