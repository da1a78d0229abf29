"""feeds.json: the Sofia pack's feeds load; a pack may live in any directory (CITY is then
a path); every mistake is one line `<file>: <field>: <reason>`; no file means no feeds."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from bot.city import PACKS_DIR, CityPackError, load_city
from bot.city.feeds import FeedMode, FeedType


@pytest.fixture
def pack(tmp_path: Path) -> Path:
    shutil.copytree(PACKS_DIR / "sofia", tmp_path / "mycity")
    return tmp_path / "mycity"


def feeds_of(pack: Path) -> list[dict[str, Any]]:
    return json.loads((pack / "feeds.json").read_text(encoding="utf-8"))


def write(pack: Path, feeds: Any) -> None:
    (pack / "feeds.json").write_text(json.dumps(feeds, ensure_ascii=False), encoding="utf-8")


def error(pack: Path) -> str:
    with pytest.raises(CityPackError) as info:
        load_city(str(pack))
    message = str(info.value)
    assert "\n" not in message and message.startswith(f"{pack / 'feeds.json'}: ")
    return message.removeprefix(f"{pack / 'feeds.json'}: ")


def test_sofia_ships_the_real_feeds_in_review_mode():
    city = load_city("sofia")
    by_id = {f.id: f for f in city.feeds}
    assert set(by_id) == {"meteoalarm", "sofiatraffic", "sofiyska-voda"}
    assert all(f.mode == FeedMode.REVIEW for f in city.feeds)
    assert by_id["meteoalarm"].type == FeedType.CAP_ATOM
    assert str(by_id["meteoalarm"].url).endswith("/meteoalarm-legacy-atom-bulgaria")
    assert by_id["sofiatraffic"].type == FeedType.GTFS_RT
    voda = by_id["sofiyska-voda"]
    assert voda.type == FeedType.ARCGIS and "outSR=4326" in str(voda.url)
    assert voda.headers["Referer"].startswith("https://gispx.sofiyskavoda.bg/")
    assert voda.report_categories == ("sofia-2",)


def test_a_pack_in_any_directory(pack: Path):
    city = load_city(str(pack))
    assert city.code == "mycity" and city.directory == pack
    (pack / "feeds.json").unlink()
    assert load_city(str(pack)).feeds == ()


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda f: f[0].update(type="rss"), "[0].type: Input should be 'cap', 'cap-atom'"),
        (lambda f: f[1].update(mode="sometimes"), "[1].mode: Input should be 'auto' or 'review'"),
        (lambda f: f[0].pop("url"), "[0].url: is required"),
        (lambda f: f[2].update(url="ftp://x"), "[2].url: URL scheme should be 'http' or 'https'"),
        (
            lambda f: f[0].update(interval_seconds=5),
            "[0].interval_seconds: Input should be greater",
        ),
        (lambda f: f[0].update(topic="weather"), "[0].topic: unknown topic 'weather'"),
        (lambda f: f[1].update(id=f[0]["id"]), "[1].id: feed id 'meteoalarm' is used twice"),
        (lambda f: f[0].update(colour="red"), "[0].colour: unknown field (a typo?)"),
        (
            lambda f: f[0].update(geocodes={"EMMA_ID:BG411": ["99"]}),
            "[0].geocodes.EMMA_ID:BG411: unknown district '99'",
        ),
        (
            lambda f: f[2].update(report_categories=["sofia-999"]),
            "[2].report_categories: unknown category 'sofia-999'",
        ),
    ],
)
def test_mistakes_are_one_line_naming_the_field(pack: Path, change, expected: str):
    feeds = feeds_of(pack)
    change(feeds)
    write(pack, feeds)
    assert error(pack).startswith(expected)


def test_not_a_list_and_bad_json(pack: Path):
    write(pack, {"id": "x"})
    assert error(pack).startswith("the file: must be a list")
    (pack / "feeds.json").write_text("[{", encoding="utf-8")
    assert error(pack).startswith("bad JSON at line 1")
