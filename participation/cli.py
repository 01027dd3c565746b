"""Operator commands: `flask --app app <command>`."""

from __future__ import annotations

import click
from flask import Flask
from sqlalchemy import select

from .extensions import db


def init_app(app: Flask) -> None:
    @app.cli.command("create-user")
    @click.option("--phone", required=True)
    @click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
    @click.option("--name", default="")
    @click.option("--role", type=click.Choice(["committee", "property", "city"]), required=True)
    @click.option(
        "--community", "community_code", default=None, help="community code (not for city)"
    )
    @click.option("--title", default="")
    def create_user(phone, password, name, role, community_code, title):
        """Create a staff account with a role."""
        from .core.errors import DomainError
        from .core.models import Community
        from .core.services import accounts

        community = None
        if community_code:
            community = db.session.scalar(select(Community).where(Community.code == community_code))
            if community is None:
                raise click.ClickException(f"no community with code {community_code}")
        try:
            user = accounts.create_user(
                phone, password, name, role=role, community=community, title=title
            )
            db.session.commit()
        except DomainError as err:
            db.session.rollback()
            raise click.ClickException(err.message) from err
        click.echo(f"created user {user.id} ({role})")

    from .core import cli_register, cli_seed

    cli_register.init_app(app)
    cli_seed.init_app(app)
    from .voting import cli as voting_cli  # issue 3: import-ballots, close-due-votes, remind-votes

    voting_cli.init_app(app)
    from .build import cli as build_cli  # issue 6: process-issue-deadlines

    build_cli.init_app(app)
