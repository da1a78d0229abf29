"""bodies.json: Sofia's bodies load; a city's own pack in any directory; every mistake is one
line `<file>: <field>: <reason>`."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from bot.city import PACKS_DIR, BodyKind, CityPackError, load_city
from bot.city.bodies import BotDelivery, EmailDelivery, Open311Delivery


@pytest.fixture
def pack(tmp_path: Path) -> Path:
    """A city's own pack in a directory of its own (CITY=/path/to/mycity)."""
    shutil.copytree(PACKS_DIR / "sofia", tmp_path / "mycity")
    return tmp_path / "mycity"


def edit(pack: Path, name: str, change: Callable[[Any], object]) -> None:
    path = pack / name
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def error(pack: Path, name: str = "bodies.json") -> str:
    with pytest.raises(CityPackError) as info:
        load_city(str(pack))
    message = str(info.value)
    assert "\n" not in message and message.startswith(f"{pack / name}: "), message
    return message.removeprefix(f"{pack / name}: ")


def test_sofia_ships_its_bodies_with_bot_delivery():
    city = load_city("sofia")
    codes = [b.code for b in city.bodies.bodies]
    assert len(codes) == 29 and city.bodies.fallback == "sofia-municipality"
    assert {"inspectorate", "sofiyska-voda", "toplofikatsia", "mobility-centre"} <= set(codes)
    assert all(
        isinstance(b.delivery, BotDelivery) for b in city.bodies.bodies
    )  # no invented emails
    assert city.body("sofiyska-voda").name("bg") == "Софийска вода"
    assert city.body("inspectorate").kind is BodyKind.INSPECTORATE
    assert city.body("inspectorate").covers("07") and city.body("district-07").covers("07")
    assert not city.body("district-07").covers("08")
    assert city.bodies.district_administration("24").code == "district-24"


def test_a_pack_in_a_directory_with_other_deliveries(pack: Path):
    def deliveries(data: dict) -> None:
        data["bodies"][1]["delivery"] = {"type": "email", "address": "signals@example.org"}
        data["bodies"][26]["delivery"] = {
            "type": "open311",
            "endpoint": "https://open311.example.org/v2/",
            "api_key_env": "SOFIYSKA_VODA_OPEN311_KEY",
            "service_codes": {"sofia-2": "WATER-LEAK"},
        }
        data["bodies"][2]["team_chat"] = {"channel": "telegram", "chat_id": "-1001234567890"}

    edit(pack, "bodies.json", deliveries)
    city = load_city(str(pack))
    assert city.code == "mycity"
    assert city.body("district-01").delivery == EmailDelivery(
        type="email", address="signals@example.org"
    )
    assert city.body("district-02").team_chat == ("telegram", "-1001234567890")
    assert city.body("district-01").team_chat is None
    voda = city.body("sofiyska-voda").delivery
    assert isinstance(voda, Open311Delivery) and voda.service_codes == {"sofia-2": "WATER-LEAK"}


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d.pop("fallback"), "fallback: is required"),
        (lambda d: d.update(fallback="nobody"), "fallback: unknown body 'nobody'"),
        (lambda d: d.update(bodies=[]), "bodies: List should have at least 1 item"),
        (
            lambda d: d["bodies"][2].update(code="district-01"),
            "bodies[2].code: body code 'district-01' is used twice",
        ),
        (lambda d: d["bodies"][1].update(code="Район 1"), "bodies[1].code: code 'Район 1' is not"),
        (lambda d: d["bodies"][1]["names"].pop("en"), "bodies[1].names: has no 'en' text"),
        (lambda d: d["bodies"][1].update(kind="ministry"), "bodies[1].kind: Input should be"),
        (
            lambda d: d["bodies"][1].update(districts=["99"]),
            "bodies[1].districts[0]: unknown district '99'",
        ),
        (
            lambda d: d["bodies"][2].update(districts=["01"]),
            "bodies[2].districts[0]: district '01' already has 'district-01'",
        ),
        (
            lambda d: d["bodies"].pop(24),
            "bodies: no district administration for district '24'",
        ),
        (
            lambda d: d["bodies"][1].update(districts="all"),
            "bodies[1].districts: a district administration names its districts",
        ),
        (
            lambda d: d["bodies"][1].update(delivery={"type": "email", "address": "nobody"}),
            "bodies[1].delivery.address: 'nobody' is not an email address",
        ),
        (
            lambda d: d["bodies"][1].update(delivery={"type": "fax"}),
            "bodies[1].delivery: Input tag 'fax' found using 'type' does not match",
        ),
        (
            lambda d: d["bodies"][1].update(
                delivery={
                    "type": "open311",
                    "endpoint": "https://x.example/",
                    "api_key_env": "lower",
                    "service_codes": {},
                }
            ),
            "bodies[1].delivery.api_key_env: String should match pattern",
        ),
        (
            lambda d: d["bodies"][1].update(
                delivery={
                    "type": "open311",
                    "endpoint": "https://x.example/",
                    "api_key_env": "KEY",
                    "service_codes": {"sofia-999": "X"},
                }
            ),
            "bodies[1].delivery.service_codes.sofia-999: unknown category 'sofia-999'",
        ),
        (lambda d: d["bodies"][1].update(email="x@y.z"), "bodies[1].email: unknown field"),
        (
            lambda d: d["bodies"][1].update(team_chat={"chat_id": "@team"}),
            "bodies[1].team_chat.chat_id: String should match pattern",
        ),
    ],
)
def test_mistakes_are_one_line_naming_the_field(pack: Path, change, expected: str):
    edit(pack, "bodies.json", change)
    assert error(pack).startswith(expected)


def test_a_category_names_a_body_of_the_pack(pack: Path):
    edit(pack, "categories.json", lambda c: c[1].update(body="water-board"))
    message = error(pack, "categories.json")
    assert message == "[1].body: unknown body 'water-board' (not in bodies.json)"


def test_a_pack_without_bodies_is_refused(pack: Path):
    (pack / "bodies.json").unlink()
    assert error(pack) == "file is missing"
