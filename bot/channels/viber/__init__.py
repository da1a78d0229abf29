"""The Viber channel (REST Bot API over aiohttp): webhook in, send_message/broadcast out."""

from bot.channels.viber.adapter import ViberChannel

__all__ = ["ViberChannel"]
