"""Document.url: the canonical link of a web page or feed item (None for files; issue G).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the nullable column (existing documents are files: no URL)."""
    op.add_column("document", sa.Column("url", sa.String(), nullable=True))


def downgrade() -> None:
    """Drop it."""
    with op.batch_alter_table("document") as batch:
        batch.drop_column("url")
