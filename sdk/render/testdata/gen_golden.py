#!/usr/bin/env python3
"""Generate golden.json: Python jinja2's exact output for every case in cases.json.

Run from the repository root:

    python3 sdk/render/testdata/gen_golden.py

Requires python3 with jinja2 3.1.x and python-dateutil. Each template is
rendered the way the original lava renders it: jinja2.Template(src).render(**vars)
with lava's JINJA_UTILS (lava/lavacore.py) and the context in cases.json.
The output, or str(exception) when rendering fails, is written to golden.json.
The Go test (golden_test.go) compares the Go renderer with it byte for byte,
so `go test` never needs Python.
"""

import datetime
import decimal
import json
import os
import os.path
import re
import sys
import uuid

import dateutil
import dateutil.parser
import jinja2

HERE = os.path.dirname(os.path.abspath(__file__))


def s3split(s):
    """lava's s3_split (lava/lib/aws.py), used by s3bucket/s3key (lava spec 2.6)."""
    for p in "s3://", "s3:":
        if s.startswith(p):
            s = s[len(p):]
            break
    t = s.strip("/").split("/", 1)
    if not t[0]:
        raise ValueError(f"Invalid S3 object name: {s}")
    return t[0], t[1].strip("/") if len(t) > 1 else ""


def s3bucket(s):
    return s3split(s)[0]


def s3key(s):
    return s3split(s)[1]


JINJA_UTILS = {
    "timedelta": datetime.timedelta,
    "datetime": datetime.datetime,
    "date": datetime.date,
    "time": datetime.time,
    "dateutil": dateutil,
    "parsedate": dateutil.parser,
    "s3bucket": s3bucket,
    "s3key": s3key,
    "uuid": uuid.uuid4,
    "path": os.path,
    "re": re,
}


def decode(obj):
    """Object hook: {"$dt": iso} is an aware datetime, {"$dec": text} a Decimal."""
    if set(obj) == {"$dt"}:
        return datetime.datetime.fromisoformat(obj["$dt"])
    if set(obj) == {"$dec"}:
        return decimal.Decimal(obj["$dec"])
    return obj


def build_vars(ctx, result):
    job = ctx["job"]
    return {
        "job": job,
        "realm": ctx["realm"],
        "globals": job["globals"],
        "state": job["state"],
        "start": job["ts_start"],
        "ustart": job["ts_start"].astimezone(datetime.timezone.utc),
        "utils": JINJA_UTILS,
        "result": result,
    }


def render(src, ctx, result_name):
    # A fresh copy of the context for every case: templates may mutate it.
    fresh = json.loads(json.dumps(ctx), object_hook=decode)
    vars_ = build_vars(fresh, fresh["results"][result_name])
    try:
        return {"out": jinja2.Template(src).render(**vars_)}
    except RecursionError:
        return {"err": "maximum recursion depth exceeded"}
    except Exception as e:  # noqa: BLE001 - every error text is a golden
        return {"err": str(e), "type": type(e).__name__}


def generate(cases_name):
    """Render every case of one cases*.json file into its golden*.json."""
    golden_name = "golden" + cases_name[len("cases"):]
    with open(os.path.join(HERE, cases_name), encoding="utf-8") as f:
        spec = json.load(f)
    ctx = spec["context"]
    out = {
        "generator": "gen_golden.py",
        "python": sys.version.split()[0],
        "jinja2": jinja2.__version__,
        "dateutil": dateutil.__version__,
        "cases": [],
    }
    for group in spec["groups"]:
        for case in group["cases"]:
            cid = case["id"]
            if cid in SEEN:
                sys.exit(f"duplicate case id {cid}")
            SEEN.add(cid)
            row = {"id": cid, "group": group["name"]}
            row.update(render(case["tpl"], ctx, case.get("result", "success")))
            out["cases"].append(row)
    with open(os.path.join(HERE, golden_name), "w", encoding="utf-8") as f:
        json.dump(out, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print(f"wrote {len(out['cases'])} cases to {golden_name}")


SEEN = set()


def main():
    """Each testdata/cases<suffix>.json gives testdata/golden<suffix>.json."""
    names = sorted(n for n in os.listdir(HERE) if n.startswith("cases") and n.endswith(".json"))
    for name in names:
        generate(name)


if __name__ == "__main__":
    main()
