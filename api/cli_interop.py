"""Interop commands of the CLI: ``import-referral``, ``import-households``, ``import-postcodes``, ``export-referral``.

Each works on the service database (``--database URL``, else ``DATABASE_URL``, else the embedded SQLite
file), which must be migrated (``placematch db upgrade``). Every import is one transaction: a file with
any problem writes nothing, and the command exits 2 listing each problem with its file, record (or
row), field (or column), value and why. Output for people on stdout (``--json``: one JSON object);
progress and problems on stderr. Nothing about a child is logged.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from pydantic import BaseModel
from sqlalchemy.exc import DBAPIError

from api.deps import Principal
from api.routers.interop import export_request, import_households, import_postcodes, import_referral
from api.settings import Settings
from domain.errors import InputError
from store import migrate
from store.db import Database, normalise_url
from store.errors import StoreError
from store.repositories import Repositories

#: Who the audit trail says acted, for changes made from the command line.
CLI_PRINCIPAL = Principal("cli", "admin", "cli")

DatabaseOption = Annotated[
    str | None,
    typer.Option("--database", help="Database URL (default: DATABASE_URL, else the embedded SQLite file)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")]
FileArgument = Annotated[Path, typer.Argument(help="The file to import.", show_default=False)]


def _say(message: str) -> None:
    print(f"placematch: {message}", file=sys.stderr, flush=True)


def _fail(error: InputError) -> NoReturn:
    for problem in error.problems:
        print(f"error: {problem}", file=sys.stderr)
    raise typer.Exit(2)


def _emit(result: BaseModel | dict[str, Any]) -> None:
    payload = result.model_dump(mode="json") if isinstance(result, BaseModel) else result
    sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=1) + "\n")


def _audit(repos: Repositories, action: str, subject_type: str, subject_id: str | None, detail: dict[str, Any]) -> None:
    """An audit event for a change made from the command line (no log line: stdout stays clean)."""
    repos.audit.add(
        actor=CLI_PRINCIPAL.username,
        role=CLI_PRINCIPAL.role,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        reason=None,
        detail=detail,
    )


@contextmanager
def _transaction(database: str | None, source: str) -> Iterator[Repositories]:
    """Repositories in one transaction on a migrated database; bad input or a conflict exits 2, rolled back."""
    url = Settings(database_url=database).database_url if database else Settings().database_url
    shown = normalise_url(url).render_as_string(hide_password=True)
    db = Database(url)
    try:
        if migrate.current(db.engine) != migrate.head():
            _fail(InputError.one(shown, "", "", "the database is not set up: run `placematch db upgrade`"))
        with db.transaction() as session:
            yield Repositories(session)
    except InputError as error:
        _fail(error)
    except StoreError as error:
        _fail(InputError.one(source, "", "", str(error)))
    except DBAPIError as error:  # the database went away mid-transaction: it was rolled back whole
        _say(f"error: {source}: the database failed ({type(error.orig).__name__}); nothing was written: run it again")
        raise typer.Exit(1) from None
    finally:
        db.dispose()


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        _fail(InputError.one(str(path), "", "", f"cannot read the file: {error.strerror}"))


def import_referral_command(
    file: FileArgument,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check and report; write nothing.")] = False,
    as_json: JsonOption = False,
    database: DatabaseOption = None,
) -> None:
    """Import a Placements Standard referral (JSON) as children and a waiting placement request."""
    source = str(file)
    try:
        raw = json.loads(_read_bytes(file).decode("utf-8-sig"))
    except UnicodeDecodeError:
        _fail(InputError.one(source, "", "", "not UTF-8 text"))
    except json.JSONDecodeError as error:
        _fail(InputError.one(source, f"line {error.lineno}", "", f"not valid JSON: {error.msg}"))
    with _transaction(database, source) as repos:
        result = import_referral(repos, raw, source, dry_run=dry_run)
        if not dry_run:
            detail = {"children": result.children, "created_children": result.created_children}
            _audit(repos, "referral.import", "request", result.request_id, detail)
    if as_json:
        _emit(result)
        return
    verb = "would import" if dry_run else "imported"
    created = "new request" if result.request_created else "updated request"
    print(f"{verb} {created} {result.request_id} for children {', '.join(result.children)}")
    if result.created_children:
        print(f"  new children: {', '.join(result.created_children)}")
    if result.updated_children:
        print(f"  children updated: {', '.join(result.updated_children)}")
    for note in result.notes:
        print(f"  note: {note}")
    if result.reported:
        print("Fields with no meaning in placematch (reported here, not stored):")
        for item in result.reported:
            print(f"  child {item.child_id}: {item.field} = {json.dumps(item.value, ensure_ascii=False)} ({item.note})")


def import_households_command(
    file: FileArgument,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Report every problem (row, column, value, why); write nothing.")
    ] = False,
    as_json: JsonOption = False,
    database: DatabaseOption = None,
) -> None:
    """Import fostering households from a carer spreadsheet (.csv or .xlsx; layout in docs/interop.md)."""
    source = str(file)
    suffix = file.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        _fail(InputError.one(source, "", "", f"expected a .csv or .xlsx file, not {suffix or 'no extension'}"))
    data = _read_bytes(file)
    if suffix == ".xlsx" and not data.startswith(b"PK\x03\x04"):
        _fail(InputError.one(source, "", "", "not an XLSX workbook (an old .xls? save it as .xlsx or CSV)"))
    with _transaction(database, source) as repos:
        result = import_households(repos, data, source, CLI_PRINCIPAL.username, dry_run=dry_run)
        if not dry_run:
            detail = {"created": result.created, "updated": result.updated}
            _audit(repos, "households.import", "household", None, detail)
    if as_json:
        _emit(result)
        return
    verb = "no problems found; would create" if dry_run else "created"
    print(f"{verb} {len(result.created)} households, {'would update' if dry_run else 'updated'} {len(result.updated)}")


def import_postcodes_command(
    file: FileArgument,
    replace: Annotated[bool, typer.Option("--replace", help="Empty the postcode table first.")] = False,
    as_json: JsonOption = False,
    database: DatabaseOption = None,
) -> None:
    """Load a postcode table (ONS Postcode Directory or Code-Point Open CSV) so postcodes resolve offline."""
    source = str(file)
    try:
        stream = open(file, encoding="utf-8-sig", newline="")  # noqa: SIM115  (closed below, after the import)
    except OSError as error:
        _fail(InputError.one(source, "", "", f"cannot read the file: {error.strerror}"))
    step = 100_000

    def progress(written: int) -> None:
        if written % step < 2000:
            _say(f"{written:,} postcodes read")

    try:
        with _transaction(database, source) as repos:
            result = import_postcodes(repos, stream, source, replace=replace, progress=progress)
            _audit(repos, "postcodes.import", "postcodes", None, {"imported": result.imported})
    finally:
        stream.close()
    if as_json:
        _emit(result)
        return
    layout = {"onspd": "ONS Postcode Directory", "codepoint": "Code-Point Open"}.get(result.layout, result.layout)
    print(
        f"loaded {result.imported:,} postcodes ({layout} layout); {result.skipped:,} rows without coordinates "
        f"skipped; the table now holds {result.total:,}"
    )


def export_referral_command(
    request_id: Annotated[str, typer.Argument(help="Placement request id.", show_default=False)],
    out: Annotated[Path | None, typer.Option("--out", help="Write the JSON here instead of stdout.")] = None,
    database: DatabaseOption = None,
) -> None:
    """Export a request, its children and its accepted match as a Placements Standard referral (JSON)."""
    with _transaction(database, "export-referral") as repos:
        document = export_request(repos, request_id)
        _audit(repos, "referral.export", "request", request_id, {})
    for note in document["placematch"]["notes"]:
        _say(f"note: {note}")
    text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text, encoding="utf-8")
        _say(f"wrote {out}")


def register(app: typer.Typer) -> None:
    """Add the interop commands to the CLI."""
    app.command("import-referral")(import_referral_command)
    app.command("import-households")(import_households_command)
    app.command("import-postcodes")(import_postcodes_command)
    app.command("export-referral")(export_referral_command)
