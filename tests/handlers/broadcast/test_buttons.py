"""The broadcast buttons keep the wire format of the payloads sent before they were typed."""

from __future__ import annotations

import pytest

from bot.core.buttons import ButtonData
from bot.feeds.alerts import REVIEW_SEND, ReviewButton
from handlers.broadcast import buttons as b


@pytest.mark.parametrize(
    ("value", "payload"),
    [
        (b.TopicButton("water"), "bt:water"),
        (b.AudienceButton(b.TO_ALL), "ba:all"),
        (b.AudienceButton(b.NEXT), "ba:next"),
        (b.DistrictButton("15", True), "bd:15:1"),
        (b.RadiusButton(2000), "br:2000"),
        (b.UrgencyButton(False), "bu:0"),
        (b.SkipButton(b.NO_PHOTO), "bs:nophoto"),
        (b.WhenButton(b.SEND_REPEATEDLY), "bw:repeat"),
        (b.RepeatButton(b.BY_CRON), "bq:cron"),
        (b.WeekdayButton(0), "bk:0"),
        (b.NoEndButton(), "be:none"),
        (b.CancelButton(), "bx"),
        (b.ListButton(), "nl"),
        (b.OpenButton(7), "no:7"),
        (b.PauseButton(7), "np:7"),
        (b.ResumeButton(7), "nr:7"),
        (b.CancelNoticeButton(7), "nc:7"),
        (b.ConfirmCancelButton(7), "ny:7"),
        (ReviewButton(REVIEW_SEND, 3), "fa:send:3"),
    ],
)
def test_payloads_pack_and_parse_as_before(value: ButtonData, payload: str):
    assert value.pack() == payload
    assert type(value).parse(payload) == value
