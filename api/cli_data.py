"""Data protection commands of the CLI: ``purge`` (retention) and ``subject-access`` (one child's data).

Both work on the service database (``--database URL``, else ``DATABASE_URL``, else the embedded SQLite
file) in one transaction and leave an audit event as the user ``cli``. Output on stdout (``purge
--json``: one JSON object; ``subject-access``: always JSON); notices on stderr. Bad input exits 2
naming the record and field; a database failure exits 1 with nothing written.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from sqlalchemy.exc import DBAPIError

from api import data_protection
from api.cli_service import DatabaseOption, _say, _settings
from api.deps import Principal
from api.settings import Settings
from store import migrate
from store.db import Database, normalise_url
from store.errors import NotFound
from store.repositories import Repositories

#: Who the audit trail says acted, for data protection work done from the command line.
CLI_PRINCIPAL = Principal("cli", "admin", "cli")


@contextmanager
def _transaction(settings: Settings, *, commit: bool = True) -> Iterator[Repositories]:
    """Repositories in one transaction on a migrated database (rolled back unless ``commit``)."""
    url = settings.database_url
    db = Database(url)
    try:
        if migrate.current(db.engine) != migrate.head():
            shown = normalise_url(url).render_as_string()
            _say(f"error: {shown}: the database is not set up: run `placematch db upgrade`")
            raise typer.Exit(2)
        session = db.sessions()
        try:
            yield Repositories(session)
            if commit:
                session.commit()
            else:
                session.rollback()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()
    except DBAPIError as error:
        _say(f"error: the database failed ({type(error.orig).__name__}); nothing was changed: run it again")
        raise typer.Exit(1) from None
    finally:
        db.dispose()


def purge_command(
    older_than_days: Annotated[
        int | None,
        typer.Option(
            "--older-than-days",
            min=0,
            max=36500,
            help="Delete closed records last changed more than this many days ago (default PLACEMATCH_RETENTION_DAYS).",
        ),
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Count what would be deleted; delete nothing.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")] = False,
    database: DatabaseOption = None,
) -> None:
    """Delete closed placement requests past the retention period, with their options, decisions, rank
    runs and ended placements, and children no request names any more (with their placement history):
    running or recent placements keep theirs. All or nothing, with an audit event of the counts."""
    settings = _settings(database)
    days = settings.retention_days if older_than_days is None else older_than_days
    with _transaction(settings, commit=not dry_run) as repos:
        report = data_protection.purge(repos, CLI_PRINCIPAL, days, dry_run=dry_run)
    if as_json:
        sys.stdout.write(json.dumps(report.to_json()) + "\n")
        return
    verb = "would delete" if dry_run else "deleted"
    counts = ", ".join(f"{n} {kind.replace('_', ' ')}" for kind, n in report.counts.as_dict().items())
    print(f"{verb} closed records last changed before {report.cutoff:%Y-%m-%d %H:%M} UTC: {counts}")


def subject_access_command(
    child_id: Annotated[str, typer.Argument(help="The child's id.", show_default=False)],
    database: DatabaseOption = None,
) -> None:
    """Print everything held about one child as JSON (a subject access request); the export is audited."""
    settings = _settings(database)
    try:
        with _transaction(settings) as repos:
            export = data_protection.subject_access(repos, CLI_PRINCIPAL, child_id)
    except NotFound as error:
        _say(f"error: child {child_id}, field child_id: {error}")
        raise typer.Exit(2) from None
    sys.stdout.write(json.dumps(export, ensure_ascii=False, indent=1) + "\n")


def register(app: typer.Typer) -> None:
    """Add the data protection commands to the CLI."""
    app.command("purge")(purge_command)
    app.command("subject-access")(subject_access_command)
