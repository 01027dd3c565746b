"""Voting commands: `flask --app app import-ballots FILE --vote ID [--dry-run] [--by PHONE]`,
`close-due-votes` and `remind-votes` (run both from cron, e.g. every 10 minutes and hourly)."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from sqlalchemy import select

from ..extensions import db
from . import models  # noqa: F401  (the models must be known before create_all / migrations)


def init_app(app: Flask) -> None:
    @app.cli.command("import-ballots")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--vote", "vote_id", type=int, required=True, help="the vote's id")
    @click.option("--dry-run", is_flag=True, help="check every row, write nothing")
    @click.option(
        "--by",
        "by_phone",
        default=None,
        help="phone of the committee member entering the sheet (recorded in the audit log)",
    )
    def import_ballots(file: Path, vote_id: int, dry_run: bool, by_phone: str | None) -> None:
        """Import paper ballots (入户征询) from a CSV or XLSX sheet: all rows or none.

        Columns: building, entrance, room, choice, reference (楼栋, 单元, 房号, 意见 with
        同意/反对/弃权, 编号)."""
        from ..core.errors import DomainError
        from ..core.models import Membership, User
        from ..core.services.accounts import normalise_phone
        from .models import Vote
        from .services import import_paper_sheet

        vote = db.session.get(Vote, vote_id)
        if vote is None:
            raise click.ClickException(f"no vote with id {vote_id}")
        actor = None
        if by_phone:
            actor = db.session.scalar(select(User).where(User.phone == normalise_phone(by_phone)))
            member = actor and db.session.scalar(
                select(Membership.id).where(
                    Membership.user_id == actor.id,
                    Membership.community_id == vote.community_id,
                    Membership.role == "committee",
                )
            )
            if not member:
                raise click.ClickException(
                    f"{by_phone} is not a committee member of this vote's community"
                )
        try:
            report = import_paper_sheet(actor, vote, file.name, file.read_bytes(), dry_run=dry_run)
        except DomainError as err:
            db.session.rollback()
            raise click.ClickException(err.message) from err
        if report.errors:
            db.session.rollback()
            for row, message in report.errors:
                where = f"row {row}" if row else "file"
                click.echo(f"{where}: {message}", err=True)
            raise click.ClickException(
                f"{len(report.errors)} problem(s) in {report.rows} row(s); nothing was imported"
            )
        if dry_run:
            db.session.rollback()
            click.echo(
                f"dry run: {report.rows} row(s) OK; would import "
                f"{report.rows - report.skipped}, {report.skipped} already recorded"
            )
            return
        db.session.commit()
        click.echo(
            f"imported {report.created} paper ballot(s) into vote {vote.id}; "
            f"{report.skipped} already recorded"
        )

    @app.cli.command("close-due-votes")
    def close_due_votes() -> None:
        """Close votes whose closing time has passed (tally, seal, announce) and open drafts
        scheduled to open by themselves."""
        from .services import process_due_votes

        report = process_due_votes()
        db.session.commit()
        for vote_id in report.opened:
            click.echo(f"opened vote {vote_id}")
        for vote_id in report.closed:
            click.echo(f"closed vote {vote_id}")
        for vote_id, message in report.failed:
            click.echo(f"vote {vote_id}: {message}", err=True)

    @app.cli.command("remind-votes")
    def remind_votes() -> None:
        """Remind owners who have not voted, once per vote, before it closes."""
        from .services import send_reminders

        sent = send_reminders()
        db.session.commit()
        click.echo(f"sent {sent} reminder(s)")
