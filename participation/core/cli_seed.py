"""`flask --app app seed-demo [--if-empty] [--reset]`: the demo neighbourhood (see seed.py)."""

from __future__ import annotations

import time

import click
from flask import Flask
from sqlalchemy import select

from ..extensions import db


def init_app(app: Flask) -> None:
    @app.cli.command("seed-demo")
    @click.option(
        "--if-empty", is_flag=True, help="Do nothing when the database already has a community."
    )
    @click.option("--reset", is_flag=True, help="Drop and recreate all tables first.")
    @click.option("--yes", is_flag=True, help="Allow --reset on a database other than SQLite.")
    @click.option("--rng-seed", default=2026, show_default=True, type=int)
    def seed_demo_command(if_empty: bool, reset: bool, yes: bool, rng_seed: int) -> None:
        """Fill the database with the demo communities, accounts and activity."""
        from .models import Community, Invite
        from .seed import DEMO_PASSWORD, logins_table, seed_demo
        from .services.accounts import format_code

        if reset:
            url = db.engine.url
            # Wiping a shared server by mistake is the one thing this command must not do.
            if url.get_backend_name() != "sqlite" and not yes:
                raise click.ClickException(
                    f"--reset would drop every table on {url.render_as_string(hide_password=True)};"
                    " add --yes if you mean it."
                )
            db.session.remove()
            db.drop_all()
            db.create_all()
            click.echo("Dropped and recreated all tables.")
        elif if_empty and db.session.scalar(select(Community.id).limit(1)) is not None:
            click.echo("The database already has communities: demo seed skipped.")
            return

        started = time.perf_counter()
        try:
            summary = seed_demo(rng_seed=rng_seed)
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise
        elapsed = time.perf_counter() - started

        click.echo(
            f"Seeded the demo in {elapsed:.1f} s: {summary.communities} communities, "
            f"{summary.buildings} buildings, {summary.units} units, {summary.owners} owners "
            f"({summary.multi_unit_owners} with several units), {summary.accounts} accounts, "
            f"{summary.residencies} resident links, {summary.invites} invite codes, "
            f"{summary.notices} notices, {summary.messages} inbox messages, "
            f"{summary.audit_entries} audit entries."
        )
        click.echo(f"\nDemo logins (password {DEMO_PASSWORD} for all):\n")
        click.echo(logins_table(summary.logins))
        # A code per community, so signing up can be tried straight away.
        click.echo("\nUnused invite codes to try signing up with:")
        for community in db.session.scalars(select(Community).order_by(Community.code)):
            invite = db.session.scalar(
                select(Invite)
                .where(
                    Invite.community_id == community.id,
                    Invite.used_at.is_(None),
                    Invite.revoked_at.is_(None),
                )
                .order_by(Invite.id)
                .limit(1)
            )
            if invite is not None:
                click.echo(f"  {community.code} {invite.unit.label()}: {format_code(invite.code)}")
