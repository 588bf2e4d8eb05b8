"""Snapshot changes: which households, children and requests each revision changed.

A process that cached the snapshot at revision ``r`` reads the changes after ``r`` and reloads only those
records; a revision without a record here (older than the ones kept, or bumped by hand) means "reload it
all", so a database migrated from 0004 needs no backfill.

Revision ID: 0005_snapshot_changes
Revises: 0004_outcomes
Create Date: 2026-12-05 07:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_snapshot_changes"
down_revision: str | None = "0004_outcomes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "snapshot_changes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("entity_id", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_snapshot_changes")),
    )
    op.create_index(op.f("ix_snapshot_changes_revision"), "snapshot_changes", ["revision"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_snapshot_changes_revision"), table_name="snapshot_changes")
    op.drop_table("snapshot_changes")
