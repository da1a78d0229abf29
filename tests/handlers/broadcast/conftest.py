"""The broadcast tests' bot: a console and a second ("viber") recording channel."""

from __future__ import annotations

import pytest

from tests.conftest import Clock, recording_channel
from tests.steps.notices import TZ, City


@pytest.fixture
async def city(bot_factory, clock: Clock) -> City:
    console, viber = recording_channel(), recording_channel("viber")
    app = await bot_factory([console, viber], notice_tick_seconds=0)
    assert app.city.timezone == TZ
    return City(app, console, viber)
