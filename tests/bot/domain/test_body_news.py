"""What a body hears of a report reassigned to it, on both databases: its team chat (the pack's
or a linked one) and its staff, not the one who reassigned it; a hidden report is not
announced; linking is for admins, inside a group, of a body the pack has."""

from __future__ import annotations

from sqlmodel import select

from bot.domain import body_news, handling
from bot.domain.actors import Forbidden
from bot.i18n import Translator
from scheduler.payloads import reply_from_payload
from storage.models import Outbox
from storage.repos import bodies
from tests.bot.domain.test_bodies import World, world  # noqa: F401  (the fixture)


async def rows(world: World) -> list[Outbox]:  # noqa: F811
    async with world.db.sessions() as session:
        return list((await session.exec(select(Outbox).order_by(Outbox.id))).all())


async def test_a_reassigned_report_reaches_the_new_body(world: World):  # noqa: F811
    async with world.db.sessions() as session, session.begin():
        await bodies.add(session, citizen_id=world.ids["mladost"], body_codes=["inspectorate"])
    link = lambda work, report: body_news.link_chat(  # noqa: E731
        work, "Inspectorate", channel="telegram", chat_id="-100777"
    )
    assert await world.attempt("mladost", link) is Forbidden
    assert await world.attempt(
        "admin", lambda w, r: body_news.link_chat(w, "x", channel="telegram", chat_id=None)
    ) == ("not_a_group")
    assert await world.attempt(
        "admin", lambda w, r: body_news.link_chat(w, "x", channel="telegram", chat_id="-1")
    ) == ("unknown_body")
    assert await world.attempt("admin", link) == "ok"
    before = len(await rows(world))
    reason = "A lamp in a park: the inspectorate's"
    move = lambda work, report: handling.reassign(work, report, "inspectorate", reason)  # noqa: E731
    assert await world.attempt("mladost", move) == "ok"
    new = (await rows(world))[before:]
    # The team chat and the inspector; not "mladost", who reassigned it (staff of both).
    assert [(r.channel, r.user_id) for r in new] == [
        ("telegram", "-100777"),
        ("console", "inspector"),
    ]
    group = reply_from_payload(new[0].payload)
    assert "пренасочен към Столичен инспекторат" in group.text and reason in group.text
    told = reply_from_payload(new[1].payload)
    assert told.text.startswith("↪️ Report SOF-") and "Sofia Inspectorate" in told.text
    assert [b.label for b in told.all_buttons] == [
        "Acknowledge",
        "Assign to me",
        "Assign to…",
        "Open",
    ]


async def test_a_team_chat_moves_or_is_lost(world: World):  # noqa: F811
    """A group upgraded to a supergroup: the link follows the new id. A chat that cannot be
    reached: the link is marked broken once, nothing more is posted there, and the body's
    members (staff, and the ADMINS setting's admin who joined it) are told once in private,
    each in their language; linking a group again mends it."""
    async with world.db.sessions() as session, session.begin():
        await bodies.add(session, citizen_id=world.ids["admin"], body_codes=["district-15"])
    link = lambda w, r: body_news.link_chat(  # noqa: E731
        w, "district-15", channel="telegram", chat_id="-4001"
    )
    assert await world.attempt("admin", link) == "ok"
    moved = lambda w, r: body_news.team_chat_moved(  # noqa: E731
        w, channel="telegram", old_id="-4001", new_id="-1004001"
    )
    assert await world.run("feed", moved) == ["district-15"]
    async with world.db.sessions() as session:
        chat = await bodies.chat_of(session, body_code="district-15")
        assert chat is not None and chat.chat_id == "-1004001"

    before = len(await rows(world))
    lost = lambda w, r: body_news.team_chat_lost(  # noqa: E731
        w, channel="telegram", chat_id="-1004001"
    )
    assert await world.run("feed", lost) == ["district-15"]
    assert await world.run("feed", lost) == []  # once
    told = (await rows(world))[before:]
    assert sorted(r.user_id for r in told) == ["admin", "mladost"]
    text = reply_from_payload(told[0].payload).text
    assert text.startswith("⚠️ The team chat of Mladost") and "/linkbody district-15" in text

    # Nothing is posted to the broken chat: a new report reaches the members only.
    before = len(await rows(world))
    move = lambda w, r: handling.reassign(w, r, "inspectorate", "Not ours after all")  # noqa: E731
    back = lambda w, r: handling.reassign(w, r, "district-15", "Ours after all, sorry")  # noqa: E731
    assert await world.attempt("admin", move) == "ok"
    assert await world.attempt("admin", back) == "ok"
    assert "-1004001" not in {r.user_id for r in (await rows(world))[before:]}
    assert await world.attempt("admin", link) == "ok"  # linked again: it works
    async with world.db.sessions() as session:
        chat = await bodies.chat_of(session, body_code="district-15")
        assert chat is not None and (chat.chat_id, chat.broken_at) == ("-4001", None)


def test_a_combined_message_keeps_within_telegrams_limits():
    """However many news one message carries: at most 4096 characters, 20 reports named, the
    others counted with the right plural, Open for the first four and the list button."""
    translator = Translator()

    def news(n: int, place: str) -> list[dict[str, object]]:
        return [
            {
                "text": f"🆕 Нов сигнал SOF-2026-{i:06d}\n…",
                "combined": {
                    "line": f"• SOF-2026-{i:06d} – Улично осветление, {place}, срок: 11.12.2026",
                    "id": f"SOF-2026-{i:06d}",
                    "open": f"bop:{i}",
                },
            }
            for i in range(1, n + 1)
        ]

    flood = body_news.combined_payload(translator, "bg", news(1000, "ул. „Шипка“ 1"))
    text = flood["text"]
    assert text.startswith("🆕 1000 нови сигнала\n\n• SOF-2026-000001 –")
    assert text.count("\n• ") == 20 and "SOF-2026-000021" not in text
    assert "… и още 980 сигнала." in text and len(text) <= 4096
    assert [[b["label"] for b in row] for row in flood["buttons"]] == [
        ["Отвори SOF-2026-000001", "Отвори SOF-2026-000002"],
        ["Отвори SOF-2026-000003", "Отвори SOF-2026-000004"],
        ["📋 Нови сигнали"],
    ]
    assert flood["buttons"][-1][0]["payload"] == "bls"
    # Long addresses: fewer lines fit, the rest counted.
    long = body_news.combined_payload(translator, "en", news(21, "ж.к. „Младост“ " * 12))
    assert len(long["text"]) <= 4096 and long["text"].startswith("🆕 21 new reports")
    shown = long["text"].count("\n• ")
    assert shown < 20 and f"…and {21 - shown} more reports." in long["text"]
    one_more = body_news.combined_payload(translator, "bg", news(21, "ул. „Шипка“ 1"))
    assert "… и още 1 сигнал." in one_more["text"]
