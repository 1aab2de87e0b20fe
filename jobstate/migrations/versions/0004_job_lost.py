"""Revision 4: ``jobs.lost``, how many times a job's worker was lost (crashed, killed, stopped answering).

``attempt`` counts every run of a job; a run ended by a planned stop of ``awd serve`` is re-queued without
counting as lost, so ``AWD_MAX_ATTEMPTS`` now bounds ``lost``. Existing rows start at 0.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("lost", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("lost")
