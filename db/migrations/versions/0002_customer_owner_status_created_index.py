"""Index customers by owner, status and creation time

The grouped metric queries behind goals, the Meeting page and evaluations ask, per owner, for
customers created in a period (new customers) or before it with a status (retention). Without
this index SQLite chose the status index and read every active customer: 25 ms per retention
query at 100,000 customers, against 0.4 ms with it (a covering index for both queries).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 14:20:00
"""
from typing import Sequence, Union

from alembic import op

revision: str = "0002"
down_revision: Union[str, Sequence[str], None] = "0001"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_index("ix_customers_owner_status_created", "customers", ["owner_id", "status", "created_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_customers_owner_status_created", table_name="customers")
