"""Postcode table: postcodes and their WGS84 coordinates, so places given as postcodes resolve offline.

Revision ID: 0002_postcodes
Revises: 0001
Create Date: 2026-11-23 19:10:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_postcodes"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "postcodes",
        sa.Column("postcode", sa.String(length=8), nullable=False),
        sa.Column("district", sa.String(length=4), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("postcode", name=op.f("pk_postcodes")),
    )
    with op.batch_alter_table("postcodes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_postcodes_district"), ["district"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("postcodes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_postcodes_district"))
    op.drop_table("postcodes")
