"""Revision 3: ``shares.label``, the owner's name for a share link (``POST /api/jobs/{id}/share``'s ``label``).

Nullable: links made before this revision stay unnamed.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("shares") as batch:
        batch.add_column(sa.Column("label", sa.String(80), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("shares") as batch:
        batch.drop_column("label")
