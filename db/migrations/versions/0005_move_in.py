"""Move in: logins that must change a one-time password, and when each login last signed in

Members get logins from the roster with a one-time password, which must be replaced at the first
sign-in (`users.must_change_password`); managers see who has not signed in yet
(`users.last_login_at`). Workspace settings (name, language, currency, time zone, fiscal-year start)
live in the existing key/value `settings` table and need no schema change.

Revision ID: 0005_move_in
Revises: 0002
Create Date: 2026-12-01 21:00:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0005_move_in"
down_revision: Union[str, Sequence[str], None] = "0004_screens"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("must_change_password", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("last_login_at", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("last_login_at")
        batch.drop_column("must_change_password")
