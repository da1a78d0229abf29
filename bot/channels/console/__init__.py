from bot.channels.console.channel import ConsoleChannel
from bot.channels.console.recording import RecordingChannel

__all__ = ["ConsoleChannel", "RecordingChannel"]
