"""64-bit Telegram ids (chat, user and message ids) and one document per file path.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# (table, column, nullable): every column that holds a Telegram chat, user or message id.
_TELEGRAM_IDS = (
    ("subscription", "chat_id", False),
    ("subscription", "changed_by", True),
    ("delivery", "chat_id", False),
    ("delivery", "message_id", True),
    ("sentitem", "chat_id", False),
    ("announcement", "chat_id", False),
    ("announcement", "message_id", True),
)
_NOT_EMPTY = sa.text("path != ''")


def _alter(old: type[sa.Integer], new: type[sa.Integer]) -> None:
    for table in dict.fromkeys(t for t, _, _ in _TELEGRAM_IDS):
        with op.batch_alter_table(table) as batch:
            for t, column, nullable in _TELEGRAM_IDS:
                if t == table:
                    batch.alter_column(
                        column, existing_type=old(), type_=new(), existing_nullable=nullable
                    )


def upgrade() -> None:
    """Widen the Telegram id columns; make file paths unique (older duplicates lose their path)."""
    _alter(sa.Integer, sa.BigInteger)
    document = sa.table("document", sa.column("id", sa.Integer), sa.column("path", sa.String))
    newest = (
        sa.select(sa.func.max(document.c.id))
        .where(document.c.path != "")
        .group_by(document.c.path)
    )
    # Only a race could have stored one path twice; the newest copy keeps it (replace semantics).
    op.execute(
        document.update()
        .where(document.c.path != "", document.c.id.not_in(newest))
        .values(path="")
    )
    op.create_index(
        "uq_document_path", "document", ["path"], unique=True,
        sqlite_where=_NOT_EMPTY, postgresql_where=_NOT_EMPTY,
    )


def downgrade() -> None:
    """Narrow the ids back and drop the path constraint."""
    op.drop_index("uq_document_path", table_name="document")
    _alter(sa.BigInteger, sa.Integer)
