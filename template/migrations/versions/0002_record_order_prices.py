"""record order prices

Orders now store the unit price and total quoted when they were placed. Existing orders whose
item names a plan are priced from the price list as it stood when this revision was written;
other existing orders (free-text items from before) keep NULL: nobody quoted them a price.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A copy, not an import: a revision must mean the same thing whatever the code says later.
BACKFILL_UNIT_PRICE = """
UPDATE orders SET unit_price = CASE item
    WHEN 'starter' THEN 49.00 WHEN 'pro' THEN 99.00 WHEN 'enterprise' THEN 299.00 END
WHERE item IN ('starter', 'pro', 'enterprise')
"""
# 10% off the whole from 10 seats, rounded half away from zero to cents, as quote_total does.
BACKFILL_TOTAL = """
UPDATE orders SET total = round(unit_price * qty * CASE WHEN qty >= 10 THEN 0.9 ELSE 1 END, 2)
WHERE unit_price IS NOT NULL
"""


def upgrade() -> None:
    """Apply this revision."""
    op.add_column("orders", sa.Column("unit_price", sa.Numeric(10, 2), nullable=True))
    op.add_column("orders", sa.Column("total", sa.Numeric(10, 2), nullable=True))
    op.execute(BACKFILL_UNIT_PRICE)
    op.execute(BACKFILL_TOTAL)
    op.create_check_constraint(
        op.f("ck_orders_total_range"), "orders", "total BETWEEN 0 AND unit_price * qty"
    )


def downgrade() -> None:
    """Undo this revision."""
    op.drop_constraint(op.f("ck_orders_total_range"), "orders", type_="check")
    op.drop_column("orders", "total")
    op.drop_column("orders", "unit_price")
