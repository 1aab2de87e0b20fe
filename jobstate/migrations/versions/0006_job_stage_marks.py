"""Revision 6: ``jobs.stage_marks``, when each stage of a job's current attempt began.

A list of ``[stage, ISO time]`` pairs, one per change of stage the worker reported (``jobstate.stagetimes``):
the job's page shows each stage's duration and the API answers them (``stage_seconds``). Jobs that ran before
this revision have none.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("stage_marks", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("stage_marks")
