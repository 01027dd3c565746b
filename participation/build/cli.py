"""`flask --app app process-issue-deadlines`: escalate overdue issue reports to the committee
(each missed deadline once) and close fixed ones left unconfirmed for 7 days. Run it from cron
every few minutes, like close-due-votes; running it again changes nothing."""

from __future__ import annotations

import click
from flask import Flask, current_app

from ..extensions import db
from . import models  # noqa: F401  (the models must be known before create_all / migrations)


def init_app(app: Flask) -> None:
    @app.cli.command("process-issue-deadlines")
    def process_issue_deadlines() -> None:
        """Escalate overdue issue reports and close fixed ones nobody confirmed."""
        from .services import process_deadlines

        # Inbox links are built with url_for, which needs a request context outside a view.
        with current_app.test_request_context("/"):
            report = process_deadlines()
            db.session.commit()
        for issue_id, stage in report.escalated:
            click.echo(f"escalated issue {issue_id} ({stage} deadline missed)")
        for issue_id in report.closed:
            click.echo(f"closed issue {issue_id} (fixed, not confirmed in time)")
        click.echo(f"{len(report.escalated)} escalation(s), {len(report.closed)} closed")
