"""The JSON encoding of a lava worker's values."""
import datetime as dt
import decimal
import json

import pytest

from lava_actions import EncodeError, dumps

D = decimal.Decimal
TZ = dt.timezone(dt.timedelta(hours=11))


@pytest.mark.parametrize("value, want", [
    (None, "null"),
    (True, "true"),
    (3, "3"),
    (1.5, "1.5"),
    ("é\"x", '"\\u00e9\\"x"'),
    (D("12.50"), "12.50"),
    (D("-0.000001"), "-0.000001"),
    (D("1E+3"), "1E+3"),
    (D("123456789012345678901234567890.5"), "123456789012345678901234567890.5"),
    (dt.datetime(2024, 3, 1, 10, 0, tzinfo=TZ), '"2024-03-01T10:00:00+11:00"'),
    (dt.datetime(2024, 3, 1, 10, 0, 0, 123456), '"2024-03-01T10:00:00.123456"'),
    (dt.date(2024, 3, 1), '"2024-03-01"'),
    ({"b", "a", "c"}, '["a", "b", "c"]'),
    (frozenset({D("2"), D("1")}), "[1, 2]"),
    ((1, "x"), '[1, "x"]'),
    (b"\x00\xff", '"AP8="'),
    ({"k": [{"n": D("1.0")}], "z": {}}, '{"k": [{"n": 1.0}], "z": {}}'),
])
def test_dumps(value, want):
    assert dumps(value) == want
    json.loads(dumps(value))  # always valid JSON


@pytest.mark.parametrize("value, want", [
    (float("nan"), "nan is not a JSON number"),
    (D("Infinity"), "Decimal Infinity is not a JSON number"),
    ({"a": {1: 2}}, "a: key 1 is not a string"),
    ({"a": [object()]}, "a[0]: object is not a lava value"),
])
def test_dumps_refuses(value, want):
    with pytest.raises(EncodeError, match=want.replace("[", r"\[").replace("]", r"\]")):
        dumps(value)


def test_dumps_depth_bounded():
    v = []
    for _ in range(100):
        v = [v]
    with pytest.raises(EncodeError, match="nested deeper than 64"):
        dumps(v)
