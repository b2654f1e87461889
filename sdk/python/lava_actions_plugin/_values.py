"""Conversion between lava's values and their protobuf form (lava.action.v1.Value).

Lava's values arrive as Python values of the kinds a lava worker holds: None, bool, int,
float, str, decimal.Decimal (a DynamoDB number), an aware datetime.datetime, list and
dict (insertion order kept).
"""
from __future__ import annotations

import datetime as _dt
import decimal
import json
import math
from typing import Any, Dict

from ._pb import action_pb2 as pb

_INT64_MIN, _INT64_MAX = -(1 << 63), (1 << 63) - 1


def parse_datetime(text: str) -> _dt.datetime:
    """Parse the wire's ISO 8601 datetime (RFC 3339 with up to 9 fraction digits)."""
    s = text.strip()
    if s.endswith(("Z", "z")):
        s = s[:-1] + "+00:00"
    date, sep, rest = s.partition("T")
    if sep and "." in rest:
        # Python keeps microseconds: cut nanoseconds, pad shorter fractions.
        clock, _, frac_tz = rest.partition(".")
        digits = ""
        i = 0
        while i < len(frac_tz) and frac_tz[i].isdigit():
            digits += frac_tz[i]
            i += 1
        rest = clock + "." + (digits[:6]).ljust(6, "0") + frac_tz[i:]
    return _dt.datetime.fromisoformat(date + sep + rest)


def from_proto(p: pb.Value) -> Any:
    """Convert a protobuf Value to a Python value."""
    kind = p.WhichOneof("kind")
    if kind is None or kind == "null":
        return None
    if kind == "bool":
        return p.bool
    if kind == "int":
        return p.int
    if kind == "float":
        return p.float
    if kind == "str":
        return p.str
    if kind == "decimal":
        return decimal.Decimal(p.decimal)
    if kind == "datetime":
        return parse_datetime(p.datetime)
    if kind == "list":
        return [from_proto(v) for v in p.list.items]
    if kind == "map":
        return map_from_proto(p.map)
    raise ValueError(f"unknown value kind {kind}")


def map_from_proto(m: pb.Map) -> Dict[str, Any]:
    """Convert a protobuf Map to a dict, keeping the order."""
    return {e.key: from_proto(e.value) for e in m.entries}


def to_proto(v: Any) -> pb.Value:
    """Convert a Python value to a protobuf Value. Tuples and sets are lists (a set in
    sorted order when its items sort); types outside lava's model are sent as str(v)."""
    out = pb.Value()
    if v is None:
        out.null = True
    elif isinstance(v, bool):
        out.bool = v
    elif isinstance(v, int):
        if _INT64_MIN <= v <= _INT64_MAX:
            out.int = v
        else:
            out.decimal = str(v)
    elif isinstance(v, float):
        out.float = v
    elif isinstance(v, str):
        out.str = v
    elif isinstance(v, decimal.Decimal):
        out.decimal = str(v)
    elif isinstance(v, _dt.datetime):
        if v.tzinfo is None:
            v = v.replace(tzinfo=_dt.timezone.utc)
        out.datetime = v.isoformat()
    elif isinstance(v, dict):
        out.map.CopyFrom(map_to_proto(v))
    elif isinstance(v, (list, tuple, set, frozenset)):
        items = list(v)
        if isinstance(v, (set, frozenset)):
            try:
                items = sorted(items)
            except TypeError:
                pass
        out.list.SetInParent()
        for e in items:
            out.list.items.append(to_proto(e))
    elif isinstance(v, (bytes, bytearray)):
        out.str = bytes(v).decode("utf-8", "replace")
    else:
        out.str = str(v)
    return out


def map_to_proto(m: Dict[Any, Any]) -> pb.Map:
    """Convert a dict to a protobuf Map; keys become str."""
    out = pb.Map()
    for k, v in m.items():
        out.entries.append(pb.Entry(key=str(k), value=to_proto(v)))
    return out


def _plain(v: Any) -> Any:
    if isinstance(v, decimal.Decimal):
        if v.is_finite() and v == v.to_integral_value() and v.adjusted() < 64:
            return int(v)
        f = float(v)
        return f if math.isfinite(f) else str(v)
    if isinstance(v, _dt.datetime):
        return v.isoformat()
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple, set, frozenset)):
        return [_plain(x) for x in v]
    if isinstance(v, (bytes, bytearray)):
        return bytes(v).decode("utf-8", "replace")
    return v


def encode_detail(detail: Any) -> str:
    """Encode an effect's detail as JSON text, as Python's json.dumps writes it (a
    Decimal as a number, a datetime as ISO 8601 text)."""
    if detail is None:
        return ""
    return json.dumps(_plain(detail), ensure_ascii=False, default=str)
