"""Outcomes: decline reason codes and the rank chosen on decisions, placements and how they ended, ethnicity.

Adds to ``decisions`` a decline's reason code and, for accepts, the chosen rank and the rank-1 option at
the time; to ``children`` an optional ethnicity (report breakdowns only, never scored); and the
``placements`` table (one child with one household: start, planned end, actual end, planned or
unplanned, disruption reason), filled by accepted recommendations and SSDA903 history imports.

Revision ID: 0004_outcomes
Revises: 0003_batch_runs
Create Date: 2026-11-25 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_outcomes"
down_revision: str | None = "0003_batch_runs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: New ``decisions`` columns; all nullable, so adding them needs no table rebuild on SQLite.
DECISION_COLUMNS = (
    ("reason_code", sa.String(length=32)),
    ("chosen_rank", sa.Integer()),
    ("top_recommendation_id", sa.Integer()),
    ("top_household_ids", sa.JSON()),
    ("top_score", sa.Float()),
)


def upgrade() -> None:
    for name, type_ in DECISION_COLUMNS:
        op.add_column("decisions", sa.Column(name, type_, nullable=True))
    op.add_column("children", sa.Column("ethnicity", sa.String(length=16), nullable=True))

    op.create_table(
        "placements",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("child_id", sa.String(length=64), nullable=False),
        sa.Column("household_id", sa.String(length=64), nullable=True),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("recommendation_id", sa.Integer(), nullable=True),
        sa.Column("decision_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("source_ref", sa.String(length=128), nullable=True),
        sa.Column("provider", sa.String(length=16), nullable=True),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("planned_end_on", sa.Date(), nullable=True),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("ending", sa.String(length=16), nullable=True),
        sa.Column("disruption_reason", sa.String(length=32), nullable=True),
        sa.Column("end_note", sa.Text(), nullable=True),
        sa.Column("distance_km", sa.Float(), nullable=True),
        sa.Column("siblings", sa.String(length=16), nullable=True),
        sa.Column("skills_matched", sa.Boolean(), nullable=True),
        sa.Column("age_at_start", sa.Integer(), nullable=True),
        sa.Column("disabled", sa.Boolean(), nullable=True),
        sa.Column("ethnicity", sa.String(length=16), nullable=True),
        sa.Column("sibling_group_size", sa.Integer(), nullable=True),
        sa.Column("days_waiting", sa.Integer(), nullable=True),
        sa.Column("criteria", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_by", sa.String(length=64), nullable=True),
        sa.CheckConstraint("ended_on IS NULL OR ended_on >= started_on", name=op.f("ck_placements_ends_after_start")),
        sa.CheckConstraint(
            "ending IS NULL OR ending IN ('planned', 'unplanned')",
            name=op.f("ck_placements_ending_planned_or_unplanned"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_placements")),
        sa.UniqueConstraint("source_ref", name=op.f("uq_placements_source_ref")),
    )
    op.create_index(op.f("ix_placements_child_id"), "placements", ["child_id"], unique=False)
    op.create_index(op.f("ix_placements_started_on"), "placements", ["started_on"], unique=False)


def downgrade() -> None:
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35+), not a batch rebuild: ``decisions`` and ``children``
    # are referenced by other tables, which SQLite's foreign keys refuse to let a rebuild drop.
    op.drop_index(op.f("ix_placements_started_on"), table_name="placements")
    op.drop_index(op.f("ix_placements_child_id"), table_name="placements")
    op.drop_table("placements")
    op.drop_column("children", "ethnicity")
    for name, _ in reversed(DECISION_COLUMNS):
        op.drop_column("decisions", name)
