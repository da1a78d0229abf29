from __future__ import annotations

import pytest

from bot.city import CityPack, load_city


@pytest.fixture(scope="session")
def sofia() -> CityPack:
    return load_city("sofia")
