"""Unit tests of the Python plugin SDK: lava's field checks and wording, the value
conversion to and from the wire, and the handshake's refusal to run by hand."""
import datetime as dt
import decimal
import json
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
try:
    import lava_actions_plugin  # noqa: F401 - the installed package (make test-python)
except ImportError:
    sys.path.insert(0, os.path.dirname(HERE))

from lava_actions_plugin import Description, Field, Kind, Render, check_item, schema  # noqa: E402
from lava_actions_plugin._values import (encode_detail, from_proto, map_from_proto,  # noqa: E402
                                         map_to_proto, parse_datetime, to_proto)

D = decimal.Decimal
DESC = Description(type="t", version="1", fields=[
    Field("to", required=True, kind=Kind.STRINGS),
    Field("subject", required=True, kind=Kind.STRING, render=Render.TEXT),
    Field("n", kind=Kind.NUMBER),
    Field("flag", kind=Kind.BOOL, kind_error="flag must be true or false"),
    Field("body", kind=Kind.STRING_OR_MAP),
])


@pytest.mark.parametrize("item, want", [
    ({"action": "t"}, "Missing keys: subject, to"),
    ({"action": "t", "to": "a", "subject": "s", "zz": 1, "b": 2}, "Unexpected keys: b, zz"),
    ({"action": "t", "to": ["a", 1], "subject": "s"}, "to must be a string or a list of strings"),
    ({"action": "t", "to": "a", "subject": 5}, "subject must be a string"),
    ({"action": "t", "to": "a", "subject": "s", "n": True}, "n must be a number"),
    ({"action": "t", "to": "a", "subject": "s", "flag": 1}, "flag must be true or false"),
    ({"action": "t", "to": "a", "subject": "s", "body": []}, "body must be a string or a dict"),
    ({"action": "t", "to": ["a"], "subject": "s", "n": D("1.5"), "flag": False, "body": {}}, None),
])
def test_check_item(item, want):
    assert check_item(DESC, item) == want


def test_lenient_allows_extra_keys():
    d = Description(type="t", version="1", lenient=True, fields=[Field("a")])
    assert check_item(d, {"action": "t", "other": 1}) is None


def test_schema():
    s = json.loads(schema(DESC))
    assert s["required"] == ["action", "to", "subject"]
    assert s["additionalProperties"] is False
    assert s["properties"]["subject"] == {"type": "string", "x-lava-render": "text"}


def test_values_round_trip():
    tz = dt.timezone(dt.timedelta(hours=-5))
    v = {"none": None, "b": True, "i": -7, "big": 1 << 70, "f": 0.25, "s": "é", "d": D("12.50"),
         "t": dt.datetime(2024, 3, 1, 10, 0, 0, 123456, tzinfo=tz), "l": [1, [2]], "m": {"z": 1, "a": 2}}
    back = map_from_proto(map_to_proto(v))
    assert back == {**v, "big": D(1 << 70)}
    assert list(back["m"]) == ["z", "a"]  # order kept
    assert to_proto({"b", "a"}).list.items[0].str == "a"


def test_parse_datetime_nanoseconds():
    t = parse_datetime("2024-03-01T10:00:00.123456789Z")
    assert t == dt.datetime(2024, 3, 1, 10, 0, 0, 123456, tzinfo=dt.timezone.utc)
    assert parse_datetime("2024-03-01T10:00:00.5+11:00").microsecond == 500000
    assert from_proto(to_proto(t)) == t


def test_encode_detail():
    assert encode_detail(None) == ""
    assert encode_detail({"n": D("2.50"), "i": D("3"), "t": dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)}) == \
        '{"n": 2.5, "i": 3, "t": "2024-01-01T00:00:00+00:00"}'


def test_refuses_to_run_by_hand():
    exe = os.path.join(HERE, "..", "testdata", "lava-action-pyfault")
    env = {k: v for k, v in os.environ.items() if k != "LAVA_ACTION_PLUGIN"}
    out = subprocess.run([sys.executable, exe], capture_output=True, text=True, env=env, timeout=30)
    assert out.returncode == 1
    assert out.stdout == ""
    assert "This is a lava-actions plugin (pyfault)" in out.stderr
    out = subprocess.run([sys.executable, exe, "version"], capture_output=True, text=True, env=env, timeout=30)
    assert out.stdout == "lava-action-pyfault 0.0.1 (protocol 1)\n"


def test_secrets_reach_the_host():
    """Declared secret fields and values marked with Request.secret travel to the host,
    which redacts them from everything the plugin returns."""
    from lava_actions_plugin import Action, ActionError
    from lava_actions_plugin._pb import action_pb2 as pb
    from lava_actions_plugin._server import _Servicer

    class Leaky(Action):
        def describe(self) -> Description:
            return Description(type="leaky", version="1", fields=[
                Field("token", required=True, kind=Kind.STRING, secret=True),
                Field("n", kind=Kind.NUMBER, kind_error="n must be a count")])

        def execute(self, request):
            request.secret("resolved-at-run-time")
            raise ActionError("failed with " + request.item["token"])

    srv = _Servicer(Leaky())
    fields = {f.name: f for f in srv.describe(pb.DescribeRequest(), None).fields}
    assert fields["token"].secret and not fields["n"].secret
    assert fields["n"].kind_error == "n must be a count"
    req = pb.ExecuteRequest(trigger="on_success", item=map_to_proto({"action": "leaky", "token": "tok-1"}))
    resp = srv.execute(req, None)
    assert resp.error == "failed with tok-1"  # the plugin's own text; the host redacts it
    assert list(resp.secrets) == ["resolved-at-run-time"]
