"""Lava's field checks with lava's wording (the Go SDK's sdk.CheckItem), and the JSON
Schema of an item."""
from __future__ import annotations

import decimal
import json
from typing import Any, Dict, Optional

from ._action import Description, Kind, Render

_PHRASES = {
    Kind.STRING: "a string",
    Kind.STRINGS: "a string or a list of strings",
    Kind.LIST: "a list",
    Kind.MAP: "a dict",
    Kind.STRING_OR_MAP: "a string or a dict",
    Kind.BOOL: "a boolean",
    Kind.NUMBER: "a number",
}


def kind_matches(kind: str, v: Any) -> bool:
    """Whether v has the shape kind asks for."""
    if kind == Kind.STRING:
        return isinstance(v, str)
    if kind == Kind.STRINGS:
        return isinstance(v, str) or (isinstance(v, list) and all(isinstance(e, str) for e in v))
    if kind == Kind.LIST:
        return isinstance(v, list)
    if kind == Kind.MAP:
        return isinstance(v, dict)
    if kind == Kind.STRING_OR_MAP:
        return isinstance(v, (str, dict))
    if kind == Kind.BOOL:
        return isinstance(v, bool)
    if kind == Kind.NUMBER:
        return isinstance(v, (int, float, decimal.Decimal)) and not isinstance(v, bool)
    return True  # ANY, DURATION (the action parses it)


def check_item(d: Description, item: Dict[str, Any]) -> Optional[str]:
    """Check item against d's fields in lava's order: missing keys, then (unless lenient)
    unexpected keys, then each present field's kind. Template syntax is checked by the
    host. Returns the error text, or None."""
    missing = sorted(f.name for f in d.fields if f.required and f.name not in item)
    if missing:
        return "Missing keys: " + ", ".join(missing)
    if not d.lenient:
        known = {"action"} | {f.name for f in d.fields}
        extra = sorted(k for k in item if k not in known)
        if extra:
            return "Unexpected keys: " + ", ".join(extra)
    for f in d.fields:
        if f.name in item and not kind_matches(f.kind, item[f.name]):
            return f.kind_error or f"{f.name} must be {_PHRASES.get(f.kind, f.kind)}"
    return None


def _kind_schema(kind: str) -> Dict[str, Any]:
    if kind == Kind.STRING:
        return {"type": "string"}
    if kind == Kind.STRINGS:
        return {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]}
    if kind == Kind.LIST:
        return {"type": "array"}
    if kind == Kind.MAP:
        return {"type": "object"}
    if kind == Kind.STRING_OR_MAP:
        return {"type": ["string", "object"]}
    if kind == Kind.BOOL:
        return {"type": "boolean"}
    if kind == Kind.NUMBER:
        return {"type": "number"}
    if kind == Kind.DURATION:
        return {"oneOf": [
            {"type": "number", "minimum": 0},
            {"type": "string", "pattern": r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*[wdhms]?\s*$"},
        ]}
    return {}


def schema(d: Description) -> str:
    """The JSON Schema (draft 2020-12) of an item, as the Go SDK writes it."""
    props: Dict[str, Any] = {"action": {"const": d.type}}
    required = ["action"]
    for f in d.fields:
        p = _kind_schema(f.kind)
        if f.doc:
            p["description"] = f.doc
        if f.render != Render.NONE:
            p["x-lava-render"] = f.render
        props[f.name] = p
        if f.required:
            required.append(f.name)
    s: Dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"lava {d.type} action",
        "type": "object",
        "properties": props,
        "required": required,
        "additionalProperties": d.lenient,
    }
    if d.summary:
        s["description"] = d.summary
    return json.dumps(s, indent=2, ensure_ascii=False)
