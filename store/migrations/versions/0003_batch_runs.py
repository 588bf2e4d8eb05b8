"""Batch runs: what each nightly batch saw, was asked, found and changed, one at a time; scarcity per household.

Adds the batch columns of ``match_runs`` (NULL for rank runs), an index to find the latest batch run, a
partial unique index letting one batch run at a time, and ``batch_scarcity`` (household prices per run).

Revision ID: 0003_batch_runs
Revises: 0002_postcodes
Create Date: 2026-11-24 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_batch_runs"
down_revision: str | None = "0002_postcodes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The batch columns of ``match_runs``; all nullable, so adding them needs no table rebuild on SQLite.
COLUMNS = (
    ("snapshot_hash", sa.String(length=64)),
    ("parameters", sa.JSON()),
    ("objective", sa.BigInteger()),
    ("bound", sa.BigInteger()),
    ("gap", sa.Float()),
    ("children_placed", sa.Integer()),
    ("children_waiting", sa.Integer()),
    ("levels", sa.JSON()),
    ("timings", sa.JSON()),
    ("started_at", sa.DateTime(timezone=True)),
    ("finished_at", sa.DateTime(timezone=True)),
    ("stage", sa.String(length=64)),
    ("progress", sa.Float()),
    ("error", sa.Text()),
    ("proposals_added", sa.Integer()),
    ("proposals_kept", sa.Integer()),
    ("proposals_withdrawn", sa.Integer()),
    ("scarcity_run_id", sa.Integer()),
    ("repeats_run_id", sa.Integer()),
)


def upgrade() -> None:
    with op.batch_alter_table("match_runs", schema=None) as batch_op:
        for name, type_ in COLUMNS:
            batch_op.add_column(sa.Column(name, type_, nullable=True))
        batch_op.create_index("ix_match_runs_kind_status", ["kind", "status"], unique=False)
        batch_op.create_index(
            "uq_match_runs_one_running_per_kind",
            ["kind"],
            unique=True,
            sqlite_where=sa.text("status = 'running'"),
            postgresql_where=sa.text("status = 'running'"),
        )

    op.create_table(
        "batch_scarcity",
        sa.Column("match_run_id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.String(length=64), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["match_run_id"],
            ["match_runs.id"],
            name=op.f("fk_batch_scarcity_match_run_id_match_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("match_run_id", "household_id", name=op.f("pk_batch_scarcity")),
    )


def downgrade() -> None:
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+), not a batch rebuild: rebuilding ``match_runs``
    # would drop a table that recommendations reference, which SQLite's foreign keys refuse.
    op.drop_table("batch_scarcity")
    op.drop_index(
        "uq_match_runs_one_running_per_kind",
        table_name="match_runs",
        sqlite_where=sa.text("status = 'running'"),
        postgresql_where=sa.text("status = 'running'"),
    )
    op.drop_index("ix_match_runs_kind_status", table_name="match_runs")
    for name, _ in reversed(COLUMNS):
        op.drop_column("match_runs", name)
