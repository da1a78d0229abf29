"""Notices in a real browser (headless Chromium): a notice composed on the map (a circle
around a clicked point), with a photo and a preview, sent to three citizens on two channels
while its progress is watched to the end; then one scheduled for districts and cancelled.
axe-core on the composer and the list (no serious or critical violation)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import expect
from sqlmodel import col, select

from storage.db import Database
from storage.models import AuditEntry, Notice
from tests.conftest import Clock, recording_channel
from tests.steps import onboard
from tests.steps.notices import BG_TEXT, EN_TEXT, TZ, subscribe
from tests.web.console.conftest import Browser, axe_check, screenshot
from tests.web.console.support import NO_TILES, link_from_chat, local

pytestmark = pytest.mark.usefixtures("browser_thread")


@pytest.fixture
async def db_url(sqlite_templates: Any) -> str:  # the browser tests run on SQLite
    return await sqlite_templates.fresh()


async def test_compose_send_watch_schedule_and_cancel(
    browser: Browser,
    bot_factory: Callable[..., object],
    db: Database,
    clock: Clock,
    jpeg: Path,
):
    console, viber = recording_channel(), recording_channel("viber")
    app: Any = await bot_factory(
        [console, viber], web=True, console_tile_url=NO_TILES, notice_tick_seconds=0
    )
    await subscribe(console, "anna")  # English, the whole city
    await subscribe(console, "boris", language="Български", topic="💧 Водоснабдяване")
    await subscribe(viber, "vera")
    await onboard(console, "admin")
    link = local(app, await link_from_chat(console))
    page = browser.page
    tomorrow = (clock.now + timedelta(days=1)).astimezone(TZ).date().isoformat()

    async def compose_and_send() -> None:
        await page.goto(link)
        await page.get_by_role("button", name="Sign in").click()
        await page.get_by_role("link", name="Notices", exact=True).click()
        await page.get_by_role("link", name="New notice").click()
        await page.get_by_role("combobox", name="Topic").select_option(label="💧 Water supply")
        await page.locator("[data-audience-map]").click()  # the centre of the city
        await expect(page.get_by_label("Around a point on the map")).to_be_checked()
        await expect(page.locator("#audience-count")).to_have_text(
            "👥 Recipients now: 3 (Console 2, Viber 1)"
        )
        await page.get_by_label("Text in Bulgarian (required)").fill(BG_TEXT)
        await page.get_by_label("Text in English (optional)").fill(EN_TEXT)
        await page.get_by_label("Photo (optional)").set_input_files(str(jpeg))
        await expect(page.locator("#photo-slot img")).to_be_visible()
        await page.get_by_role("button", name="Preview").click()
        preview = page.locator("#preview")
        await expect(preview.locator(".message-text")).to_have_text([BG_TEXT, EN_TEXT])
        await expect(preview).to_contain_text("Recipients now: 3")
        await axe_check(page)
        await screenshot(page, "notice-compose-en")
        await page.get_by_role("button", name="Send or schedule").click()
        await expect(page.locator("#message")).to_contain_text("Notice #1 is saved")

    await browser.run(compose_and_send())
    await app.notices.tick()
    await app.delivery.drain()

    async def watch_then_schedule_and_cancel() -> None:
        progress = page.locator("#progress-1")
        await expect(progress).to_have_attribute("data-state", "done")
        await expect(progress).to_contain_text("3 sent, 0 failed, of 3")
        row = page.locator("#notice-1")  # polled whole: its audience and actions follow
        await expect(row).to_contain_text("3 recipients")
        await expect(row.get_by_role("button")).to_have_count(0)
        await axe_check(page)
        await screenshot(page, "notices-en")
        await page.get_by_role("link", name="New notice").click()
        await page.get_by_label("Chosen districts").check()
        await page.get_by_label("Mladost").check()
        await page.get_by_label("Text in Bulgarian (required)").fill(BG_TEXT)
        await page.get_by_label("Once, at a date and time").check()
        await page.get_by_label("Date", exact=True).fill(tomorrow)
        await page.get_by_label("Time", exact=True).first.fill("09:00")
        await page.get_by_role("button", name="Send or schedule").click()
        await expect(page.locator("#message")).to_contain_text("Notice #2 is saved")
        await expect(page.locator("#progress-2")).to_have_attribute("data-state", "scheduled")
        page.once("dialog", lambda dialog: dialog.accept())
        await page.get_by_role("button", name="🛑 Cancel the notice — notice #2").click()
        await expect(page.locator("#message")).to_contain_text("Cancelled.")
        await expect(page.locator("#progress-2")).to_have_attribute("data-state", "cancelled")

    await browser.run(watch_then_schedule_and_cancel())
    assert [(r.text, r.image is not None) for r in console.pop("anna")] == [(EN_TEXT, True)]
    assert [r.text for r in console.pop("boris")] == [BG_TEXT]
    assert [r.text for r in viber.pop("vera")] == [EN_TEXT]
    async with db.sessions() as session:
        notices = (await session.exec(select(Notice).order_by(col(Notice.id)))).all()
        stmt = select(AuditEntry.action).where(AuditEntry.object_type == "notice")
        actions = (await session.exec(stmt.order_by(col(AuditEntry.id)))).all()
    assert [(n.audience["kind"], n.status) for n in notices] == [
        ("radius", "done"),
        ("districts", "cancelled"),
    ]
    assert notices[0].photo and notices[1].audience["districts"] == ["15"]
    assert actions == ["send", "schedule", "cancel"]
