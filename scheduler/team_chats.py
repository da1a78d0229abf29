"""The delivery engine's side of bodies' team chats (scheduler.delivery.engine.TeamChats): a
send that found the chat under a new id (a Telegram group upgraded to a supergroup) or found
it unreachable (the bot removed, the chat gone) is a platform's fact, told to the domain
(bot/domain/body_news.py `team_chat_moved`, `team_chat_lost`) as the system actor named
after the channel, inside the transaction that records the send. The news to the body's
members are outbox rows due now; the engine wakes its senders after the commit. And the
message combining a team chat's waiting news (scheduler/delivery/bundling.py) is the
domain's too (`body_news.combined_payload`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.city import CityPack
from bot.config import Settings
from bot.domain import body_news
from bot.domain.actors import Actor
from bot.domain.work import Work
from bot.i18n import Translator
from storage.models import Role


class TeamChatEvents:
    named = body_news.COMBINED_LINES

    def __init__(
        self,
        *,
        city: CityPack,
        settings: Settings,
        translator: Translator,
        clock: Callable[[], datetime],
    ) -> None:
        self.city = city
        self.settings = settings
        self.translator = translator
        self.clock = clock

    def _work(self, session: AsyncSession, channel: str) -> Work:
        now = self.clock()
        return Work(
            session=session,
            actor=Actor.machine(channel, Role.STAFF),
            settings=self.settings,
            translator=self.translator,
            city=self.city,
            clock=lambda: now,
        )

    async def moved(self, session: AsyncSession, *, channel: str, old_id: str, new_id: str) -> None:
        work = self._work(session, channel)
        await body_news.team_chat_moved(work, channel=channel, old_id=old_id, new_id=new_id)

    async def lost(self, session: AsyncSession, *, channel: str, chat_id: str) -> bool:
        work = self._work(session, channel)
        return bool(await body_news.team_chat_lost(work, channel=channel, chat_id=chat_id))

    def combined(self, language: str, payloads: list[dict[str, Any]]) -> dict[str, Any]:
        return body_news.combined_payload(self.translator, language, payloads)
