"""Service commands of the CLI: ``serve``, ``db upgrade|downgrade|current``, ``users add|api-key``.

``placematch serve --demo`` is the first command of the README: it creates the embedded SQLite
database (or uses ``--database``/``DATABASE_URL``), migrates it, loads the demo county when the
database is empty, creates one demo user per role and serves the API with its docs at ``/docs``.
"""

from __future__ import annotations

import importlib.util
import os
import secrets
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from api import batch
from api.auth import ROLES, PasswordHashing, new_api_key
from api.deps import Principal
from api.logs import configure_logging
from api.ranking import BatchScarcity
from api.settings import Settings
from domain.errors import InputError
from domain.load import load_snapshot
from domain.snapshot import Snapshot
from matching.batch import BatchAnswer
from matching.index import SnapshotIndex
from store import migrate
from store.db import Database, normalise_url
from store.errors import StoreError
from store.repositories import Repositories

DEMO_FIXTURE = "demo-county.json"
#: Seconds an idle keep-alive connection stays open: longer than the clients' and proxies' own idle
#: timeouts (uvicorn's default of 5 s equals httpx's, and a request sent as the server closes is lost).
KEEP_ALIVE_S = 75

DatabaseOption = Annotated[
    str | None,
    typer.Option("--database", help="Database URL (default: DATABASE_URL, else the embedded SQLite file)."),
]


def _say(message: str) -> None:
    """Progress and notices go to stderr, so stdout stays clean for anything a script reads."""
    print(f"placematch: {message}", file=sys.stderr, flush=True)


def _settings(database: str | None) -> Settings:
    return Settings(database_url=database) if database else Settings()


def _shown(url: str) -> str:
    return normalise_url(url).render_as_string(hide_password=True)


def demo_fixture() -> Path | None:
    """The bundled demo county snapshot, if the fixtures package has it."""
    spec = importlib.util.find_spec("fixtures")
    folders = list(spec.submodule_search_locations or []) if spec is not None else []
    for folder in folders:  # an editable install may list more than the real folder
        path = Path(folder) / DEMO_FIXTURE
        if path.is_file():
            return path
    return None


def snapshot_from_database(database: str | None) -> Snapshot:
    """The database's current state as a snapshot (for ``placematch rank`` without ``--snapshot``)."""
    settings = _settings(database)
    url = settings.database_url
    db = Database(url)
    try:
        if migrate.current(db.engine) != migrate.head():
            raise InputError.one(_shown(url), "", "", "the database is not set up: run `placematch db upgrade`")
        with db.transaction() as session:
            return Repositories(session).snapshots.load(settings.current_date())
    finally:
        db.dispose()


def prepare_demo(db: Database, settings: Settings) -> None:
    """Load the demo county into an empty database and (re)set the demo users' password."""
    with db.transaction() as session:
        repos = Repositories(session)
        if repos.snapshots.is_empty():
            fixture = demo_fixture()
            if fixture is None:
                _say(f"fixtures/{DEMO_FIXTURE} not found: starting with an empty database")
            else:
                counts = repos.snapshots.import_snapshot(load_snapshot(fixture), actor="demo", source=str(fixture))
                _say(
                    f"loaded the demo county: {counts['households']} households, {counts['children']} children, "
                    f"{counts['requests']} requests"
                )
    given = settings.demo_password.get_secret_value() if settings.demo_password else None
    password = given or secrets.token_urlsafe(12)
    hashing = PasswordHashing(settings.argon2_time_cost, settings.argon2_memory_kib)
    password_hash = hashing.hash(password)
    with db.transaction() as session:
        users = Repositories(session).users
        for role in ROLES:
            if users.by_username(role) is None:
                users.create(role, password_hash, role)
            else:
                users.update(role, role=role, active=True, password_hash=password_hash)
    if given:
        _say(f"demo users {', '.join(ROLES)}: password from PLACEMATCH_DEMO_PASSWORD")
    else:
        _say(f"demo users {', '.join(ROLES)}: password {password}  (set PLACEMATCH_DEMO_PASSWORD to choose one)")


def serve(
    demo: Annotated[bool, typer.Option("--demo", help="Load the demo county and create demo users.")] = False,
    database: DatabaseOption = None,
    host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="Port to listen on.")] = 8000,
    workers: Annotated[
        int, typer.Option("--workers", min=1, max=32, help="Server processes (PostgreSQL; SQLite gains little).")
    ] = 1,
) -> None:
    """Run the duty-team service: migrate the database, then serve the API (docs at /docs)."""
    import uvicorn

    from api.app import create_app

    # A long-running service: its start-up objects are frozen out of the garbage collector's full passes.
    settings = _settings(database).model_copy(update={"freeze_at_start": True})
    _say(f"database {_shown(settings.database_url)}")
    db = Database(settings.database_url)
    try:
        migrate.upgrade(db.engine)
        if demo:
            prepare_demo(db, settings)
        _say(f"serving on http://{host}:{port} (API docs at http://{host}:{port}/docs)")
        if workers == 1:
            uvicorn.run(
                create_app(settings, db),
                host=host,
                port=port,
                access_log=False,
                log_level="info",
                timeout_keep_alive=KEEP_ALIVE_S,
            )
            return
    finally:
        db.dispose()
    # Each worker process builds its app from the environment: same database, same token key.
    os.environ["PLACEMATCH_DATABASE_URL"] = settings.database_url
    os.environ["PLACEMATCH_JWT_SECRET"] = settings.jwt_secret.get_secret_value()
    os.environ["PLACEMATCH_FREEZE_AT_START"] = "true"
    uvicorn.run(
        "api.app:app_from_environment",
        factory=True,
        workers=workers,
        host=host,
        port=port,
        access_log=False,
        log_level="info",
        timeout_keep_alive=KEEP_ALIVE_S,
    )


db_app = typer.Typer(help="Database schema: migrations.", no_args_is_help=True)
users_app = typer.Typer(help="Service users and API keys.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade(
    database: DatabaseOption = None,
    revision: Annotated[str, typer.Option("--revision", help="Target revision.")] = "head",
) -> None:
    """Create or migrate the database schema (safe to run again)."""
    url = _settings(database).database_url
    migrate.upgrade(url, revision)
    _say(f"{_shown(url)} is at revision {migrate.current(url)}")


@db_app.command("downgrade")
def db_downgrade(
    revision: Annotated[str, typer.Argument(help="Target revision; `base` removes every table.")],
    database: DatabaseOption = None,
) -> None:
    """Take the schema back to an older revision."""
    url = _settings(database).database_url
    migrate.downgrade(url, revision)
    _say(f"{_shown(url)} is at revision {migrate.current(url)}")


@db_app.command("current")
def db_current(database: DatabaseOption = None) -> None:
    """Print the schema revision the database is at (empty when never migrated)."""
    print(migrate.current(_settings(database).database_url) or "")


@users_app.command("add")
def users_add(
    username: Annotated[str, typer.Argument(help="Sign-in name.")],
    role: Annotated[str, typer.Option("--role", help=f"One of {', '.join(ROLES)}.")],
    password: Annotated[
        str, typer.Option("--password", prompt=True, hide_input=True, envvar="PLACEMATCH_NEW_PASSWORD")
    ],
    database: DatabaseOption = None,
) -> None:
    """Add a user with one role."""
    if role not in ROLES:
        _say(f"error: --role must be one of {', '.join(ROLES)}")
        raise typer.Exit(2)
    settings = _settings(database)
    hashing = PasswordHashing(settings.argon2_time_cost, settings.argon2_memory_kib)
    db = Database(settings.database_url)
    try:
        with db.transaction() as session:
            Repositories(session).users.create(username, hashing.hash(password), role)
    except StoreError as error:
        _say(f"error: {error}")
        raise typer.Exit(2) from None
    finally:
        db.dispose()
    _say(f"added {username} ({role})")


@users_app.command("api-key")
def users_api_key(
    username: Annotated[str, typer.Argument(help="The user the key acts as.")],
    name: Annotated[str, typer.Option("--name", help="What the key is for.")] = "automation",
    database: DatabaseOption = None,
) -> None:
    """Make an API key for a user and print it once on stdout (send it as the X-API-Key header)."""
    made = new_api_key()
    db = Database(_settings(database).database_url)
    try:
        with db.transaction() as session:
            Repositories(session).users.add_api_key(username, name=name, prefix=made.prefix, key_hash=made.key_hash)
    except StoreError as error:
        _say(f"error: {error}")
        raise typer.Exit(2) from None
    finally:
        db.dispose()
    print(made.key)


#: Who the CLI's batch runs are recorded as (the nightly job, acting with the manager's right to run it).
CLI_PRINCIPAL = Principal("cli", "manager", "cli")


def run_batch(
    database: str | None,
    time_limit_s: float,
    *,
    dry_run: bool = False,
    progress: Callable[[str, float], None] | None = None,
    expected_demand: bool = False,
) -> tuple[SnapshotIndex, BatchAnswer]:
    """``placematch batch`` without ``--snapshot``: the service's own batch run (``api.batch.execute``).

    The run is claimed, solved on the database's current data (the standing proposals as hints) and
    stored in one transaction, exactly as ``POST /batch/runs`` does, so it is idempotent in the same way
    (a second run on the same data changes nothing and records only that it was re-run) and a run
    stopped or failing halfway leaves no partial writes. ``dry_run`` solves the same way and stores
    nothing, not even the run. Raises ``InputError`` when the database is not migrated, ``BatchRunning``
    when another run is going.

    Nightly, from cron (see the README and ``api.batch``)::

        30 2 * * *  cd /srv/placematch && DATABASE_URL=postgresql+psycopg://placematch@db/placematch \\
                    .venv/bin/placematch batch --time-limit 120 --expected-demand \\
                    >> /var/log/placematch/batch.log 2>&1
    """
    settings = _settings(database)
    configure_logging(json=settings.log_json, level=settings.log_level)  # to stderr: stdout is the JSON answer
    db = Database(settings.database_url)
    try:
        if migrate.current(db.engine) != migrate.head():
            raise InputError.one(
                _shown(settings.database_url), "", "", "the database is not set up: run `placematch db upgrade`"
            )
        parameters = batch.BatchParameters(time_limit_s=time_limit_s, expected_demand=expected_demand)
        as_of = settings.current_date()
        if dry_run:
            result = batch.dry_run(db, parameters, as_of, progress)
        else:
            run_id = batch.claim(db, parameters, CLI_PRINCIPAL)
            result = batch.execute(db, run_id, parameters, CLI_PRINCIPAL, as_of, progress)
    finally:
        db.dispose()
    if result.run_id is not None:
        counts = result.body["proposals"]
        repeated = result.body["repeats_run_id"]
        _say(
            f"stored {len(result.answer.matches)} proposals as match run {result.run_id} "
            f"({counts['added']} added, {counts['kept']} kept, {counts['withdrawn']} withdrawn"
            + (f"; same data and parameters as run {repeated}: nothing changed)" if repeated else ")")
        )
    return result.index, result.answer


def batch_scarcity(database: str | None) -> BatchScarcity | None:
    """The scarcity prices of the database's latest successful batch run, for ``placematch rank`` (None: none)."""
    settings = _settings(database)
    db = Database(settings.database_url)
    try:
        with db.read_transaction() as session:
            repos = Repositories(session)
            run_id = repos.batch_runs.latest_scarcity_run_id()
            return None if run_id is None else BatchScarcity.from_stored(run_id, repos.batch_runs.scarcity(run_id))
    finally:
        db.dispose()


def register(app: typer.Typer) -> None:
    """Add the service commands to the CLI."""
    app.command("serve")(serve)
    app.add_typer(db_app, name="db")
    app.add_typer(users_app, name="users")


def main() -> None:
    """Run the service commands alone (``python -m api.cli_service serve ...``)."""
    app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
    register(app)
    app()


if __name__ == "__main__":
    main()
