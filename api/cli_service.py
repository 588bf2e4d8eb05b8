"""Service commands of the CLI (``serve`` and database commands): owned by the service work."""

from __future__ import annotations

import typer

from domain.errors import InputError
from domain.snapshot import Snapshot


def register(app: typer.Typer) -> None:
    """Add the service commands to the CLI."""


def snapshot_from_database(database: str | None) -> Snapshot:
    """The database's current state as a snapshot (the service work replaces this)."""
    raise InputError.one(
        "--database", "", "database", "reading the database needs the service (placematch serve); use --snapshot FILE"
    )
