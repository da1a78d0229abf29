"""The Telegram channel (python-telegram-bot): polling or webhook, Update ↔ neutral messages."""

from bot.channels.telegram.adapter import TelegramChannel

__all__ = ["TelegramChannel"]
