"""Open311 GeoReport v2 documents as JSON or XML, and errors in the spec's format.

A document is plain data (dicts, lists, str, int, float, bool, None). JSON renders it as is;
XML follows the spec's shapes: a list becomes repeated child elements (`<services><service>`),
None is left out, booleans are `true`/`false`. XML is built with ElementTree, never by
pasting strings, and characters XML 1.0 cannot carry are dropped.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any, Literal

from aiohttp import web

if TYPE_CHECKING:  # ElementTree loads with the first XML document asked for (idle RSS)
    import xml.etree.ElementTree as ET

Format = Literal["json", "xml"]
FORMATS: tuple[Format, ...] = ("json", "xml")

JSON_TYPE = "application/json; charset=utf-8"
XML_TYPE = "application/xml; charset=utf-8"
XML_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>\n'

ITEM_TAGS = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
    "attributes": "attribute",
    "values": "value",
}
"""The element of each item of a list, by the list's element (the spec's names)."""

_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(value: str) -> str:
    """`value` without the characters XML 1.0 cannot carry (control characters, lone
    surrogates, U+FFFE/U+FFFF)."""
    return _NOT_XML.sub("", value)


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return xml_text(str(value))


def _child(element: ET.Element, tag: str) -> ET.Element:
    child = element.makeelement(tag, {})  # ET.SubElement, without the module at hand
    element.append(child)
    return child


def _fill(element: ET.Element, value: Any) -> None:
    if isinstance(value, dict):
        for key, child in value.items():
            if child is not None:
                _fill(_child(element, key), child)
    elif isinstance(value, list):
        item_tag = ITEM_TAGS.get(element.tag, "item")
        for child in value:
            _fill(_child(element, item_tag), child)
    else:
        element.text = _scalar(value)


def to_xml(root: str, data: Any) -> bytes:
    import xml.etree.ElementTree as ET

    element = ET.Element(root)
    _fill(element, data)
    return (XML_DECLARATION + ET.tostring(element, encoding="unicode")).encode("utf-8")


def to_json(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def document(fmt: Format, root: str, data: Any, *, status: int = 200) -> web.Response:
    """`data` as a response; `root` names the XML root element (`services`, ...)."""
    if fmt == "xml":
        body, content_type = to_xml(root, data), XML_TYPE
    else:
        body, content_type = to_json(data), JSON_TYPE
    return web.Response(body=body, status=status, headers={"Content-Type": content_type})


def error(fmt: Format, status: int, description: str) -> web.Response:
    """`[{"code": 400, "description": "..."}]`, or `<errors><error>...` in XML."""
    return document(fmt, "errors", [{"code": status, "description": description}], status=status)
