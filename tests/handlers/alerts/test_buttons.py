"""The alerts buttons keep the wire format of the payloads sent before they were typed: a
citizen's older keyboards (in /mysubs, /alerts, /stop) still work."""

from __future__ import annotations

import pytest

from bot.core.buttons import ButtonData
from handlers.alerts import buttons as b


@pytest.mark.parametrize(
    ("value", "payload"),
    [
        (b.TopicsButton(), "at"),
        (b.TopicToggle("water", True), "at:water:1"),
        (b.PlacesButton(), "ap"),
        (b.PlacesChoice(b.DISTRICTS), "ap:districts"),
        (b.DistrictToggle("15", False), "ad:15:0"),
        (b.RadiusButton(1000), "ar:1000"),
        (b.RemovePlaceButton(12), "ax:12"),
        (b.MineButton(), "am"),
        (b.QuietButton(), "aq"),
        (b.QuietChoice("1320-420"), "aq:1320-420"),
        (b.DigestButton(), "ag"),
        (b.DigestChoice(b.DIGEST_OFF), "ag:off"),
        (b.StopButton(b.STOP_RESUME), "as:resume"),
        (b.ReportNewsButton(True), "an:1"),
    ],
)
def test_payloads_pack_and_parse_as_before(value: ButtonData, payload: str):
    assert value.pack() == payload
    assert type(value).parse(payload) == value
