"""Open311 API keys. The key is shown once; only its SHA-256 hash is stored."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import ApiKey, Report
from storage.types import utcnow

KEY_PREFIX_LEN = 8


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


async def create(
    session: AsyncSession, *, name: str, per_minute: int | None = None, per_day: int | None = None
) -> tuple[ApiKey, str]:
    """A new key for `name`; returns the row and the plaintext key (shown once). Limits of
    None are the settings' defaults."""
    key = secrets.token_urlsafe(32)
    row = ApiKey(
        name=name,
        key_hash=hash_key(key),
        prefix=key[:KEY_PREFIX_LEN],
        per_minute=per_minute,
        per_day=per_day,
    )
    session.add(row)
    await session.flush()
    return row, key


async def verify(session: AsyncSession, *, key: str, now: datetime | None = None) -> ApiKey | None:
    """The active key matching `key`, or None; records when it was last used.

    The key's row stays locked until the transaction ends (FOR UPDATE on PostgreSQL; SQLite
    takes its write lock when a transaction begins): two processes filing with one key take
    turns, so counting its reports (`filed_since`) and filing one cannot interleave."""
    if not key:
        return None
    stmt = select(ApiKey).where(ApiKey.key_hash == hash_key(key)).with_for_update()
    row = (await session.exec(stmt)).first()
    if row is None or row.revoked_at is not None:
        return None
    row.last_used_at = now or utcnow()
    session.add(row)
    return row


async def filed_since(
    session: AsyncSession, *, api_key_id: int, since: datetime
) -> tuple[int, datetime | None]:
    """How many reports the key filed from `since` on, and when the first of them was."""
    stmt = select(func.count(), func.min(Report.created_at)).where(
        Report.api_key_id == api_key_id, Report.created_at >= since
    )
    count, first = (await session.exec(stmt)).one()
    return count, first


LIMITS = ("per_minute", "per_day")


async def set_limits(
    session: AsyncSession, *, name: str, limits: dict[str, int | None]
) -> ApiKey | None:
    """Change some of `name`'s limits (keys of LIMITS; None: back to the settings' default);
    None if there is no active key of that name."""
    row = (await session.exec(select(ApiKey).where(ApiKey.name == name))).first()
    if row is None or row.revoked_at is not None:
        return None
    for limit, value in limits.items():
        if limit not in LIMITS:
            raise ValueError(f"unknown limit {limit!r}")
        setattr(row, limit, value)
    session.add(row)
    return row


async def revoke(session: AsyncSession, *, name: str, now: datetime | None = None) -> bool:
    row = (await session.exec(select(ApiKey).where(ApiKey.name == name))).first()
    if row is None or row.revoked_at is not None:
        return False
    row.revoked_at = now or utcnow()
    session.add(row)
    return True


async def all_keys(session: AsyncSession) -> list[ApiKey]:
    return list((await session.exec(select(ApiKey).order_by(col(ApiKey.created_at)))).all())
