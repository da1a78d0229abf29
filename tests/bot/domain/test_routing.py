"""Routing at filing: every Sofia category in every district (and without one) goes to the
body the pack says."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.city import DISTRICT_BODY, BodyKind, load_city
from bot.domain.routing import body_for, route

CITY = load_city("sofia")
NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)

# Category → the body that handles it; "district" is the report's district administration.
EXPECTED = {
    "sofia-1": "district",
    "sofia-27": "district",
    "sofia-30": "inspectorate",
    "sofia-3": "district",
    "sofia-4": "mobility-centre",
    "sofia-5": "mobility-centre",
    "sofia-2": "sofiyska-voda",
    "sofia-6": "district",
    "sofia-7": "inspectorate",
    "sofia-8": "inspectorate",
    "sofia-9": "district",
    "sofia-11": "district",
    "sofia-28": "district",
    "sofia-32": "district",
    "sofia-38": "mobility-centre",
    "sofia-22": "inspectorate",
    "sofia-40": "district",
}
DISTRICTS = [d.code for d in CITY.districts]


def test_the_table_covers_every_category():
    assert set(EXPECTED) == {c.code for c in CITY.categories}


def test_24_district_administrations_one_per_district():
    admins = [b for b in CITY.bodies.bodies if b.kind is BodyKind.DISTRICT_ADMINISTRATION]
    assert len(admins) == 24 == len(DISTRICTS)
    assert sorted(b.districts for b in admins) == sorted((code,) for code in DISTRICTS)
    assert CITY.body("district-15").name("bg") == "Район „Младост“"
    assert CITY.body("district-15").name("en") == "Mladost District Administration"


@pytest.mark.parametrize("district", [*DISTRICTS, None])
@pytest.mark.parametrize("category", list(EXPECTED))
def test_every_category_in_every_district(category: str, district: str | None):
    expected = EXPECTED[category]
    if expected == DISTRICT_BODY:
        expected = f"district-{district}" if district else "sofia-municipality"
    assert route(CITY, category, district, NOW).body.code == expected


def test_an_unknown_category_or_district_goes_to_the_district_or_the_fallback():
    assert body_for(CITY, None, "05").code == "district-05"
    assert body_for(CITY, CITY.category("sofia-1"), "99").code == "sofia-municipality"


def test_the_route_carries_the_category_deadlines():
    found = route(CITY, "sofia-2", "01", NOW)  # water, at 12:00: 4 working hours, 10 days
    assert found.acknowledge_by == datetime(2026, 11, 27, 16, 0, tzinfo=CITY.timezone)
    assert found.resolve_by == datetime(2026, 12, 11, 17, 30, tzinfo=CITY.timezone)
