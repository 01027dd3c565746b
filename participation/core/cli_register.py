"""Operator commands for the register: `create-community` and `import-households`."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from flask_babel import force_locale
from sqlalchemy import select

from ..extensions import db
from .errors import DomainError
from .models import Community
from .register_import import UnreadableSheet, parse_file
from .services import register as register_service

LANGS = click.Choice(["zh_Hans", "en"])


def _lang(lang: str | None) -> str:
    # No request here, so Babel cannot pick a language from cookies: it must be forced.
    return lang or current_app.config.get("BABEL_DEFAULT_LOCALE", "zh_Hans")


def echo_plan(plan: register_service.ImportPlan, *, limit: int = 50) -> None:
    """The plan as plain text: counts, then changes and missing units (the first `limit`),
    then every row error."""
    c = plan.counts()
    click.echo(f"rows read:            {c['rows']}")
    click.echo(f"buildings to create:  {c['buildings_new']}")
    click.echo(f"entrances to create:  {c['entrances_new']}")
    click.echo(f"units to create:      {c['units_new']}")
    click.echo(f"owners to create:     {c['owners_new']}")
    click.echo(f"owners to update:     {c['owners_changed']}")
    click.echo(f"units to update:      {c['units_changed']}")
    click.echo(f"units unchanged:      {c['units_unchanged']}")
    click.echo(f"units not in sheet:   {c['units_missing']} (kept, never deleted)")
    for change in plan.units_changed[:limit]:
        parts = []
        if change.area_changed:
            parts.append(f"area {change.area_before} -> {change.area_after}")
        if change.owner_changed:
            parts.append(f"owner {change.owner_before} -> {change.owner_after}")
        click.echo(f"  row {change.row}: {change.label}: {'; '.join(parts)}")
    for change in plan.owners_changed[:limit]:
        click.echo(
            f"  row {change.row}: owner {change.key}: "
            f"{change.name_before or '-'} {change.phone_before or '-'} -> "
            f"{change.name_after or '-'} {change.phone_after or '-'}"
        )
    if len(plan.units_changed) + len(plan.owners_changed) > 2 * limit:
        click.echo(f"  (only the first {limit} of each kind of change are listed)")
    if plan.units_missing:
        more = (
            f" and {len(plan.units_missing) - limit} more"
            if len(plan.units_missing) > limit
            else ""
        )
        click.echo(f"  not in the sheet: {', '.join(plan.units_missing[:limit])}{more}")
    for error in plan.errors:
        click.echo(f"row {error.row}: {error.reason}", err=True)


def init_app(app: Flask) -> None:
    @app.cli.command("create-community")
    @click.argument("code")
    @click.argument("name")
    @click.option("--name-en", default="", help="English name")
    @click.option("--district", default="")
    @click.option("--address", default="")
    @click.option("--lang", type=LANGS, default=None, help="language of messages")
    def create_community(code, name, name_en, district, address, lang):
        """Create a community (with its renovation project) to import a register into."""
        with force_locale(_lang(lang)):
            try:
                community = register_service.create_community(
                    None, code, name, name_en=name_en, district=district, address=address
                )
                db.session.commit()
            except DomainError as err:
                db.session.rollback()
                raise click.ClickException(err.message) from err
        click.echo(f"created community {community.code} ({community.name})")

    @app.cli.command("import-households")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--community", "code", required=True, help="community code")
    @click.option("--dry-run", is_flag=True, help="show what would change, write nothing")
    @click.option("--lang", type=LANGS, default=None, help="language of messages")
    def import_households(file: Path, code: str, dry_run: bool, lang: str | None):
        """Import the household register from a CSV or XLSX sheet.

        Exits with 1, writing nothing, when any row is bad; every bad row is listed with its
        row number (the header is row 1)."""
        with force_locale(_lang(lang)):
            community = db.session.scalar(select(Community).where(Community.code == code))
            if community is None:
                raise click.ClickException(f"no community with code {code}")
            try:
                sheet = parse_file(file.read_bytes(), file.name)
            except UnreadableSheet as err:
                raise click.ClickException(f"{file.name}: {err.reason}") from err
            if dry_run or not sheet.ok:
                plan = register_service.plan_import(community, sheet)
                echo_plan(plan)
                db.session.rollback()
                if not plan.ok:
                    click.echo(
                        f"{plan.bad_rows} row(s) with errors: nothing was imported.", err=True
                    )
                    click.get_current_context().exit(1)
                click.echo("dry run: nothing was written.")
                return
            try:
                plan = register_service.apply_import(None, community, sheet)
                db.session.commit()
            except DomainError as err:
                db.session.rollback()
                raise click.ClickException(err.message) from err
            echo_plan(plan)
            click.echo("imported." if plan.has_changes else "the register already matches.")
