"""City packs: what makes the bot one city's (names, time zone, later districts and topics)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

PACKS_DIR = Path(__file__).parent / "packs"


class CityPackError(Exception):
    pass


@dataclass(frozen=True)
class CityPack:
    code: str
    names: dict[str, str]
    timezone: ZoneInfo
    report_prefix: str
    directory: Path

    def name(self, language: str) -> str:
        return self.names.get(language) or next(iter(self.names.values()))


def available() -> list[str]:
    return sorted(p.name for p in PACKS_DIR.iterdir() if (p / "city.json").is_file())


def load_city(code: str) -> CityPack:
    directory = PACKS_DIR / code
    path = directory / "city.json"
    if not path.is_file():
        raise CityPackError(f"no city pack '{code}' (available: {', '.join(available())})")
    raw = json.loads(path.read_text(encoding="utf-8"))
    try:
        return CityPack(
            code=code,
            names=dict(raw["name"]),
            timezone=ZoneInfo(raw["timezone"]),
            report_prefix=raw["report_prefix"],
            directory=directory,
        )
    except (KeyError, ValueError) as exc:
        raise CityPackError(f"city pack '{code}' is invalid: {exc}") from exc
