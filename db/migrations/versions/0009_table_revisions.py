"""Issue 15: the revision at which each table was last written, so a cached read is invalidated
only by writes to the tables it read (db.session, ui.read_cache).

Revision ID: 0009_table_revisions
Revises: 0008_worker
Create Date: 2026-12-02 14:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '0009_table_revisions'
down_revision: Union[str, Sequence[str], None] = '0008_worker'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    table = op.create_table(
        'table_revisions',
        sa.Column('name', sa.String(length=80), nullable=False),
        sa.Column('revision', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_table_revisions')),
    )
    # An existing database: everything counts as written at its current revision.
    current = op.get_bind().execute(sa.text("SELECT value FROM revision WHERE id = 1")).scalar() or 0
    op.bulk_insert(table, [{'name': '*', 'revision': current}])


def downgrade() -> None:
    op.drop_table('table_revisions')
