"""Pending announcements recorded with their document, stored question texts, forum topics.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03

Issue E 4, 12, 15: pending_announcement (written in the ingestion transaction), query_text
(「更多答案」 tokens that survive restarts) and Subscription.message_thread_id (a Telegram id:
64-bit).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create the two tables and add the topic column."""
    op.create_table(
        "pending_announcement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("claim", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    for column in ("claim", "document_id", "status"):
        op.create_index(op.f(f"ix_pending_announcement_{column}"), "pending_announcement", [column],
                        unique=False)
    op.create_table(
        "query_text",
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("text", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.add_column("subscription", sa.Column("message_thread_id", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    """Drop them."""
    with op.batch_alter_table("subscription") as batch:
        batch.drop_column("message_thread_id")
    op.drop_table("query_text")
    op.drop_table("pending_announcement")
