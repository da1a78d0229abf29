"""A notice's photo travels once per channel: Telegram gets it uploaded by the first send and
by its file_id after (kept on the notice for later runs and other processes); Viber is pointed
at the photo already stored instead of a new copy per notice. On SQLite and PostgreSQL."""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image
from sqlmodel import select

from bot.app import CitizenBot
from storage.db import Database
from storage.models import Notice, NoticeRun
from tests.conftest import Clock
from tests.e2e.conftest import StartBot
from tests.fakes.telegram_api import FakeBotAPI
from tests.fakes.viber_api import FakeViberAPI
from tests.scheduler.seed import add_citizens, add_notice, add_rows, seed_broadcast


def jpeg_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 90, 200)).save(out, "JPEG")
    return out.getvalue()


async def another_run(db: Database, notice_id: int, clock: Clock) -> int:
    async with db.sessions() as session, session.begin():
        run = NoticeRun(notice_id=notice_id, due_at=clock(), status="sending", created_at=clock())
        session.add(run)
        await session.flush()
        assert run.id is not None
        return run.id


async def test_a_notice_photo_is_uploaded_once_and_then_sent_by_its_file_id(
    start_bot: StartBot, api: FakeBotAPI, db: Database, clock: Clock
):
    app = await start_bot()
    photo = jpeg_bytes()
    name = await app.photos.save(photo)
    run = await seed_broadcast(db, 50, now=clock(), photo=name)
    await app.delivery.drain()

    calls = api.calls_to("sendPhoto")
    uploads = [c for c in calls if "photo" in c.files]
    assert [c.files["photo"] for c in uploads] == [photo]  # one multipart upload
    (file_id,) = {c.params["photo"] for c in calls if "photo" not in c.files}
    assert len(calls) == 50 and len(uploads) == 1  # and 49 sends by file_id
    assert {int(c.params["chat_id"]) for c in calls} == {int(u) for u in run.user_ids}
    for user in run.user_ids:  # every citizen's message shows the photo and the notice
        (text,) = api.sent_texts(user)
        assert text.startswith("Спиране на водата в Младост")
    shown = [_only_message(api, user) for user in run.user_ids]
    assert {message["photo"][-1]["file_id"] for message in shown} == {file_id}

    async with db.sessions() as session:
        notice = (await session.exec(select(Notice))).one()
    assert notice.photo_file_id == file_id

    # A later run of the notice (or another process) uploads nothing: the id is on the notice.
    clock.advance(seconds=60)
    users = [str(600_000_000 + i) for i in range(5)]
    citizens = await add_citizens(db, users, now=clock())
    run_id = await another_run(db, notice.id or 0, clock)
    await add_rows(db, run_id, citizens, users, now=clock())
    await app.delivery.drain()
    later = api.calls_to("sendPhoto")[50:]
    assert [(c.files, c.params["photo"]) for c in later] == [({}, file_id)] * 5


def _only_message(api: FakeBotAPI, chat_id: int | str) -> dict[str, Any]:
    found = [m for i in range(1, 200) if (m := api.message(chat_id, i)) is not None]
    assert len(found) == 1, found
    return found[0]


@pytest.fixture
def viber(viber_api: FakeViberAPI) -> FakeViberAPI:
    return viber_api


async def test_viber_is_pointed_at_the_stored_notice_photo_not_a_copy(
    start_viber: StartBot, viber: FakeViberAPI, db: Database, clock: Clock
):
    app: CitizenBot = await start_viber()
    users = [viber.user(f"r{i}").id for i in range(3)]
    viber.subscribed.update(users)
    name = await app.photos.save(jpeg_bytes())
    citizens = await add_citizens(db, users, channel="viber", now=clock())
    for _ in range(2):  # two notices with the same photo
        _, run_id = await add_notice(db, now=clock(), photo=name)
        await add_rows(db, run_id, citizens, users, channel="viber", now=clock())
    await app.delivery.drain()

    pictures = [m for u in users for m in viber.messages_to(u) if m["type"] == "picture"]
    assert len(pictures) == 6
    assert {p["media"].rsplit("/", 1)[-1] for p in pictures} == {f"{name}.jpg"}
    assert [p.name for p in app.photos.dir.iterdir()] == [f"{name}.jpg"]  # no copies stored


async def test_a_file_id_telegram_no_longer_knows_is_dropped_and_the_photo_uploaded_again(
    start_bot: StartBot, api: FakeBotAPI, db: Database, clock: Clock
):
    app = await start_bot()
    name = await app.photos.save(jpeg_bytes())
    run = await seed_broadcast(db, 3, now=clock(), photo=name)
    async with db.sessions() as session, session.begin():
        notice = (await session.exec(select(Notice))).one()
        notice.photo_file_id = "AgACAgIAAxkDAAIgone"  # from before, unknown to Telegram now
    await app.delivery.drain()
    refused = api.failed_calls
    assert refused and {c.params["photo"] for c in refused} == {"AgACAgIAAxkDAAIgone"}

    clock.advance(seconds=5)  # the retry
    await app.delivery.drain()
    calls = api.calls_to("sendPhoto")
    assert sum(1 for c in calls if c.files) == 1
    assert {int(c.params["chat_id"]) for c in calls} == {int(u) for u in run.user_ids}
    async with db.sessions() as session:
        notice = (await session.exec(select(Notice))).one()
    assert notice.photo_file_id not in (None, "AgACAgIAAxkDAAIgone")
