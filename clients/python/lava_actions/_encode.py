"""JSON encoding of the values a lava worker holds, for the serve API.

- ``decimal.Decimal`` (DynamoDB numbers, as boto3 returns them) is written as its exact
  number text (``Decimal("12.50")`` is ``12.50``), so the host keeps it as a decimal.
- ``datetime.datetime`` and ``datetime.date`` are ISO 8601 text, as lava's datetime
  fields are given to the CLI (an aware datetime keeps its offset).
- ``set`` and ``frozenset`` (DynamoDB SS/NS sets) are lists, sorted when their items sort.
- ``tuple`` is a list; ``bytes`` (and boto3's ``Binary``) are base64 text, as DynamoDB's
  JSON writes binary values.
- NaN and infinities are refused: JSON has no such numbers.
"""
from __future__ import annotations

import base64
import datetime as _dt
import decimal
import json
import math
from typing import Any, List

_MAX_DEPTH = 64


class EncodeError(TypeError):
    """A value that the serve API cannot carry."""


def dumps(v: Any) -> str:
    """Encode v as JSON text."""
    out: List[str] = []
    _encode(v, out, "", 0)
    return "".join(out)


def _encode(v: Any, out: List[str], path: str, depth: int) -> None:
    if depth > _MAX_DEPTH:
        raise EncodeError(f"{path or 'value'}: nested deeper than {_MAX_DEPTH} levels")
    if v is None:
        out.append("null")
    elif v is True:
        out.append("true")
    elif v is False:
        out.append("false")
    elif isinstance(v, str):
        out.append(json.dumps(v))
    elif isinstance(v, int):
        out.append(str(int(v)))
    elif isinstance(v, float):
        if not math.isfinite(v):
            raise EncodeError(f"{path or 'value'}: {v!r} is not a JSON number")
        out.append(repr(v))
    elif isinstance(v, decimal.Decimal):
        if not v.is_finite():
            raise EncodeError(f"{path or 'value'}: Decimal {v} is not a JSON number")
        out.append(str(v))  # always valid JSON number text, e.g. 12.50, 1E+3
    elif isinstance(v, _dt.datetime) or isinstance(v, _dt.date):
        out.append(json.dumps(v.isoformat()))
    elif isinstance(v, dict):
        out.append("{")
        for i, (k, x) in enumerate(v.items()):
            if not isinstance(k, str):
                raise EncodeError(f"{path or 'value'}: key {k!r} is not a string")
            if i:
                out.append(", ")
            out.append(json.dumps(k))
            out.append(": ")
            _encode(x, out, f"{path}.{k}" if path else k, depth + 1)
        out.append("}")
    elif isinstance(v, (list, tuple, set, frozenset)):
        items = list(v)
        if isinstance(v, (set, frozenset)):
            try:
                items = sorted(items)
            except TypeError:
                pass
        out.append("[")
        for i, x in enumerate(items):
            if i:
                out.append(", ")
            _encode(x, out, f"{path}[{i}]", depth + 1)
        out.append("]")
    elif isinstance(v, (bytes, bytearray, memoryview)):
        out.append(json.dumps(base64.b64encode(bytes(v)).decode("ascii")))
    elif type(v).__name__ == "Binary" and isinstance(getattr(v, "value", None), bytes):
        out.append(json.dumps(base64.b64encode(v.value).decode("ascii")))
    else:
        raise EncodeError(f"{path or 'value'}: {type(v).__name__} is not a lava value")
