"""The texts of a feed alert's notices."""

from __future__ import annotations

from bot.city import load_city
from bot.config import Settings
from bot.domain.notices import TEXT_MAX
from bot.feeds.alerts import Desk, message
from bot.i18n import Translator
from storage.models import FeedAlert


def test_a_publication_longer_than_a_notice_is_cut_at_a_word():
    desk = Desk(load_city("sofia"), Translator(), Settings())
    alert = FeedAlert(
        feed_id="voda", source_id="1", topic="water", text_bg="Авария " * 1500, text_en=None
    )
    bg, en = message(desk, alert, "new")
    for text in (bg, en):
        assert len(text) <= TEXT_MAX
        assert "Авария …" in text
