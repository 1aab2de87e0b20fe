"""Revision 7: ``jobs.stage_expected``, the seconds each stage of a job's current attempt was expected to take.

A mapping of stage to seconds: the calibrated estimate the worker sized the job's progress bar with
(``worker.runner.JobRun.spans``). The API's time left of a running job follows each stage's pace against it
(``models.pipeline.progress.time_left``). Jobs that ran before this revision have none.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("stage_expected", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("stage_expected")
