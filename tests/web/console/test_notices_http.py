"""Notices in the console over plain HTTP: a notice scheduled from the composer's form,
paused and resumed, and a weekly one, each action audited under the member's ref; a post
without the CSRF token, a bad form and a member whose rights were revoked are refused, and
the notice stays as it was. A photo uploaded in the composer that no notice uses is deleted
by the daily retention job."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlmodel import col, select

from storage.db import Database
from storage.models import AuditEntry, Notice
from storage.refs import public_ref
from storage.repos import citizens
from tests.conftest import Clock, recording_channel
from tests.steps import onboard
from tests.steps.admin import ref_of
from tests.steps.notices import TZ
from tests.web.console.support import client, console_bot, csrf_of, link_from_chat, sign_in


@pytest.fixture
async def db_url(sqlite_templates: Any) -> str:
    # SQLite only: the notices' queries run on both databases in tests/handlers/broadcast and
    # tests/bot/domain/test_notices.py; this test is about the console's forms and rights.
    return await sqlite_templates.fresh()


def scheduled_form(clock: Clock, token: str, **changes: str) -> dict[str, str]:
    tomorrow = (clock.now + timedelta(days=1)).astimezone(TZ).date()
    return {
        "csrf": token,
        "topic": "water",
        "audience": "districts",
        "district": "15",
        "text_bg": "Утре няма да има вода.",
        "when": "at",
        "at_date": tomorrow.isoformat(),
        "at_time": "09:00",
    } | changes


async def notice_status(db: Database) -> list[str]:
    async with db.sessions() as session:
        return [n.status for n in (await session.exec(select(Notice))).all()]


async def upload(http: aiohttp.ClientSession, base: str, token: str, jpeg: Path) -> str:
    """The composer's photo upload; the name its fragment carries into the form."""
    form = aiohttp.FormData()
    form.add_field("csrf", token)
    data = await asyncio.to_thread(jpeg.read_bytes)
    form.add_field("photo_file", data, filename="photo.jpg", content_type="image/jpeg")
    async with http.post(f"{base}/photo", data=form) as answer:
        found = re.search(r'name="photo" value="([^"]+)"', await answer.text())
    assert found
    return found.group(1)


async def test_notices_need_the_token_and_the_rights(
    bot_factory: Callable[..., object], db: Database, clock: Clock, jpeg: Path
):
    chat = recording_channel()
    app = await console_bot(bot_factory, chat, notice_tick_seconds=0)
    base = f"{app.web.url}/console/notices"
    async with client() as http:
        await sign_in(http, app, await link_from_chat(chat))
        token = await csrf_of(http, app)
        async with http.post(f"{base}/new", data=scheduled_form(clock, "forged")) as refused:
            assert refused.status == 403
        assert await notice_status(db) == []
        outside_city = {"audience": "radius", "lat": "41.0", "lon": "23.3", "radius_m": "1000"}
        bad = scheduled_form(clock, token, **outside_city)
        async with http.post(f"{base}/new", data=bad) as outside:
            assert outside.status == 422
            assert "That point is outside the city." in await outside.text()
        async with http.post(
            f"{base}/new", data=scheduled_form(clock, token, text_bg=" ")
        ) as empty:
            assert "Write the text in Bulgarian." in await empty.text()
        abandoned = await upload(http, base, token, jpeg)  # replaced by the next one
        kept = await upload(http, base, token, jpeg)
        async with http.post(
            f"{base}/new", data=scheduled_form(clock, token, photo=kept), allow_redirects=False
        ) as made:
            assert made.status == 303 and made.headers["Location"] == "/console/notices?created=1"
        async with http.get(f"{base}?created=1") as listed:
            page = await listed.text()
        assert "Notice #1 is saved" in page and "once, at" in page and "scheduled" in page
        async with http.post(f"{base}/1/pause", data={"csrf": "forged"}) as refused:
            assert refused.status == 403
        assert await notice_status(db) == ["scheduled"]
        async with http.post(f"{base}/1/pause", data={"csrf": token}) as paused:
            assert "Paused. Nothing is sent until you resume it." in await paused.text()
        async with http.post(f"{base}/1/pause", data={"csrf": token}) as again:
            assert "That action is out of date" in await again.text()
        async with http.post(f"{base}/1/resume", data={"csrf": token}) as resumed:
            assert "Resumed." in await resumed.text()
        async with http.post(f"{base}/1/pause", data={"csrf": token}) as paused:
            assert paused.status == 200
        weekly = {"when": "repeat", "repeat": "weekly", "repeat_time": "08:30", "weekday": "1"}
        async with http.post(
            f"{base}/new", data=scheduled_form(clock, token, **weekly), allow_redirects=False
        ) as made:
            assert made.status == 303
        async with http.get(base) as listed:
            assert "every week on Monday at 08:30" in await listed.text()
    assert await notice_status(db) == ["paused", "scheduled"]

    await onboard(chat, "s1")
    ref = await ref_of(chat, db, "s1")
    await chat.say(f"/grant staff {ref}", user="admin")
    chat.pop("s1")
    async with client() as http:
        await sign_in(http, app, await link_from_chat(chat, "s1"))
        token = await csrf_of(http, app)
        await chat.say(f"/revoke {ref}", user="admin")
        async with http.post(
            f"{base}/1/cancel", data={"csrf": token}, allow_redirects=False
        ) as refused:
            assert refused.status == 303 and refused.headers["Location"] == "/console/signed-out"
    assert await notice_status(db) == ["paused", "scheduled"]
    async with db.sessions() as session:
        stmt = select(AuditEntry).where(AuditEntry.object_type == "notice")
        entries = (await session.exec(stmt.order_by(col(AuditEntry.id)))).all()
        admin = await citizens.find_by_identity(session, channel="console", user_id="admin")
    assert admin is not None and admin.id is not None
    assert [(e.action, e.actor_ref) for e in entries] == [
        ("schedule", public_ref(admin.id)),
        ("pause", public_ref(admin.id)),
        ("resume", public_ref(admin.id)),
        ("pause", public_ref(admin.id)),
        ("schedule", public_ref(admin.id)),
    ]
    # A day later the retention job deletes the photo no notice uses, and keeps the other.
    photos = app.photos
    assert photos.exists(abandoned) and photos.exists(kept)
    assert await app.retention.prune_pending_photos() == 0  # not a day old yet
    clock.advance(days=1, seconds=1)
    assert await app.retention.prune_pending_photos() == 1
    assert not photos.exists(abandoned) and photos.exists(kept)
    assert await photos.pending(before=clock.now) == []
