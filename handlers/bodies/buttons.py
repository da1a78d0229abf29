"""The bodies' button payloads. bot/domain/body_news.py writes bak/bam/bop into the messages it
queues as plain data (the domain imports no interface), in this wire format:
bak:<report id> acknowledge, bam:<report id> assign to me, bop:<report id> open (the staff
view, in the tapper's private chat), bls the new reports of the tapper's bodies (a combined
message's: /reports of new ones, in the tapper's private chat); bn:<every|digest|none> the
/notify choice."""

from __future__ import annotations

from bot.core.buttons import ButtonData
from bot.domain.body_news import ACK_PREFIX, ASSIGN_ME_PREFIX, LIST_NEW_PREFIX, OPEN_PREFIX


class Acknowledge(ButtonData, prefix=ACK_PREFIX):
    report: int


class AssignMe(ButtonData, prefix=ASSIGN_ME_PREFIX):
    report: int


class OpenForStaff(ButtonData, prefix=OPEN_PREFIX):
    report: int


class ListNew(ButtonData, prefix=LIST_NEW_PREFIX):
    pass


class NotifyChoice(ButtonData, prefix="bn"):
    mode: str  # bot.domain.body_news.NOTIFY_MODES
