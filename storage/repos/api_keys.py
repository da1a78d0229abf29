"""Open311 API keys. The key is shown once; only its SHA-256 hash is stored."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import ApiKey
from storage.types import utcnow

KEY_PREFIX_LEN = 8


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


async def create(session: AsyncSession, *, name: str) -> tuple[ApiKey, str]:
    """A new key for `name`; returns the row and the plaintext key (shown once)."""
    key = secrets.token_urlsafe(32)
    row = ApiKey(name=name, key_hash=hash_key(key), prefix=key[:KEY_PREFIX_LEN])
    session.add(row)
    await session.flush()
    return row, key


async def verify(session: AsyncSession, *, key: str, now: datetime | None = None) -> ApiKey | None:
    """The active key matching `key`, or None; records when it was last used."""
    if not key:
        return None
    row = (await session.exec(select(ApiKey).where(ApiKey.key_hash == hash_key(key)))).first()
    if row is None or row.revoked_at is not None:
        return None
    row.last_used_at = now or utcnow()
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
