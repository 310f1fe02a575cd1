"""Sales pipeline: configurable stages, products, deal lines and collaborators, account teams

Deals already existed (imports, the sales_won metric); they become first-class work: `stage` now
names a row of `deal_stages` (seeded with the six built-in codes, so existing rows and imports keep
their values), and deals gain a probability, next step, source, commit flag, close reason, the time
they entered their stage and a version for optimistic concurrency. Goals may measure three more
deal metrics (new deals, win rate, pipeline created).

Revision ID: 0007_pipeline
Revises: 0002
Create Date: 2026-12-01 21:10:00
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0007_pipeline"
down_revision: Union[str, Sequence[str], None] = "0005_move_in"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

STAGES = [  # code, position, default win probability, kind
    ("lead", 1, 10, "open"),
    ("qualified", 2, 25, "open"),
    ("proposal", 3, 50, "open"),
    ("negotiation", 4, 75, "open"),
    ("won", 5, 100, "won"),
    ("lost", 6, 0, "lost"),
]
OLD_METRICS = ("sales_won", "new_customers", "csat_avg", "nps", "retention_rate", "first_response_hours",
               "resolution_rate", "follow_ups_done", "tasks_on_time", "manual")
NEW_METRICS = OLD_METRICS[:-1] + ("deals_new", "win_rate", "pipeline_created", "manual")


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    stages = op.create_table(
        "deal_stages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("probability", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.CheckConstraint("kind IN ('open', 'won', 'lost')", name=op.f("ck_deal_stages_kind")),
        sa.CheckConstraint("probability >= 0 AND probability <= 100", name=op.f("ck_deal_stages_probability")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deal_stages")),
        sa.UniqueConstraint("code", name=op.f("uq_deal_stages_code")),
    )
    op.bulk_insert(stages, [dict(code=c, name=None, position=p, probability=pr, kind=k, active=True)
                            for c, p, pr, k in STAGES])
    if op.get_bind().dialect.name == "postgresql":
        op.execute("SELECT setval(pg_get_serial_sequence('deal_stages', 'id'), (SELECT max(id) FROM deal_stages))")

    op.create_table(
        "products",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=True),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("unit_price", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.CheckConstraint("unit_price >= 0", name=op.f("ck_products_unit_price")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_products")),
        sa.UniqueConstraint("code", name=op.f("uq_products_code")),
        sa.UniqueConstraint("name", name=op.f("uq_products_name")),
    )

    with op.batch_alter_table("deals", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_deals_stage"), type_="check")
        batch_op.alter_column("stage", existing_type=sa.String(length=16), type_=sa.String(length=32),
                              existing_nullable=False)
        batch_op.add_column(sa.Column("probability", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("next_step", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("source", sa.String(length=60), nullable=True))
        batch_op.add_column(sa.Column("in_commit", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("close_reason", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("stage_entered_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
        batch_op.add_column(sa.Column("created_by", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("updated_at", sa.DateTime(), nullable=True))
        batch_op.create_foreign_key(op.f("fk_deals_stage_deal_stages"), "deal_stages", ["stage"], ["code"],
                                    ondelete="RESTRICT")
        batch_op.create_foreign_key(op.f("fk_deals_created_by_users"), "users", ["created_by"], ["id"],
                                    ondelete="SET NULL")
        batch_op.create_check_constraint(op.f("ck_deals_probability"), "probability >= 0 AND probability <= 100")
        batch_op.create_check_constraint(op.f("ck_deals_version"), "version >= 1")
        batch_op.create_index("ix_deals_stage_expected_close", ["stage", "expected_close"], unique=False)
        batch_op.create_index("ix_deals_owner_created", ["owner_id", "created_at"], unique=False)
        batch_op.create_index("ix_deals_stage_value", ["stage", "value", "probability", "currency", "expected_close",
                                                       "closed_on", "owner_id"], unique=False)
        batch_op.create_index("ix_deals_forecast", ["owner_id", "stage", "closed_on", "expected_close", "value",
                                                    "probability", "in_commit", "currency", "stage_entered_at",
                                                    "created_at"], unique=False)
        batch_op.create_index("ix_deals_stage_entered_at", ["stage_entered_at"], unique=False)
    op.execute("UPDATE deals SET probability = (SELECT probability FROM deal_stages WHERE deal_stages.code = deals.stage),"
               " stage_entered_at = created_at")

    op.create_table(
        "deal_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("deal_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("unit_price", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_deal_lines_quantity")),
        sa.CheckConstraint("unit_price >= 0", name=op.f("ck_deal_lines_unit_price")),
        sa.ForeignKeyConstraint(["deal_id"], ["deals.id"], name=op.f("fk_deal_lines_deal_id_deals"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["product_id"], ["products.id"], name=op.f("fk_deal_lines_product_id_products"),
                                ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deal_lines")),
    )
    op.create_index("ix_deal_lines_deal_id", "deal_lines", ["deal_id"], unique=False)
    op.create_index("ix_deal_lines_product_deal", "deal_lines", ["product_id", "deal_id"], unique=False)

    op.create_table(
        "deal_collaborators",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("deal_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["deal_id"], ["deals.id"], name=op.f("fk_deal_collaborators_deal_id_deals"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], name=op.f("fk_deal_collaborators_member_id_members"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deal_collaborators")),
        sa.UniqueConstraint("deal_id", "member_id", name=op.f("uq_deal_collaborators_deal_id_member_id")),
    )
    op.create_index("ix_deal_collaborators_member_id", "deal_collaborators", ["member_id"], unique=False)

    op.create_table(
        "customer_collaborators",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("added_by", sa.Integer(), nullable=True),
        sa.Column("added_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("role IN ('sales', 'service', 'technical')", name=op.f("ck_customer_collaborators_role")),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"],
                                name=op.f("fk_customer_collaborators_customer_id_customers"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"],
                                name=op.f("fk_customer_collaborators_member_id_members"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["added_by"], ["users.id"], name=op.f("fk_customer_collaborators_added_by_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_collaborators")),
        sa.UniqueConstraint("customer_id", "member_id", name=op.f("uq_customer_collaborators_customer_id_member_id")),
    )
    op.create_index("ix_customer_collaborators_member_id", "customer_collaborators", ["member_id"], unique=False)

    with op.batch_alter_table("goals", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_goals_metric"), type_="check")
        batch_op.create_check_constraint(op.f("ck_goals_metric"), _in("metric", NEW_METRICS))


def downgrade() -> None:
    op.execute("DELETE FROM goals WHERE metric IN ('deals_new', 'win_rate', 'pipeline_created')")
    with op.batch_alter_table("goals", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_goals_metric"), type_="check")
        batch_op.create_check_constraint(op.f("ck_goals_metric"), _in("metric", OLD_METRICS))
    op.drop_table("customer_collaborators")
    op.drop_table("deal_collaborators")
    op.drop_table("deal_lines")
    op.execute("DELETE FROM deals WHERE stage NOT IN ('lead', 'qualified', 'proposal', 'negotiation', 'won', 'lost')")
    with op.batch_alter_table("deals", schema=None) as batch_op:
        batch_op.drop_index("ix_deals_stage_entered_at")
        batch_op.drop_index("ix_deals_forecast")
        batch_op.drop_index("ix_deals_stage_value")
        batch_op.drop_index("ix_deals_owner_created")
        batch_op.drop_index("ix_deals_stage_expected_close")
        batch_op.drop_constraint(op.f("ck_deals_version"), type_="check")
        batch_op.drop_constraint(op.f("ck_deals_probability"), type_="check")
        batch_op.drop_constraint(op.f("fk_deals_created_by_users"), type_="foreignkey")
        batch_op.drop_constraint(op.f("fk_deals_stage_deal_stages"), type_="foreignkey")
        for column in ("updated_at", "created_by", "version", "stage_entered_at", "close_reason", "in_commit",
                       "source", "next_step", "probability"):
            batch_op.drop_column(column)
        batch_op.alter_column("stage", existing_type=sa.String(length=32), type_=sa.String(length=16),
                              existing_nullable=False)
        batch_op.create_check_constraint(
            op.f("ck_deals_stage"), "stage IN ('lead', 'qualified', 'proposal', 'negotiation', 'won', 'lost')")
    op.drop_table("products")
    op.drop_table("deal_stages")
