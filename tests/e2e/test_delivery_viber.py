"""The delivery engine sending through the real ViberChannel to the fake Viber REST API, on
SQLite and PostgreSQL: what each row cost and its message token, the receipts and the bill in
the staff's /notice report, and the sender's progress as milestone messages (Viber cannot
edit a message, and bills each one)."""

from __future__ import annotations

import io
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

import pytest
from PIL import Image
from sqlmodel import select

from bot.app import CitizenBot
from bot.core.messages import Reply
from scheduler.payloads import direct_payload
from scheduler.ratelimit import TokenBucket
from storage.db import Database
from storage.models import Outbox
from storage.repos import outbox
from tests.conftest import Clock
from tests.fakes.viber_api import FakeViberAPI
from tests.scheduler.seed import add_citizens, add_notice, add_rows
from tests.viber_chat import ViberChat

StartBot = Callable[..., Awaitable[CitizenBot]]

LONG_BG = (
    "Спиране на водата в Младост 1, 2 и 3 утре от 9 до 17 ч. заради ремонт на главния "
    "водопровод по бул. Андрей Ляпчев. Цистерни ще има пред блокове 10, 25 и 101."
)
BOT_METHODS = {"get_account_info", "set_webhook", "send_message"}


@pytest.fixture
def api(viber_api: FakeViberAPI) -> FakeViberAPI:
    return viber_api


@pytest.fixture
def start(start_viber: StartBot) -> StartBot:
    return start_viber


def jpeg_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 90, 200)).save(out, "JPEG")
    return out.getvalue()


async def outbox_rows(db: Database) -> dict[str, Outbox]:
    async with db.sessions() as session:
        return {row.user_id: row for row in (await session.exec(select(Outbox))).all()}


async def seed_viber_broadcast(
    db: Database, users: list[str], *, now: datetime, **notice: object
) -> tuple[int, int]:
    citizens = await add_citizens(db, users, channel="viber", now=now)
    notice_id, run_id = await add_notice(db, now=now, **notice)  # type: ignore[arg-type]
    await add_rows(db, run_id, citizens, users, channel="viber", now=now)
    return notice_id, run_id


async def test_each_row_keeps_its_message_token_and_cost_and_the_report_shows_the_bill(
    start: StartBot, api: FakeViberAPI, db: Database, clock: Clock
):
    staff = api.user("staff", language="en")
    app = await start(admins=f"viber:{staff.id}")
    chat = ViberChat(api)
    await chat.say("/start", user="staff")
    await chat.tap("English", user="staff")

    users = [api.user(f"r{i}").id for i in range(4)]
    api.subscribed.update(users[:3])  # the fourth has left the bot: Viber refuses, status 6
    photo = await app.photos.save(jpeg_bytes())
    notice_id, _ = await seed_viber_broadcast(
        db, users, now=clock(), photo=photo, text_bg=LONG_BG, text_en=None
    )
    await app.delivery.drain()

    rows = await outbox_rows(db)
    for user in users[:3]:
        picture, text = api.messages_to(user)  # a long text cannot be the picture's caption
        assert (picture["type"], text["type"], text["text"]) == ("picture", "text", LONG_BG)
        (last, *_) = reversed([c for c in api.calls_to("send_message") if c.body is text])
        assert (rows[user].status, rows[user].messages) == ("sent", 2)
        assert rows[user].external_id == str(last.message_token)  # the last message's token
    assert (rows[users[3]].status, rows[users[3]].external_id) == ("blocked", None)

    # Viber reports: two delivered, one of them seen, and one the platform could not deliver.
    tokens = {user: int(rows[user].external_id or 0) for user in users[:3]}
    for name, user in [("delivered", 0), ("delivered", 1), ("seen", 1), ("failed", 2)]:
        event = api.status_event(name, users[user], tokens[users[user]])
        assert (await api.post(event)).status == 200

    (details,) = await chat.say(f"/notice {notice_id}", user="staff")
    assert (
        "   queued 0 · sent 2 · deferred 0 · failed 1 · blocked 1 · cancelled 0\n"
        "   delivered 2 · seen 1 (on Viber)\n"
        "   Viber messages billed: 6"
    ) in details.text


async def test_messages_of_an_attempt_that_failed_part_way_are_counted_too(
    start: StartBot, api: FakeViberAPI, db: Database, clock: Clock
):
    app = await start()
    (user,) = users = [api.user("r1").id]
    api.subscribed.add(user)
    photo = await app.photos.save(jpeg_bytes())
    await seed_viber_broadcast(db, users, now=clock(), photo=photo, text_bg=LONG_BG)
    api.fail_next("send_message", 5, after=1)  # the picture goes, the text does not
    await app.delivery.drain()
    row = (await outbox_rows(db))[user]
    assert (row.status, row.attempts, row.messages, row.external_id) == ("pending", 1, 1, None)

    clock.advance(seconds=2)
    await app.delivery.drain()
    row = (await outbox_rows(db))[user]
    assert (row.status, row.messages) == ("sent", 3)  # billed: 1 then 2
    assert row.external_id == str(api.calls_to("send_message")[-1].message_token)


async def test_progress_on_viber_is_a_new_message_at_each_milestone_never_an_edit(
    start: StartBot, api: FakeViberAPI, db: Database, clock: Clock
):
    app = await start()
    staff = api.user("staff")
    api.subscribed.add(staff.id)
    users = [api.user(f"r{i}").id for i in range(8)]
    api.subscribed.update(users)
    due = clock() + timedelta(hours=1)  # selected, not due yet
    notice_id, _ = await seed_viber_broadcast(db, users, now=due, progress=("viber", staff.id))
    progress = app.delivery.progress

    def to_staff() -> list[str]:
        return api.texts_to(staff.id)

    for _ in range(3):  # ticks without news post nothing new
        await progress.tick()
    assert to_staff() == [f"📣 Известие №{notice_id}: изпратени 0 от 8…"]

    for user in users[3:]:  # five fail for now, and are retried 2 s later
        api.fail_receiver(user, 5)
    clock.now = due
    await app.delivery.drain()
    for _ in range(3):
        await progress.tick()
    assert len(to_staff()) == 2 and "изпратени 3 от 8" in to_staff()[1]  # 37 %: a quarter

    for user in users[3:5]:
        api.heal_receiver(user)
    clock.advance(seconds=2)
    await app.delivery.drain()  # 5 of 8 sent; the other three wait 4 s
    for _ in range(3):
        await progress.tick()
    assert len(to_staff()) == 3 and "изпратени 5 от 8" in to_staff()[2]  # 62 %: a half

    for user in users[5:]:
        api.heal_receiver(user)
    clock.advance(seconds=4)
    await app.delivery.drain()  # all sent: the run is done, the final figures follow
    await progress.tick()
    *_, final = to_staff()
    assert len(to_staff()) == 4
    assert final.startswith(f"✅ Известие №{notice_id} е изпратено: 8 от 8 за ")
    assert {c.method for c in api.calls} <= BOT_METHODS  # Viber has no edit; none was tried
    assert len([c for c in api.calls_to("send_message") if c.body["receiver"] == staff.id]) == 4


class CountingBucket(TokenBucket):
    """The channel's real bucket, counting the tokens bulk sends wait for."""

    taken = 0

    async def acquire(self) -> None:
        self.taken += 1
        await super().acquire()


async def test_with_the_broadcast_api_a_notice_goes_to_300_citizens_a_call(
    start: StartBot, api: FakeViberAPI, db: Database, clock: Clock
):
    app = await start(viber_broadcast_api=True)
    sender = app.delivery.senders["viber"]
    bucket = sender.bucket = CountingBucket(sender.bucket.limit)
    users = [api.user(f"r{i}").id for i in range(650)]
    api.subscribed.update(users)
    gone, moved = users[10], users[420]
    api.subscribed.discard(gone)  # left the bot: blocked, as after a single send
    api.fail_receiver(moved, 5)  # no longer on Viber for now: retried, as a single send
    await seed_viber_broadcast(db, users, now=clock())
    await app.delivery.drain()

    broadcasts = api.calls_to("broadcast_message")
    assert [len(c.body["broadcast_list"]) for c in broadcasts] == [300, 300, 50]
    listed = [r for c in broadcasts for r in c.body["broadcast_list"]]
    assert sorted(listed) == sorted(users)  # each citizen once
    assert not api.calls_to("send_message")
    assert bucket.taken == 3  # one token per call, as for a single send
    rows = await outbox_rows(db)
    assert (rows[gone].status, rows[gone].error) == ("blocked", "status 6: receiverNotSubscribed")
    assert (rows[moved].status, rows[moved].attempts) == ("pending", 1)
    for call in broadcasts:
        for user in call.delivered_to:
            row = rows[user]
            assert (row.status, row.messages) == ("sent", 1)
            assert row.external_id == str(call.message_token)  # the broadcast's token
    assert sum(len(api.messages_to(u)) for u in users) == 648

    api.heal_receiver(moved)
    clock.advance(seconds=2)
    await app.delivery.drain()  # one row due: a plain send
    assert len(api.calls_to("broadcast_message")) == 3
    (retry,) = api.calls_to("send_message")
    assert retry.body["receiver"] == moved
    assert (await outbox_rows(db))[moved].status == "sent"


async def test_without_the_broadcast_api_a_notice_goes_one_by_one(
    start: StartBot, api: FakeViberAPI, db: Database, clock: Clock
):
    app = await start(viber_rate_limit=1000)
    users = [api.user(f"r{i}").id for i in range(650)]
    api.subscribed.update(users)
    await seed_viber_broadcast(db, users, now=clock())
    await app.delivery.drain()

    assert not api.calls_to("broadcast_message")
    sends = api.calls_to("send_message")
    assert sorted(c.body["receiver"] for c in sends) == sorted(users)  # each once
    assert {row.status for row in (await outbox_rows(db)).values()} == {"sent"}


async def test_a_broadcast_call_carries_one_language_and_a_direct_message_goes_alone(
    start: StartBot, api: FakeViberAPI, db: Database, clock: Clock
):
    app = await start(viber_broadcast_api=True)
    users = [api.user(f"r{i}").id for i in range(5)]
    api.subscribed.update(users)
    citizens = await add_citizens(db, users, channel="viber", now=clock())
    _, run_id = await add_notice(db, now=clock())
    english = {users[1], users[3]}
    await add_rows(
        db,
        run_id,
        citizens,
        users,
        channel="viber",
        language=lambda i: "en" if users[i] in english else "bg",
        now=clock(),
    )
    async with db.sessions() as session, session.begin():
        await outbox.enqueue_direct(
            session,
            citizen_id=citizens[0],
            channel="viber",
            user_id=users[0],
            language="bg",
            payload=direct_payload(Reply("Сигналът Ви е приет.")),
            now=clock(),
        )
    await app.delivery.drain()

    broadcasts = api.calls_to("broadcast_message")
    lists = {c.body["text"]: sorted(c.body["broadcast_list"]) for c in broadcasts}
    assert lists == {
        "Water cut in Mladost tomorrow, 9:00-17:00.": sorted(english),
        "Спиране на водата в Младост утре от 9 до 17 ч.": sorted(set(users) - english),
    }
    (direct,) = api.calls_to("send_message")
    assert (direct.body["receiver"], direct.body["text"]) == (users[0], "Сигналът Ви е приет.")
