"""Every screen right (issue 12): archiving, resolution notes, frozen scorecards

- customers, tasks and teams get `archived_at`: a record created by mistake leaves the lists
  without losing its history (an admin may still delete one nothing refers to);
- complaints get `resolution_note`: resolving needs a note saying what was done;
- `feedback_senders` counts distinct senders of waiting anonymous feedback;
- `scorecard_snapshots` keeps a released evaluation's lines and records as they were at release.

Revision ID: 0004_screens
Revises: 0002
Create Date: 2026-12-01 21:00:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0004_screens"
down_revision: Union[str, Sequence[str], None] = "0003_security"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    for table in ("customers", "tasks", "teams"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("archived_at", sa.DateTime(), nullable=True))
    with op.batch_alter_table("complaints") as batch:
        batch.add_column(sa.Column("resolution_note", sa.Text(), nullable=True))
    op.create_table(
        "scorecard_snapshots",
        sa.Column("evaluation_id", sa.Integer(), nullable=False),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.Column("frozen_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["evaluation_id"], ["evaluations.id"], name=op.f("fk_scorecard_snapshots_evaluation_id_evaluations"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("evaluation_id", name=op.f("pk_scorecard_snapshots")),
    )
    op.create_table(
        "feedback_senders",
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(length=16), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["team_id"], ["teams.id"], name=op.f("fk_feedback_senders_team_id_teams"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("team_id", "target", "period", "token", name=op.f("pk_feedback_senders")),
    )


def downgrade() -> None:
    op.drop_table("feedback_senders")
    op.drop_table("scorecard_snapshots")
    with op.batch_alter_table("complaints") as batch:
        batch.drop_column("resolution_note")
    for table in ("customers", "tasks", "teams"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("archived_at")
