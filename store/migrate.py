"""Run the Alembic migrations from code (``placematch db upgrade``, ``serve``, tests): no alembic.ini needed."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine
from sqlalchemy.engine import URL

from store.db import make_engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(connection: Connection | None = None, url: str | None = None) -> Config:
    """An Alembic configuration pointing at our migrations, bound to a connection or a URL."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def _with_engine(target: str | URL | Engine) -> tuple[Engine, bool]:
    if isinstance(target, Engine):
        return target, False
    return make_engine(target), True


def upgrade(target: str | URL | Engine, revision: str = "head") -> None:
    """Bring the database up to ``revision`` (the newest by default), in one transaction."""
    engine, owned = _with_engine(target)
    try:
        with engine.begin() as connection:
            command.upgrade(alembic_config(connection), revision)
    finally:
        if owned:
            engine.dispose()


def downgrade(target: str | URL | Engine, revision: str = "base") -> None:
    """Take the database back to ``revision`` (empty by default), in one transaction."""
    engine, owned = _with_engine(target)
    try:
        with engine.begin() as connection:
            command.downgrade(alembic_config(connection), revision)
    finally:
        if owned:
            engine.dispose()


def current(target: str | URL | Engine) -> str | None:
    """The revision the database is at, or None for a database never migrated."""
    engine, owned = _with_engine(target)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        if owned:
            engine.dispose()


def revision_of(connection: Connection) -> str | None:
    """The revision of the database behind an open connection (for the health check)."""
    return MigrationContext.configure(connection).get_current_revision()


def head() -> str:
    """The newest revision among our migration scripts."""
    revision = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if revision is None:
        raise RuntimeError("no migration scripts found")
    return revision
