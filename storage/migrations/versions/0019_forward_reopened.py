"""forward reopenings: a "not fixed" answer sent on to a body outside the bot; wider actor refs

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04 10:00:00.000000

`report_forward` gains `kind` ("report": the report itself; "reopened": a citizen's "not
fixed" answer), `event_id` (the reopening's report_event id; 0 for the report itself) and
`photo_name` (the photo the answer brought); a report is forwarded once per body, and each
reopening once: the unique constraint is now (report_id, body_code, event_id).
`audit_entry.actor_ref` grows from 16 to 64 characters: system actors such as
`open311:<body>` and `feed:<id>` were cut (or refused on PostgreSQL). `body_chat` gains
`broken_at`: when the team chat was found unreachable.

Safe under old code during a rolling restart: old processes write only rows of the report
itself (the server defaults), and read none of the new columns.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("report_forward") as batch:
        batch.add_column(sa.Column("kind", sa.String(16), nullable=False, server_default="report"))
        batch.add_column(sa.Column("event_id", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("photo_name", sa.String(64), nullable=True))
        batch.drop_constraint("uq_report_forward_body", type_="unique")
        batch.create_unique_constraint(
            "uq_report_forward_event", ["report_id", "body_code", "event_id"]
        )
    with op.batch_alter_table("audit_entry") as batch:
        batch.alter_column(
            "actor_ref", existing_type=sa.String(16), type_=sa.String(64), existing_nullable=False
        )
    with op.batch_alter_table("body_chat") as batch:
        batch.add_column(sa.Column("broken_at", storage.types.UTCDateTime(), nullable=True))


def downgrade() -> None:
    op.execute("DELETE FROM report_forward WHERE event_id <> 0")
    with op.batch_alter_table("body_chat") as batch:
        batch.drop_column("broken_at")
    with op.batch_alter_table("audit_entry") as batch:
        batch.alter_column(
            "actor_ref", existing_type=sa.String(64), type_=sa.String(16), existing_nullable=False
        )
    with op.batch_alter_table("report_forward") as batch:
        batch.drop_constraint("uq_report_forward_event", type_="unique")
        batch.create_unique_constraint("uq_report_forward_body", ["report_id", "body_code"])
        batch.drop_column("photo_name")
        batch.drop_column("event_id")
        batch.drop_column("kind")
