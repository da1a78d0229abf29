"""Broken packs stop the bot with one line that names the file and the problem."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.city import PACKS_DIR, CityPackError, available, load_city


@pytest.fixture
def packs(tmp_path: Path) -> Path:
    """A copy of the shipped packs that a test may break."""
    shutil.copytree(PACKS_DIR / "sofia", tmp_path / "sofia")
    return tmp_path


def edit_json(path: Path, change: Callable[[Any], object]) -> None:
    """Apply `change` to the file's data in place (its return value is ignored)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    write_json(path, data)


def write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def load_error(packs: Path) -> str:
    with pytest.raises(CityPackError) as info:
        load_city("sofia", packs_dir=packs)
    message = str(info.value)
    assert "\n" not in message
    return message


def test_a_good_copy_loads(packs: Path):
    pack = load_city("sofia", packs_dir=packs)
    assert pack.directory == packs / "sofia"
    assert (len(pack.districts), len(pack.categories), len(pack.topics)) == (24, 17, 9)
    assert pack.report_prefix == "SOF"
    assert str(pack.timezone) == "Europe/Sofia"
    assert pack.name("en") == "Sofia Municipality"


def test_available(packs: Path):
    assert available() == ["sofia"]
    assert available(packs) == ["sofia"]
    assert available(packs / "nowhere") == []


@pytest.mark.parametrize("code", ["plovdiv", "../sofia", "Sofia", ""])
def test_an_unknown_pack(packs: Path, code: str):
    with pytest.raises(CityPackError, match=r"no city pack .* \(available: sofia\)"):
        load_city(code, packs_dir=packs)


@pytest.mark.parametrize(
    "name", ["categories.json", "topics.json", "districts.geojson", "bodies.json"]
)
def test_a_missing_file(packs: Path, name: str):
    (packs / "sofia" / name).unlink()
    assert load_error(packs) == f"{packs / 'sofia' / name}: file is missing"


@pytest.mark.parametrize(
    "name", ["city.json", "categories.json", "topics.json", "districts.geojson", "bodies.json"]
)
def test_bad_json(packs: Path, name: str):
    path = packs / "sofia" / name
    path.write_text(path.read_text(encoding="utf-8")[:-20], encoding="utf-8")
    message = load_error(packs)
    assert message.startswith(f"{path}: bad JSON at line ")


def test_not_utf8(packs: Path):
    (packs / "sofia" / "topics.json").write_bytes(b'[{"code": "\xff"}]')
    assert load_error(packs).endswith("topics.json: not UTF-8 text")


def test_duplicate_category_code(packs: Path):
    def duplicate(categories: list[dict]) -> None:
        categories[3]["code"] = categories[0]["code"]

    edit_json(packs / "sofia" / "categories.json", duplicate)
    assert load_error(packs).endswith(
        "categories.json: [3].code: category code 'sofia-1' is used twice"
    )


def test_duplicate_call_sofia_id(packs: Path):
    edit_json(packs / "sofia" / "categories.json", lambda c: c[1].update(callsofia_id=1))
    assert load_error(packs).endswith(
        "categories.json: [1].callsofia_id: callsofia_id '1' is used twice"
    )


def test_a_category_without_english(packs: Path):
    edit_json(packs / "sofia" / "categories.json", lambda c: c[2]["names"].pop("en"))
    message = load_error(packs)
    assert message.endswith("categories.json: [2].names: has no 'en' text")


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (
            lambda c: c[0]["descriptions"].pop("bg"),
            "[0].descriptions: has no 'bg' text",
        ),
        (
            lambda c: c[0]["short"].update(en="🧹 " + "x" * 40),
            "[0].short: the en text '🧹 " + "x" * 40 + "' is longer than 30 characters",
        ),
        (
            lambda c: c[0]["names"].update(bg="  "),
            "[0].names: the bg text is empty",
        ),
        (lambda c: c[0].update(code="Sofia 1"), "[0].code: code 'Sofia 1' is not 1-20"),
        (lambda c: c[0].update(code="x" * 21), "[0].code: code 'xxxxxxxxxxxxxxxxxxxxx' is"),
        (lambda c: c[0].pop("group"), "[0].group: is required"),
        (lambda c: c[0].update(descripton="typo"), "[0].descripton: unknown field (a typo?)"),
        (lambda c: c[0]["keywords"].update(en=[]), "[0].keywords: the en keywords must be a"),
        (lambda c: c[0].update(callsofia_id="1"), "[0].callsofia_id: must be a whole number"),
        (lambda c: c[0].update(body="water-board"), "[0].body: unknown body 'water-board'"),
        (lambda c: c[0].pop("deadlines"), "[0].deadlines: is required"),
        (
            lambda c: c[0]["deadlines"].update(resolve_days=0),
            "[0].deadlines.resolve_days: Input should be greater than or equal to 1",
        ),
        (
            lambda c: c[0]["deadlines"].update(acknowledge_hours=1.5),
            "[0].deadlines.acknowledge_hours: must be a whole number, not 1.5",
        ),
    ],
)
def test_invalid_categories(packs: Path, change: Callable[[Any], object], problem: str):
    path = packs / "sofia" / "categories.json"
    edit_json(path, change)
    assert load_error(packs).startswith(f"{path}: {problem}")


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({"categories": []}, "the file: must be a list"),
        ([], "the file: List should have at least 1 item after validation, not 0"),
        ([7], "[0]: must be an object, not 7"),
    ],
)
def test_categories_must_be_a_list_of_objects(packs: Path, data: Any, problem: str):
    path = packs / "sofia" / "categories.json"
    write_json(path, data)
    assert load_error(packs) == f"{path}: {problem}"


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda t: t[1].update(code="water"), "[1].code: topic code 'water' is used twice"),
        (lambda t: t[0]["names"].pop("bg"), "[0].names: has no 'bg' text"),
        (lambda t: t[0].update(urgent_by_default="yes"), "[0].urgent_by_default: must be true or"),
        (lambda t: t[0].pop("emoji"), "[0].emoji: is required"),
    ],
)
def test_invalid_topics(packs: Path, change: Callable[[Any], object], problem: str):
    path = packs / "sofia" / "topics.json"
    edit_json(path, change)
    assert load_error(packs).startswith(f"{path}: {problem}")


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda c: c.pop("timezone"), "timezone: is required"),
        (lambda c: c.update(timezone="Europe/Sofya"), "timezone: unknown timezone 'Europe/Sofya'"),
        (lambda c: c.update(report_prefix="sof"), "report_prefix: 'sof' is not 2-8 capital"),
        (lambda c: c["name"].pop("en"), "name: has no 'en' text"),
        (lambda c: c.update(center=[42.7, 23.3]), "center: must be an object"),
        (lambda c: c.update(center={"lat": 42.7}), "center.lon: is required"),
        (lambda c: c.update(center={"lat": 95, "lon": 23.3}), "center: (95.0, 23.3) is not a"),
        (
            lambda c: c.update(center={"lat": 23.3236, "lon": 42.6966}),
            "center: (23.3236, 42.6966) is outside every district (lat and lon swapped?)",
        ),
        (
            lambda c: c.update(default_point={"lat": 42.1354, "lon": 24.7453}),
            "default_point: (42.1354, 24.7453) is outside every district",
        ),
        (
            lambda c: c["working_time"].update(end="08:00"),
            "working_time.end: must be after start",
        ),
        (
            lambda c: c["working_time"].update(start="9 o'clock"),
            'working_time.start: "9 o\'clock" is not a time HH:MM',
        ),
        (
            lambda c: c["working_time"].update(holidays="XX"),
            "working_time.holidays: the holidays library knows no country 'XX'",
        ),
    ],
)
def test_invalid_city(packs: Path, change: Callable[[Any], object], problem: str):
    path = packs / "sofia" / "city.json"
    edit_json(path, change)
    assert load_error(packs).startswith(f"{path}: {problem}")


def test_default_point_is_optional(packs: Path):
    edit_json(packs / "sofia" / "city.json", lambda c: c.pop("default_point"))
    pack = load_city("sofia", packs_dir=packs)
    assert pack.default_point is None
    assert not pack.is_default_point(42.6969, 23.33167)


def _bowtie(f: list[dict]) -> None:
    f[0]["geometry"] = {
        "type": "Polygon",
        "coordinates": [[[23, 42], [24, 43], [24, 42], [23, 43], [23, 42]]],
    }


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (
            lambda f: f[5]["properties"].update(code="01"),
            "features[5].properties.code: district code '01' is used twice",
        ),
        (
            lambda f: f[5]["properties"].update(number=1),
            "features[5].properties.number: district number '1' is used twice",
        ),
        (
            lambda f: f[0]["properties"].pop("name_en"),
            "features[0].properties.name_en: must be a non-empty string",
        ),
        (lambda f: f[0]["properties"].pop("code"), "features[0].properties.code: is required"),
        (lambda f: f[0].update(geometry=None), "features[0].geometry: must be a Polygon"),
        (
            lambda f: f[0]["geometry"].update(type="Point", coordinates=[23.3, 42.7]),
            "features[0].geometry: must be a Polygon or MultiPolygon",
        ),
        (_bowtie, "features[0].geometry: is invalid: Self-intersection"),
        (
            lambda f: f[0]["geometry"].update(coordinates=[[[[0, 0], [1, 1]]]]),
            "features[0].geometry: cannot be read",
        ),
    ],
)
def test_invalid_districts(packs: Path, change: Callable[[Any], object], problem: str):
    path = packs / "sofia" / "districts.geojson"

    def trim_and_change(data: dict) -> None:
        data["features"] = data["features"][:6]  # Sredets..Poduyane: enough, and loads faster
        change(data["features"])

    edit_json(path, trim_and_change)
    assert load_error(packs).startswith(f"{path}: {problem}")


def test_districts_must_be_a_feature_collection(packs: Path):
    path = packs / "sofia" / "districts.geojson"
    edit_json(path, lambda data: data.update(type="GeometryCollection"))
    assert (
        load_error(packs)
        == f"{path}: type: Input should be 'FeatureCollection', not 'GeometryCollection'"
    )


def test_districts_are_sorted_by_number_whatever_the_file_order(packs: Path):
    edit_json(packs / "sofia" / "districts.geojson", lambda d: d["features"].reverse())
    pack = load_city("sofia", packs_dir=packs)
    assert [d.number for d in pack.districts] == list(range(1, 25))
    assert pack.district_at(42.6497, 23.3790) == pack.district("15")


def test_note_templates_are_optional_and_checked(packs: Path):
    templates = packs / "sofia" / "note_templates.json"
    edit_json(templates, lambda t: t[1].update(code=t[0]["code"]))
    assert load_error(packs).endswith(
        "note_templates.json: [1].code: template code 'team-sent' is used twice"
    )
    edit_json(templates, lambda t: (t[1].update(code="planned"), t[2]["texts"].pop("en")))
    assert "note_templates.json: [2].texts: " in load_error(packs)
    edit_json(templates, lambda t: (t[2]["texts"].update(en="Fixed."), t[3].update(statuses=[])))
    assert load_error(packs).endswith(
        "note_templates.json: [3].statuses: must not be empty (leave it out for every status)"
    )
    edit_json(templates, lambda t: t[3].update(statuses=["rejected", "fixed"]))
    assert load_error(packs).endswith(
        "note_templates.json: [3].statuses: unknown status 'fixed' (one of: acknowledged, "
        "in_progress, resolved, rejected, duplicate)"
    )
    edit_json(templates, lambda t: t[3].update(statuses="rejected"))
    assert load_error(packs).endswith(
        "note_templates.json: [3].statuses: must be a list, not 'rejected'"
    )
    edit_json(templates, lambda t: (t[3].pop("statuses"), t[3]["title"].update(en="x" * 31)))
    assert load_error(packs).endswith(
        f"note_templates.json: [3].title: the en text {'x' * 31!r} is longer than 30 characters"
    )
    templates.unlink()
    assert load_city("sofia", packs_dir=packs).note_templates == ()
