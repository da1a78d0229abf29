"""Viber's receipts (delivered, seen, failed) on the outbox rows that sent the messages: the
real bot, its delivery engine sending through the fake Viber API, and the signed callbacks
POSTed to its /viber/webhook, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlmodel import select

from bot.app import CitizenBot
from bot.core.messages import Reply
from scheduler.payloads import direct_payload
from storage.db import Database
from storage.models import Outbox
from storage.repos import outbox
from tests.conftest import Clock
from tests.e2e.conftest import database_down
from tests.fakes.viber_api import FakeViberAPI, JSONDict
from tests.scheduler.seed import add_citizens, add_notice, add_rows
from tests.viber_chat import ViberChat

RECIPIENTS = ("anna", "boris")


@pytest.fixture
def api(viber_api: FakeViberAPI) -> FakeViberAPI:
    return viber_api


@pytest.fixture
async def app(start_viber: Callable[..., Awaitable[CitizenBot]]) -> CitizenBot:
    return await start_viber()


@dataclass(frozen=True)
class Sent:
    """The broadcast the engine sent: each recipient's Viber user id and message token."""

    users: dict[str, str]
    tokens: dict[str, int]


@pytest.fixture
async def sent(app: CitizenBot, api: FakeViberAPI, db: Database, clock: Clock) -> Sent:
    users = {name: api.user(name).id for name in RECIPIENTS}
    api.subscribed.update(users.values())
    citizens = await add_citizens(db, list(users.values()), channel="viber", now=clock())
    _, run_id = await add_notice(db, now=clock())
    await add_rows(db, run_id, citizens, list(users.values()), channel="viber", now=clock())
    await app.delivery.drain()
    by_user = {call.body["receiver"]: call.message_token for call in api.calls_to("send_message")}
    tokens = {name: by_user[user_id] for name, user_id in users.items()}
    return Sent(users, {name: token for name, token in tokens.items() if token is not None})


async def rows_by_user(db: Database) -> dict[str, Outbox]:
    async with db.sessions() as session:
        return {row.user_id: row for row in (await session.exec(select(Outbox))).all()}


def at(event: JSONDict) -> datetime:
    return datetime.fromtimestamp(event["timestamp"] / 1000, UTC)


# A callback: (event, whose message token, whose user id); "nobody": a token never sent.
Step = tuple[str, str, str]
# What a row ends as: (status, step index of delivered_at, of seen_at, error); None: not set.
Row = tuple[str, int | None, int | None, str | None]
UNTOUCHED: Row = ("sent", None, None, None)

CASES: dict[str, tuple[list[Step], dict[str, Row]]] = {
    "delivered": ([("delivered", "anna", "anna")], {"anna": ("sent", 0, None, None)}),
    "seen, with no delivered before it": (
        [("seen", "anna", "anna")],
        {"anna": ("sent", 0, 0, None)},
    ),
    "delivered then seen": (
        [("delivered", "anna", "anna"), ("seen", "anna", "anna")],
        {"anna": ("sent", 0, 1, None)},
    ),
    "a late delivered after seen": (
        [("seen", "boris", "boris"), ("delivered", "boris", "boris")],
        {"boris": ("sent", 0, 0, None)},
    ),
    "delivered again (a new callback) keeps the first time": (
        [("delivered", "anna", "anna"), ("delivered", "anna", "anna")],
        {"anna": ("sent", 0, None, None)},
    ),
    "failed": (
        [("failed", "boris", "boris")],
        {"boris": ("failed", None, None, "failure description")},
    ),
    "failed twice": (
        [("failed", "boris", "boris"), ("failed", "boris", "boris")],
        {"boris": ("failed", None, None, "failure description")},
    ),
    "each row its own receipts": (
        [("delivered", "anna", "anna"), ("seen", "boris", "boris")],
        {"anna": ("sent", 0, None, None), "boris": ("sent", 1, 1, None)},
    ),
    "a token never sent": ([("delivered", "nobody", "anna"), ("failed", "nobody", "anna")], {}),
    "someone else's token": ([("seen", "anna", "boris"), ("failed", "boris", "anna")], {}),
}


@pytest.mark.parametrize("case", list(CASES))
async def test_receipts_update_the_row_that_sent_the_message(
    case: str, sent: Sent, api: FakeViberAPI, db: Database
):
    steps, expected = CASES[case]
    events = []
    for name, whose_token, whose_user in steps:
        token = sent.tokens.get(whose_token, 1_000_000_000_000_000_001)
        event = api.status_event(name, sent.users[whose_user], token)
        assert (await api.post(event)).status == 200
        events.append(event)

    rows = await rows_by_user(db)
    for name in RECIPIENTS:
        row = rows[sent.users[name]]
        status, delivered, seen, error = expected.get(name, UNTOUCHED)
        assert row.external_id == str(sent.tokens[name]) and row.messages == 1
        assert (row.status, row.error) == (status, error)
        assert row.delivered_at == (at(events[delivered]) if delivered is not None else None)
        assert row.seen_at == (at(events[seen]) if seen is not None else None)


async def test_a_replayed_callback_changes_nothing_more(
    sent: Sent, api: FakeViberAPI, db: Database
):
    seen = api.status_event("seen", sent.users["anna"], sent.tokens["anna"])
    failed = api.status_event("failed", sent.users["boris"], sent.tokens["boris"])
    for event in (seen, failed):
        assert (await api.post(event)).status == 200
    before = await rows_by_user(db)
    for event in (seen, failed, seen, failed):
        assert (await api.post(event)).status == 200
    after = await rows_by_user(db)
    assert {k: r.model_dump() for k, r in after.items()} == {
        k: r.model_dump() for k, r in before.items()
    }
    assert before[sent.users["anna"]].seen_at == at(seen)
    assert before[sent.users["boris"]].status == "failed"


async def test_receipts_of_replies_outside_the_outbox_are_acknowledged_quietly(
    sent: Sent, app: CitizenBot, api: FakeViberAPI, db: Database
):
    chat = ViberChat(api)
    await chat.say("/start", user="anna")
    await chat.tap("English", user="anna")
    replies = [
        c for c in api.calls_to("send_message") if c.message_token not in sent.tokens.values()
    ]
    assert replies
    before = await rows_by_user(db)
    for call in replies:
        assert call.message_token is not None
        for name in ("delivered", "seen", "failed"):
            event = api.status_event(name, call.body["receiver"], call.message_token)
            assert (await api.post(event)).status == 200
    assert {k: r.model_dump() for k, r in (await rows_by_user(db)).items()} == {
        k: r.model_dump() for k, r in before.items()
    }


async def test_a_receipt_not_recorded_is_refused_and_recorded_when_sent_again(
    sent: Sent, app: CitizenBot, api: FakeViberAPI, db: Database
):
    event = api.status_event("delivered", sent.users["anna"], sent.tokens["anna"])
    async with database_down(app.db):
        refused = await api.post(event)
    assert refused.status == 503
    assert (await rows_by_user(db))[sent.users["anna"]].delivered_at is None
    assert (await api.post(event)).status == 200  # Viber sends it again
    assert (await rows_by_user(db))[sent.users["anna"]].delivered_at == at(event)


async def test_a_receipt_that_overtakes_the_recording_of_its_send_still_finds_its_row(
    app: CitizenBot, api: FakeViberAPI, db: Database, clock: Clock
):
    """Results are recorded in batches; Viber may report a message delivered before its
    send is recorded. Here each `delivered` reaches the bot while it is still sending."""
    users = [api.user(f"u{i}").id for i in range(3)]
    api.subscribed.update(users)
    api.auto_receipts = ("delivered",)
    citizens = await add_citizens(db, users, channel="viber", now=clock())
    async with db.sessions() as session, session.begin():
        ids = [
            (
                await outbox.enqueue_direct(
                    session,
                    citizen_id=citizen,
                    channel="viber",
                    user_id=user,
                    language="bg",
                    payload=direct_payload(Reply("Сигналът ви е приет.")),
                    now=clock(),
                )
            ).id
            for citizen, user in zip(citizens, users, strict=True)
        ]
    await app.delivery.deliver([i for i in ids if i is not None])
    await api.post_receipts()

    assert api.receipt_answers == [200, 200, 200]
    rows = await rows_by_user(db)
    tokens = {c.body["receiver"]: c.message_token for c in api.calls_to("send_message")}
    for user in users:
        assert rows[user].status == "sent" and rows[user].external_id == str(tokens[user])
        assert rows[user].delivered_at is not None
