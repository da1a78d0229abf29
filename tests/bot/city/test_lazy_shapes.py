"""A pack loaded with lazy_shapes (the serving process, bot/preflight.py checked it in full)
has the same districts and answers the same lookups, loading shapely at the first one."""

from __future__ import annotations

import subprocess
import sys

from bot.city import load_city


def test_lazy_pack_has_the_same_districts_and_lookups():
    eager = load_city("sofia")
    lazy = load_city("sofia", lazy_shapes=True)
    assert [(d.code, d.number, dict(d.names), d.population) for d in lazy.districts] == [
        (d.code, d.number, dict(d.names), d.population) for d in eager.districts
    ]
    points = eager.district_index.representative_points()
    for code, (lat, lon) in points.items():
        found = lazy.district_at(lat, lon)
        assert found is not None and found.code == code
    assert lazy.district_at(0.0, 0.0) is None
    lat, lon = eager.center
    assert lazy.district_index.touching_circle(lat, lon, 3000) == (
        eager.district_index.touching_circle(lat, lon, 3000)
    )


def test_shapely_is_loaded_at_the_first_lookup_not_before():
    script = (
        "import sys; from bot.city import load_city\n"
        "city = load_city('sofia', lazy_shapes=True)\n"
        "print(len(city.districts), 'shapely' in sys.modules)\n"
        "lat, lon = city.center\n"
        "print(city.district_at(lat, lon).code, 'shapely' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    ).stdout.split("\n")
    assert out[0] == "24 False"
    assert out[1].endswith(" True")
