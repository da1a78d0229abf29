"""The deadline conditions in SQL, one place for every reader (the console's queue filter, the
overdue reminder, `/reports overdue`, the figures per body). The deadlines themselves are set
at filing (bot/domain/routing.py) in working time (bot/domain/deadlines.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_
from sqlmodel import col

from storage.models import OPEN_STATUSES, Report

OPEN = [s.value for s in OPEN_STATUSES]


def overdue(now: datetime) -> Any:
    """Overdue: open and past a deadline it has not met, not acknowledged by its `ack_due_at`
    or not resolved by its `resolve_due_at`."""
    return and_(
        col(Report.status).in_(OPEN),
        or_(
            col(Report.resolve_due_at) < now,
            and_(col(Report.acknowledged_at).is_(None), col(Report.ack_due_at) < now),
        ),
    )


def past_resolve(now: datetime) -> Any:
    """Late: open and past its resolve deadline (counted as late in "% on time", and what the
    reporter is told of)."""
    return and_(col(Report.status).in_(OPEN), col(Report.resolve_due_at) < now)


def most_overdue_first() -> tuple[Any, Any]:
    """The order of overdue lists: the earliest missed deadline first."""
    from sqlalchemy import func

    return func.coalesce(Report.resolve_due_at, Report.ack_due_at), col(Report.id)
