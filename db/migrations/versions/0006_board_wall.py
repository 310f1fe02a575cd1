"""Board work-in-progress limits per team and status column (issue 15)

Revision ID: 0006_board_wall
Revises: 0002
Create Date: 2026-12-01 21:00:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0006_board_wall"
down_revision: Union[str, Sequence[str], None] = "0007_pipeline"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "board_wip_limits",
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("max_cards", sa.Integer(), nullable=False),
        sa.CheckConstraint("status IN ('todo', 'in_progress', 'blocked', 'done')", name=op.f("ck_board_wip_limits_status")),
        sa.CheckConstraint("max_cards >= 1", name=op.f("ck_board_wip_limits_max_cards")),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_board_wip_limits_team_id_teams"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("team_id", "status", name=op.f("pk_board_wip_limits")),
    )


def downgrade() -> None:
    op.drop_table("board_wip_limits")
