"""Revision 5: ``deleted_shares``, the token hashes of share links whose result the owner deleted.

Deleting a job deletes its share links; their hashes are kept here so that a collaborator who opens one is told
the result was deleted (410) instead of "unknown link" (404). Links of results deleted before this revision
stay unknown.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("deleted_shares",
                    sa.Column("token_hash", sa.String(64), nullable=False),
                    sa.Column("deleted", sa.DateTime(), nullable=False),
                    sa.PrimaryKeyConstraint("token_hash"))


def downgrade() -> None:
    op.drop_table("deleted_shares")
