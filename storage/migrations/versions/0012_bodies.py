"""responsible bodies: a report's body, deadlines, acknowledgement and assignee; staff's bodies;
bodies' team chats; staff's internal notes

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 17:20:00.000000

Safe under old code during a rolling restart: new nullable columns and new tables that old
processes do not read (their reports are filed without a body; nothing breaks).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from storage.types import UTCDateTime

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TEXT = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    with op.batch_alter_table("report") as batch:
        batch.add_column(sa.Column("body_code", _TEXT(length=32), nullable=True))
        batch.add_column(sa.Column("ack_due_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("resolve_due_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("acknowledged_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("assignee_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "report_assignee_id_fkey", "citizen", ["assignee_id"], ["id"], ondelete="SET NULL"
        )
        batch.create_index(batch.f("ix_report_body_code"), ["body_code"], unique=False)

    op.create_table(
        "staff_body",
        sa.Column("citizen_id", sa.Integer(), nullable=False),
        sa.Column("body_code", sa.String(length=32), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["citizen_id"], ["citizen.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("citizen_id", "body_code"),
    )
    op.create_index(op.f("ix_staff_body_body_code"), "staff_body", ["body_code"], unique=False)

    op.create_table(
        "body_chat",
        sa.Column("body_code", sa.String(length=32), nullable=False),
        sa.Column("channel", _TEXT(length=16), nullable=False),
        sa.Column("chat_id", _TEXT(length=64), nullable=False),
        sa.Column("linked_by", sa.Integer(), nullable=True),
        sa.Column("linked_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["linked_by"], ["citizen.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("body_code"),
    )

    op.create_table(
        "report_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("author_ref", _TEXT(length=64), nullable=False),
        sa.Column("kind", _TEXT(length=16), nullable=False),
        sa.Column("body_code", _TEXT(length=32), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["report_id"], ["report.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["author_id"], ["citizen.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_report_note_report_id"), "report_note", ["report_id"], unique=False)
    op.create_index(op.f("ix_report_note_author_id"), "report_note", ["author_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_report_note_author_id"), table_name="report_note")
    op.drop_index(op.f("ix_report_note_report_id"), table_name="report_note")
    op.drop_table("report_note")
    op.drop_table("body_chat")
    op.drop_index(op.f("ix_staff_body_body_code"), table_name="staff_body")
    op.drop_table("staff_body")
    with op.batch_alter_table("report") as batch:
        batch.drop_index(batch.f("ix_report_body_code"))
        batch.drop_constraint("report_assignee_id_fkey", type_="foreignkey")
        batch.drop_column("assignee_id")
        batch.drop_column("acknowledged_at")
        batch.drop_column("resolve_due_at")
        batch.drop_column("ack_due_at")
        batch.drop_column("body_code")
