"""The publications a feed may be, each read into FeedItems.

- CAP 1.2 (one <alert>): one item per alert, keyed by the identifier of the first alert it
  updates (CAP <references>), so an Update or a Cancel finds the record of the original.
- Atom (MeteoAlarm's index): the links to the CAP documents of its entries.
- GTFS-Realtime: one item per entity with an alert (protobuf; gtfs-realtime-bindings).
- ArcGIS REST `query` (f=json, outSR=4326): one item per feature with polygon rings.
- GeoJSON: one item per feature of a FeatureCollection.

XML is read with defusedxml (no entities, no external references). A document that cannot be
read raises FeedError with a short reason (logged and shown to staff, never to citizens).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from bot.city.geo import EARTH_RADIUS_M

if TYPE_CHECKING:  # shapely, protobuf and the XML parser load with the first feed (idle RSS)
    from xml.etree.ElementTree import Element

    from shapely.geometry.base import BaseGeometry

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
ATOM_NS = "http://www.w3.org/2005/Atom"
SEVERE = frozenset({"Severe", "Extreme"})
TEXT_MAX = 1500


class FeedError(ValueError):
    """A publication that cannot be read."""


@dataclass(frozen=True)
class FeedItem:
    """One alert as a feed states it. `texts` by language ("bg", "en"): the official text;
    a language the feed does not give is missing. No geometry and no geocodes: the whole city."""

    source_id: str
    texts: dict[str, str] = field(default_factory=dict)
    severity: str | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    geometry: BaseGeometry | None = None
    geocodes: tuple[str, ...] = ()  # "<valueName>:<value>"
    cancelled: bool = False
    sent: datetime | None = None  # CAP: of several messages about one alert, the latest wins


# -- CAP --------------------------------------------------------------------------------------


def _xml(data: bytes) -> Element:
    from defusedxml import ElementTree
    from defusedxml.common import DefusedXmlException

    try:
        return ElementTree.fromstring(data)
    except (ElementTree.ParseError, DefusedXmlException) as exc:
        raise FeedError(f"not well-formed XML: {exc}") from None


def _cap(tag: str) -> str:
    return f"{{{CAP_NS}}}{tag}"


def _text(element: Element | None, tag: str) -> str | None:
    if element is None:
        return None
    found = element.find(_cap(tag))
    if found is None or found.text is None:
        return None
    return found.text.strip() or None


def _when(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def _language(value: str | None) -> str:
    return (value or "en-US").split("-")[0].lower()


def _polygon(value: str) -> BaseGeometry | None:
    """CAP's "lat,lon lat,lon ..." (a closed ring of at least 4 pairs)."""
    import shapely

    points = []
    for pair in value.split():
        lat, _, lon = pair.partition(",")
        try:
            points.append((float(lon), float(lat)))
        except ValueError:
            return None
    if len(points) < 4:
        return None
    polygon = shapely.Polygon(points)
    return polygon if polygon.is_valid else polygon.buffer(0)


def circle(lat: float, lon: float, radius_m: float) -> BaseGeometry:
    """A circle as a 64-sided polygon in degrees (longitude stretched for the latitude)."""
    import shapely
    import shapely.affinity

    dlat = math.degrees(radius_m / EARTH_RADIUS_M)
    xfact = 1 / max(math.cos(math.radians(lat)), 1e-6)
    return shapely.affinity.scale(shapely.Point(lon, lat).buffer(dlat, 16), xfact=xfact)


def _circle(value: str) -> BaseGeometry | None:
    """CAP's "lat,lon radius" (radius in kilometres)."""
    centre, _, radius = value.strip().partition(" ")
    lat, _, lon = centre.partition(",")
    try:
        return circle(float(lat), float(lon), float(radius) * 1000)
    except ValueError:
        return None


def _info_text(info: Element) -> str:
    parts = [_text(info, "headline"), _text(info, "description"), _text(info, "instruction")]
    return "\n".join(p for p in parts if p)[:TEXT_MAX]


def parse_cap(data: bytes) -> FeedItem:
    import shapely

    root = _xml(data)
    if root.tag != _cap("alert"):
        raise FeedError("not a CAP 1.2 <alert>")
    identifier = _text(root, "identifier")
    if not identifier:
        raise FeedError("a CAP alert without an identifier")
    references = (_text(root, "references") or "").split()
    # "sender,identifier,sent" of each earlier message: the first is the original.
    source_id = (
        references[0].split(",")[1] if references and references[0].count(",") >= 2 else identifier
    )
    cancelled = _text(root, "msgType") == "Cancel"
    texts: dict[str, str] = {}
    severity = None
    starts: list[datetime] = []
    ends: list[datetime] = []
    shapes: list[BaseGeometry] = []
    geocodes: list[str] = []
    for info in root.findall(_cap("info")):
        language = _language(_text(info, "language"))
        text = _info_text(info)
        if text and language not in texts:
            texts[language] = text
        severity = severity or _text(info, "severity")
        start = _when(_text(info, "onset") or _text(info, "effective"))
        end = _when(_text(info, "expires"))
        starts += [start] if start else []
        ends += [end] if end else []
        for area in info.findall(_cap("area")):
            for polygon in area.findall(_cap("polygon")):
                shapes += [g for g in [_polygon(polygon.text or "")] if g is not None]
            for circ in area.findall(_cap("circle")):
                shapes += [g for g in [_circle(circ.text or "")] if g is not None]
            for geocode in area.findall(_cap("geocode")):
                name, value = _text(geocode, "valueName"), _text(geocode, "value")
                if name and value:
                    geocodes.append(f"{name}:{value}")
    return FeedItem(
        source_id=source_id,
        texts=texts,
        severity=severity,
        starts_at=min(starts) if starts else None,
        ends_at=max(ends) if ends else None,
        geometry=shapely.union_all(shapes) if shapes else None,
        geocodes=tuple(dict.fromkeys(geocodes)),
        cancelled=cancelled,
        sent=_when(_text(root, "sent")),
    )


def parse_atom(data: bytes) -> list[tuple[str, str]]:
    """(entry id, CAP document URL) of each entry of an Atom index."""
    root = _xml(data)
    if root.tag != f"{{{ATOM_NS}}}feed":
        raise FeedError("not an Atom <feed>")
    out = []
    for entry in root.findall(f"{{{ATOM_NS}}}entry"):
        entry_id = (entry.findtext(f"{{{ATOM_NS}}}id") or "").strip()
        links = entry.findall(f"{{{ATOM_NS}}}link")
        cap = [ln for ln in links if "cap" in (ln.get("type") or "")] or links
        href = cap[0].get("href") if cap else None
        if entry_id and href:
            out.append((entry_id, href))
    return out


# -- GTFS-Realtime ----------------------------------------------------------------------------

_GTFS_SEVERITY = {"SEVERE": "Severe", "WARNING": "Moderate", "INFO": "Minor"}


def _translated(value: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for translation in value.translation:
        language = _language(translation.language) if translation.language else ""
        out.setdefault(language, translation.text.strip())
    return out


def parse_gtfs_rt(data: bytes, *, language: str) -> list[FeedItem]:
    from google.protobuf.message import DecodeError
    from google.transit import gtfs_realtime_pb2

    message = gtfs_realtime_pb2.FeedMessage()
    try:
        message.ParseFromString(data)
    except DecodeError as exc:
        raise FeedError(f"not a GTFS-Realtime FeedMessage: {exc}") from None
    items = []
    for entity in message.entity:
        if not entity.HasField("alert"):
            continue
        alert = entity.alert
        headers, bodies = _translated(alert.header_text), _translated(alert.description_text)
        texts = {}
        for lang in dict.fromkeys([*headers, *bodies]):
            text = "\n".join(t for t in (headers.get(lang), bodies.get(lang)) if t)[:TEXT_MAX]
            texts.setdefault(lang or language, text)
        starts = [p.start for p in alert.active_period if p.start]
        ends = [p.end for p in alert.active_period if p.end]
        severity = gtfs_realtime_pb2.Alert.SeverityLevel.Name(alert.severity_level)
        items.append(
            FeedItem(
                source_id=entity.id,
                texts={k: v for k, v in texts.items() if v},
                severity=_GTFS_SEVERITY.get(severity),
                starts_at=datetime.fromtimestamp(min(starts), UTC) if starts else None,
                ends_at=datetime.fromtimestamp(max(ends), UTC) if ends else None,
                cancelled=entity.is_deleted,
            )
        )
    return items


# -- ArcGIS and GeoJSON -----------------------------------------------------------------------


def _json(data: bytes) -> Any:
    try:
        return json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise FeedError(f"not JSON: {exc}") from None


def _epoch_ms(value: Any) -> datetime | None:
    if isinstance(value, int | float) and math.isfinite(value):
        return datetime.fromtimestamp(value / 1000, UTC)
    return None


def _clean(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    text = " ".join(value.split())
    return text or None


def parse_arcgis(data: bytes, *, language: str) -> list[FeedItem]:
    """Sofiyska Voda's outages layer: attributes OBJECTID, ALERTID, LOCATION, DESCRIPTION,
    ALERTTYPE, START_, ALERTEND (epoch milliseconds); polygon rings in WGS84 (outSR=4326)."""
    import shapely

    raw = _json(data)
    if not isinstance(raw, dict):
        raise FeedError("not an ArcGIS query answer")
    if "error" in raw:
        raise FeedError(f"ArcGIS error: {str(raw['error'])[:200]}")
    wkid = (raw.get("spatialReference") or {}).get("wkid", 4326)
    if wkid != 4326:
        raise FeedError(f"coordinates in spatial reference {wkid}; ask for outSR=4326")
    items = []
    for feature in raw.get("features") or []:
        attributes = feature.get("attributes") or {}
        key = attributes.get("ALERTID") or attributes.get("OBJECTID")
        rings = (feature.get("geometry") or {}).get("rings")
        if key is None or not rings:
            continue
        try:
            geometry = shapely.union_all(
                [shapely.Polygon(ring) for ring in rings if len(ring) >= 4]
            ).buffer(0)
        except (ValueError, TypeError) as exc:
            raise FeedError(f"feature {key}: bad rings: {exc}") from None
        parts = [
            _clean(attributes.get("ALERTTYPE")),
            _clean(attributes.get("LOCATION")),
            _clean(attributes.get("DESCRIPTION")),
        ]
        text = "\n".join(dict.fromkeys(p for p in parts if p))[:TEXT_MAX]
        items.append(
            FeedItem(
                source_id=str(key),
                texts={language: text} if text else {},
                starts_at=_epoch_ms(attributes.get("START_")),
                ends_at=_epoch_ms(attributes.get("ALERTEND")),
                geometry=None if geometry.is_empty else geometry,
            )
        )
    return items


def parse_geojson(data: bytes, *, language: str) -> list[FeedItem]:
    """A FeatureCollection; each feature's `id` (or properties.id) is its key; properties
    `text_bg`/`text_en` (or `text`, in the feed's language), `starts_at`, `ends_at` (ISO 8601)
    and `severity` are read when present."""
    from shapely.geometry import shape

    raw = _json(data)
    if not isinstance(raw, dict) or raw.get("type") != "FeatureCollection":
        raise FeedError("not a GeoJSON FeatureCollection")
    items = []
    for feature in raw.get("features") or []:
        props = feature.get("properties") or {}
        key = feature.get("id", props.get("id"))
        if key is None:
            continue
        try:
            geometry = shape(feature["geometry"]) if feature.get("geometry") else None
        except (KeyError, ValueError, TypeError, AttributeError) as exc:
            raise FeedError(f"feature {key}: bad geometry: {exc}") from None
        texts = {lang: props[f"text_{lang}"] for lang in ("bg", "en") if props.get(f"text_{lang}")}
        if not texts and props.get("text"):
            texts = {language: str(props["text"])}
        items.append(
            FeedItem(
                source_id=str(key),
                texts={k: str(v)[:TEXT_MAX] for k, v in texts.items()},
                severity=props.get("severity"),
                starts_at=_when(props.get("starts_at")),
                ends_at=_when(props.get("ends_at")),
                geometry=geometry,
            )
        )
    return items
