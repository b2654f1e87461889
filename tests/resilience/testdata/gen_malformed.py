#!/usr/bin/env python3
"""Generates the malformed-input corpus of corpus_test.go.

    python3 tests/resilience/testdata/gen_malformed.py

writes testdata/malformed/<id>.json (one case each), testdata/malformed/raw/
(raw input bytes: invalid JSON, invalid UTF-8, deep nesting) and
testdata/malformed/known_divergences.json, after deleting the old ones.

A case file holds the input (job/realm/result overrides merged over the
spec 9.0 fixture, or a raw file for JSON-level cases), the trigger, and the
exact expected error text (want_error) or its prefix (want_prefix, where the
text legitimately ends with an emulator's message). Template cases also
hold python_error: what Python's jinja2 3.1 (the original) says for the same
template in the same context, computed here; when it differs from
want_error the case id must be listed in known_divergences.json with the
reason. Template bombs are marked "safeguard": Python has no error for them
(it loops or allocates for minutes); the text is this project's limit.
"""
import copy
import datetime as dt
import json
import os
import shutil
import sys
from decimal import Decimal

import jinja2

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "malformed")
RAW = os.path.join(OUT, "raw")

CASES = []
NOERR = []
RAWS = {}
DIVERGENCES = {}

# ---------------------------------------------------------------- context

TZ = dt.timezone(dt.timedelta(hours=11))
START = dt.datetime(2024, 3, 1, 10, 0, 0, tzinfo=TZ)


def py_context(job_over=None, result=None):
    """The spec 9.0 render context, as the original builds it."""
    ustart = START.astimezone(dt.timezone.utc)
    job = {
        "job_id": "demo/job1", "type": "cmd", "worker": "core", "run_id": "RUN", "realm": "dev",
        "parameters": {}, "state": {},
        "ts_dispatch": dt.datetime(2024, 3, 1, 9, 59, 58, tzinfo=TZ),
        "ts_start": START, "ts_ustart": ustart,
        "globals": {"g1": "G1", "lava": {
            "master_job_id": "demo/job1", "parent_job_id": "demo/job1",
            "master_start": START, "master_ustart": ustart, "parent_start": START, "parent_ustart": ustart,
            "iteration": 1}},
    }
    for k, v in (job_over or {}).items():
        job[k] = json.loads(json.dumps(v), parse_float=Decimal, parse_int=Decimal)
    realm = {"realm": "corpus", "s3_payloads": "s3://pb/payloads", "s3_temp": "s3://tb/tmp", "config": {}}
    res = {"exit_status": 0, "output": []} if result is None else result
    return dict(job=job, realm=realm, result=res, globals=job["globals"], state=job["state"],
                start=job["ts_start"], ustart=job["ts_ustart"], utils={})


def py_error(src, job_over=None, result=None):
    """str(exception) of jinja2 rendering src, or None when it renders."""
    try:
        jinja2.Template(src).render(**py_context(job_over, result))
    except Exception as e:  # noqa: BLE001 - any exception is the answer
        return str(e)
    return None


# ------------------------------------------------------------------ cases

def add(id, what, items=None, trigger="on_success", want=None, prefix=None, job=None, realm=None,
        result=None, spec=None, **extra):
    c = {"id": id, "what": what, "trigger": trigger}
    j = dict(job or {})
    if items is not None:
        j[trigger] = items
    if j:
        c["job"] = j
    if realm is not None:
        c["realm"] = realm
    if result is not None:
        c["result"] = result
    if want is not None:
        c["want_error"] = want
    if prefix is not None:
        c["want_prefix"] = prefix
    if spec:
        c["spec"] = spec
    c.update(extra)
    assert ("want_error" in c) != ("want_prefix" in c), id
    CASES.append(c)


def tmpl(id, what, src, action="log", field="message", base=None, wrap="{}", trigger="on_success",
         job=None, result=None, ours=None, divergence=None, safeguard=False, python=True, **extra):
    """A template case: src in field of an action item; the expected text
    is jinja2's message wrapped as the action words it."""
    item = dict(base or {"action": action})
    item[field] = src
    pe = None
    if python and not safeguard:
        pe = py_error(src, job, result)
        if pe is None:
            NOERR.append((id, src))
            return
    text = ours if ours is not None else pe
    want = f"{trigger} action: {item['action']}: " + wrap.format(text)
    if pe is not None:
        extra["python_error"] = f"{trigger} action: {item['action']}: " + wrap.format(pe)
    if safeguard:
        extra["safeguard"] = True
    if divergence:
        DIVERGENCES[id] = divergence
    add(id, what, [item], trigger=trigger, want=want, job=job, result=result, spec="2.7", **extra)


def raw(id, what, data, role, line, col, msg):
    """A JSON-level case: data is the raw bytes of the job, realm or result
    file; DecodeJSON must fail at line:col with msg."""
    name = f"raw/{id}.json"
    RAWS[name] = data
    CASES.append({"id": id, "what": what, "input": name, "role": role,
                  "want_line": line, "want_column": col, "want_msg": msg})


def deep(n, leaf="1", kind="list"):
    if kind == "list":
        return "[" * n + leaf + "]" * n
    return '{"a":' * n + leaf + "}" * n


# ---- JSON level: invalid JSON, invalid UTF-8, nesting --------------------

raw("json-001-empty", "empty file", b"", "job", 1, 1, "unexpected end of JSON input")
raw("json-002-blank", "only white space", b"  \n\t\n", "job", 3, 1, "unexpected end of JSON input")
raw("json-003-trailing-comma", "trailing comma in an object", b'{"job_id": "a",}', "job", 1, 16,
    "invalid character '}' looking for beginning of object key string")
raw("json-004-missing-colon", "missing colon", b'{"job_id" "a"}', "job", 1, 11,
    "invalid character '\"' after object key")
raw("json-005-single-quotes", "single-quoted strings", b"{'job_id': 'a'}", "job", 1, 2,
    "invalid character '\\'' looking for beginning of object key string")
raw("json-006-unquoted-key", "unquoted key", b'{job_id: "a"}', "job", 1, 2,
    "invalid character 'j' looking for beginning of object key string")
raw("json-007-unterminated-string", "unterminated string", b'{"job_id": "a', "job", 1, 14,
    "unexpected end of JSON input")
raw("json-008-unterminated-object", "object never closed", b'{"job_id": "a",\n "on_success": [\n', "job", 3, 1,
    "unexpected end of JSON input")
raw("json-009-extra-data", "two documents", b'{"a": 1}\n{"b": 2}', "job", 2, 1,
    "invalid character '{' after top-level value")
raw("json-010-nan", "NaN is not JSON", b'{"delay": NaN}', "job", 1, 11, "invalid character 'N' looking for beginning of value")
raw("json-011-comment", "comments are not JSON", b'{\n  // a comment\n  "a": 1\n}', "job", 2, 3,
    "invalid character '/' looking for beginning of object key string")
raw("json-012-control-char", "raw newline inside a string", b'{"message": "a\nb"}', "job", 1, 15,
    "invalid character '\\n' in string literal")
raw("json-013-leading-zero", "number with a leading zero", b'{"delay": 01}', "job", 1, 12,
    "invalid character '1' after object key:value pair")
raw("json-014-hex", "hex number", b'{"delay": 0x10}', "job", 1, 12, "invalid character 'x' after object key:value pair")
raw("json-015-bad-escape", "bad escape in a string", b'{"message": "\\q"}', "job", 1, 15,
    "invalid character 'q' in string escape code")
raw("json-016-lone-brace", "a closing brace only", b'}', "job", 1, 1, "invalid character '}' looking for beginning of value")
raw("json-017-bom", "UTF-8 byte order mark", b'\xef\xbb\xbf{"a": 1}', "job", 1, 1,
    "invalid character '\u00ef' looking for beginning of value")
raw("json-018-true-typo", "misspelt literal", b'{"enabled": tru}', "realm", 1, 16,
    "invalid character '}' in literal true (expecting 'e')")
raw("json-019-array-comma", "missing comma in a list", b'{"on_success": [{"action": "log"} {"action": "log"}]}', "job", 1, 35,
    "invalid character '{' after array element")
raw("json-020-result-truncated", "result file cut short", b'{"exit_status": 0, "output": [1, 2', "result", 1, 35,
    "unexpected end of JSON input")
raw("json-021-multiline-position", "error on line 4 after multibyte text", '{\n  "a": "\u00e9\u00e9\u00e9",\n  "b": 1,\n  "c": ]\n}'.encode(), "job", 4, 8,
    "invalid character ']' looking for beginning of value")
# Invalid UTF-8: the files hold raw bytes.
raw("utf8-001-ff", "byte 0xff in a string", b'{"message": "a\xffb"}', "job", 1, 15, "invalid UTF-8")
raw("utf8-002-lone-continuation", "lone continuation byte", b'{"message": "\x80"}', "job", 1, 14, "invalid UTF-8")
raw("utf8-003-truncated-2byte", "2-byte sequence cut short", b'{"message": "\xc3("}', "job", 1, 14, "invalid UTF-8")
raw("utf8-004-overlong", "overlong encoding of '/'", b'{"message": "\xc0\xaf"}', "job", 1, 14, "invalid UTF-8")
raw("utf8-005-surrogate", "UTF-8-encoded surrogate", b'{"message": "\xed\xa0\x80"}', "job", 1, 14, "invalid UTF-8")
raw("utf8-006-too-large", "code point above U+10FFFF", b'{"message": "\xf4\x90\x80\x80"}', "job", 1, 14, "invalid UTF-8")
raw("utf8-007-in-key", "invalid byte in a key", b'{"mes\xfesage": "x"}', "job", 1, 6, "invalid UTF-8")
raw("utf8-008-at-eof", "truncated 3-byte sequence at the end", b'{"a": "b"}\xe2\x82', "job", 1, 11, "invalid UTF-8")
raw("utf8-009-line-3", "invalid byte on line 3 after multibyte text", '{\n "a": "\u00fc\u00fc",\n "b": "'.encode() + b'\xff"\n}', "realm", 3, 8, "invalid UTF-8")
raw("utf8-010-latin1", "Latin-1 text", b'{"message": "caf\xe9"}', "result", 1, 17, "invalid UTF-8")
# Nesting beyond value.MaxDepth (200).
raw("deep-001-lists-201", "201 nested lists", deep(201).encode(), "job", 1, 201, "nesting deeper than 200 levels")
raw("deep-002-objects-201", "201 nested objects", deep(201, kind="obj").encode(), "job", 1, 1001, "nesting deeper than 200 levels")
raw("deep-003-lists-100000", "100,000 nested lists", deep(100000).encode(), "job", 1, 201, "nesting deeper than 200 levels")
raw("deep-004-in-action-item", "an action item nested too deep",
    b'{"on_success": [{"action": "log", "message": ' + deep(199).encode() + b'}]}', "job", 1, 245, "nesting deeper than 200 levels")
raw("deep-005-result", "a result nested too deep", b'{"output": ' + deep(200).encode() + b'}', "result", 1, 212, "nesting deeper than 200 levels")

# ---- nesting just below the limit: the value is carried, the error is the action's

def deep_job_file(id, data):
    name = f"raw/{id}.json"
    RAWS[name] = data
    return name

add("deep-010-job-200-levels", "job parameters nested 200 deep with the job and a log item without message",
    want="on_success action: log: Missing keys: message",
    job_file=deep_job_file("deep-010-job-200-levels",
                           b'{"parameters": {"p": ' + deep(198).encode() + b'}, "on_success": [{"action": "log"}]}'))
add("deep-011-message-deep-list", "log message is a list nested 197 deep",
    want="on_success action: log: message must be a string",
    job_file=deep_job_file("deep-011-message-deep-list",
                           b'{"on_success": [{"action": "log", "message": ' + deep(197).encode() + b'}]}'))
add("deep-012-template-sees-deep-value", "template indexes into a 200-deep value and fails on a missing key",
    want="on_success action: log: 'list object' has no attribute 'nope'",
    python_error="on_success action: log: 'list object' has no attribute 'nope'",
    job_file=deep_job_file("deep-012-template-sees-deep-value",
                           b'{"parameters": {"p": ' + deep(198).encode() +
                           b'}, "on_success": [{"action": "log", "message": "{{ job.parameters.p[0].nope.x }}"}]}'))

# ---- job shape (host.PrepareJob) -----------------------------------------

add("job-001-globals-number", "job globals is a number", [{"action": "log", "message": "x"}], job={"globals": 5},
    want="job globals must be an object, not decimal.Decimal", want_type="plain")
add("job-002-globals-list", "job globals is a list", [{"action": "log", "message": "x"}], job={"globals": []},
    want="job globals must be an object, not list", want_type="plain")
add("job-003-state-string", "job state is a string", [{"action": "log", "message": "x"}], job={"state": "s"},
    want="job state must be an object, not str", want_type="plain")
add("job-004-parameters-bool", "job parameters is a boolean", [{"action": "log", "message": "x"}], job={"parameters": True},
    want="job parameters must be an object, not bool", want_type="plain")
add("job-005-ts-start-garbage", "ts_start is not a date", [{"action": "log", "message": "x"}], job={"ts_start": "yesterday"},
    prefix="job ts_start: ", want_type="plain")
add("job-006-ts-dispatch-garbage", "ts_dispatch is not a date", [{"action": "log", "message": "x"}], job={"ts_dispatch": "2024-13-45T99:00:00"},
    prefix="job ts_dispatch: ", want_type="plain")
add("job-007-master-start-garbage", "globals.lava.master_start is not a date", [{"action": "log", "message": "x"}],
    job={"globals": {"lava": {"master_start": "not a time"}}}, prefix="job globals.lava.master_start: ", want_type="plain")

# ---- list selection and shape (spec 1.2, 1.3, decisions 0.1, 0.2) --------

for i, (trig, val, what) in enumerate([
    ("on_success", None, "null"), ("on_success", 5, "a number"), ("on_success", "log", "a string"),
    ("on_success", {"action": "log", "message": "x"}, "an object"), ("on_success", True, "a boolean"),
    ("on_retry", None, "null"), ("on_retry", 1.5, "a float"), ("on_fail", "", "an empty string"),
    ("on_fail", {}, "an empty object"), ("on_fail", "[]", "JSON text of a list"),
]):
    add(f"list-{i+1:03d}-{trig}-{what.replace(' ', '-')}", f"{trig} is {what}", job={trig: val}, trigger=trig,
        want=f"{trig}: action must be a list", spec="1.3")
add("list-011-realm-null", "realm list is null (the job has none)", realm={"on_fail": None}, trigger="on_fail",
    want="on_fail: action must be a list", spec="1.2")
add("list-012-realm-string", "realm list is a string", realm={"on_success": "log"}, want="on_success: action must be a list", spec="1.2")
add("list-013-realm-bad-item", "realm list has an item without action", realm={"on_retry": [{"message": "x"}]}, trigger="on_retry",
    want="on_retry action: Missing keys: action", spec="1.2")
for i, (val, what) in enumerate([
    (5, "a number"), ("log", "a string"), (None, "null"), ([], "a list"), ([{"action": "log"}], "a nested list"),
    ({}, "an empty object"), ({"message": "x"}, "an object without action"), (True, "a boolean"),
    ({"Action": "log", "message": "x"}, "an object with Action"),
]):
    add(f"item-{i+1:03d}-{what.replace(' ', '-')}", f"list item is {what}", [val],
        want="on_success action: Missing keys: action", spec="0.2")
add("item-010-second-item-bad", "second item has no action; the first must not run",
    [{"action": "log", "message": "first"}, {"message": "x"}], want="on_success action: Missing keys: action", spec="0.1")
add("item-011-last-of-many-bad", "the tenth item is bad; nothing runs",
    [{"action": "log", "message": f"m{i}"} for i in range(9)] + [{"action": "log"}],
    want="on_success action: log: Missing keys: message", spec="0.1")
for i, (val, shown, what) in enumerate([
    ("pagerduty", "pagerduty", "unknown type"), ("Log", "Log", "wrong case"), ("log ", "log ", "trailing space"),
    (" log", " log", "leading space"), ("LOG", "LOG", "upper case"), ("../log", "../log", "path traversal"),
    ("../../../../bin/sh", "../../../../bin/sh", "path to a shell"), ("log/../log", "log/../log", "path in the name"),
    ("lava-action-log", "lava-action-log", "executable name"), ("log.exe", "log.exe", "exe suffix"),
    ("misbehave\u0000", "misbehave\u0000", "NUL byte"), ("sl\u00e4ck", "sl\u00e4ck", "non-ASCII"),
    (5, "5", "a number"), (None, "None", "null"), (True, "True", "a boolean"), ([], "[]", "a list"),
    ({"x": 1}, "{'x': Decimal('1')}", "an object"), (1.5, "1.5", "a float"),
]):
    extra = {}
    add(f"type-{i+1:03d}-{what.replace(' ', '-')}", f"action type is {what}", [{"action": val, "message": "x"}],
        want=f"on_success action: {shown}: unknown action", spec="1.3", **extra)
add("type-019-empty", "action type is the empty string", [{"action": "", "message": "x"}],
    want="on_success action: : unknown action", python_error="on_success action: : unknown action", spec="1.3")
add("type-020-second-unknown", "an unknown type after a valid item; nothing runs",
    [{"action": "log", "message": "first"}, {"action": "pagerduty"}], want="on_success action: pagerduty: unknown action", spec="0.1")

# ---- per action type: fields (spec 3) ------------------------------------

def act(id, what, item, want, trigger="on_success", spec=None, **kw):
    add(id, what, [item], trigger=trigger, want=f"{trigger} action: {item['action']}: {want}", spec=spec, **kw)


def actp(id, what, item, prefix, trigger="on_success", spec=None, **kw):
    add(id, what, [item], trigger=trigger, prefix=f"{trigger} action: {item['action']}: {prefix}", spec=spec, **kw)


MB = "x" * (1 << 20)

# log (3.4)
act("log-001-missing-message", "no message", {"action": "log"}, "Missing keys: message", spec="3.4")
for i, (v, what) in enumerate([(42, "number"), (None, "null"), (True, "boolean"), (["a"], "list"), ({"a": "b"}, "object"),
                               (1.5, "float"), ([MB], "1 MiB string in a list")]):
    act(f"log-{i+2:03d}-message-{what.replace(' ', '-')}", f"message is a {what}", {"action": "log", "message": v},
        "message must be a string", spec="3.4")

# slack (3.6, 4.3); the corpus realm's connections are set up by corpus_test.go
SL = {"action": "slack", "slack_conn": "sl", "message": "m"}
act("slack-001-missing-all", "no slack_conn, no message", {"action": "slack"}, "Missing keys: message, slack_conn", spec="3.6")
act("slack-002-missing-conn", "no slack_conn", {"action": "slack", "message": "m"}, "Missing keys: slack_conn", spec="3.6")
act("slack-003-missing-message", "no message", {"action": "slack", "slack_conn": "sl"}, "Missing keys: message", spec="3.6")
act("slack-004-unexpected-one", "one unknown key", dict(SL, channel="#x"), "Unexpected keys: channel", spec="3.6")
act("slack-005-unexpected-sorted", "unknown keys are sorted", dict(SL, zeta=1, alpha=2, **{"X-note": "n"}),
    "Unexpected keys: X-note, alpha, zeta", spec="3")
act("slack-006-colour-us", "color (US spelling) is unknown", dict(SL, color="red"), "Unexpected keys: color", spec="3.6")
act("slack-007-missing-before-unexpected", "missing keys are reported before unexpected ones", {"action": "slack", "bogus": 1},
    "Missing keys: message, slack_conn", spec="3")
act("slack-008-bad-style", "unknown style", dict(SL, style="fancy"), "Bad slack message style: fancy", spec="3.6")
act("slack-009-style-case", "style is case-sensitive", dict(SL, style="Block"), "Bad slack message style: Block", spec="3.6")
act("slack-010-conn-number", "slack_conn is a number", dict(SL, slack_conn=5), "slack_conn must be a string")
act("slack-011-message-list", "message is a list", dict(SL, message=["m"]), "message must be a string")
act("slack-012-subject-number", "subject is a number", dict(SL, subject=1), "subject must be a string")
act("slack-013-style-null", "style is null", dict(SL, style=None), "style must be a string")
act("slack-014-no-such-conn", "connection does not exist", dict(SL, slack_conn="nope"), "nope: No such connection", spec="4.1")
act("slack-015-disabled", "connection is disabled", dict(SL, slack_conn="sl-disabled"), "Connection sl-disabled: Not enabled", spec="4.1")
act("slack-016-no-webhook", "connection has no webhook_url", dict(SL, slack_conn="sl-nohook"),
    "Connection sl-nohook: Missing keys: webhook_url", spec="4.3")
act("slack-017-bad-conn-style", "connection style is bad and used", dict(SL, slack_conn="sl-badstyle"),
    'Connection "sl-badstyle": Bad style fancy', spec="0.12")
act("slack-018-wrong-type", "connection is an email connection", dict(SL, slack_conn="sl-email"),
    'Connection sl-email: Must be of type "slack" not "email"', spec="4.1")
act("slack-019-empty-message", "message renders empty", dict(SL, message="{{ '' }}"),
    "Cannot send slack message: message must be specified", spec="3.6")
act("slack-020-empty-message-literal", "message is empty", dict(SL, message=""),
    "Cannot send slack message: message must be specified", spec="3.6")
act("slack-021-whitespace-conn", "slack_conn with spaces", dict(SL, slack_conn=" sl "), " sl : No such connection", spec="4.1")

# email (3.5)
EM = {"action": "email", "to": "a@example.com", "subject": "s", "message": "m", "from": "corpus@example.com"}
act("email-001-missing-all", "no fields", {"action": "email"}, "Missing keys: message, subject, to", spec="3.5")
act("email-002-missing-to", "no to", {k: v for k, v in EM.items() if k != "to"}, "Missing keys: to", spec="3.5")
act("email-003-missing-subject-message", "no subject, no message", {"action": "email", "to": "a@example.com"},
    "Missing keys: message, subject", spec="3.5")
act("email-004-unexpected", "cc is not a field", dict(EM, cc="b@example.com"), "Unexpected keys: cc", spec="3.5")
act("email-005-unexpected-many", "several unknown keys", dict(EM, bcc=1, cc=2, reply_to=3), "Unexpected keys: bcc, cc, reply_to", spec="3.5")
act("email-006-attachments-bare", "attachments without email_conn", dict(EM, attachments=["/etc/hostname"]),
    "email_conn must be specified to enable attachments", spec="3.5")
act("email-007-to-number", "to is a number", dict(EM, to=5), "to must be a string or a list of strings")
act("email-008-to-list-of-numbers", "to is a list holding a number", dict(EM, to=["a@example.com", 5]),
    "to must be a string or a list of strings")
act("email-009-subject-list", "subject is a list", dict(EM, subject=["s"]), "subject must be a string")
act("email-010-empty-subject", "subject renders empty", dict(EM, subject="{{ '' }}"),
    "Cannot send email: subject and message must be specified", spec="0.14")
act("email-011-empty-message", "message is empty", dict(EM, message=""),
    "Cannot send email: subject and message must be specified", spec="0.14")
act("email-012-no-such-conn", "email_conn does not exist", dict(EM, email_conn="nope"), "nope: No such connection", spec="4.1")
act("email-013-slack-conn", "email_conn names a slack connection", dict(EM, email_conn="sl"),
    'Connection sl: Unexpected keys: webhook_url', spec="4.1")

# sqs (3.2)
SQ = {"action": "sqs", "queue": "corpus-target", "message": "m"}
act("sqs-001-missing-all", "no queue, no message", {"action": "sqs"}, "Missing keys: message, queue", spec="3.2")
act("sqs-002-missing-queue", "no queue", {"action": "sqs", "message": "m"}, "Missing keys: queue", spec="3.2")
act("sqs-003-delay-words", "delay with a word unit", dict(SQ, delay="5 mins"), "Bad delay: 5 mins: Invalid duration: 5 mins", spec="3.1")
act("sqs-004-delay-too-long", "delay 16 minutes", dict(SQ, delay="16m"), "Bad delay: 960: Must be between 0 and 15 minutes", spec="3.1")
act("sqs-005-delay-negative", "negative delay", dict(SQ, delay=-1), "Bad delay: -1: Must be between 0 and 15 minutes", spec="3.1")
act("sqs-006-delay-hours", "0.5h is 1800 s", dict(SQ, delay="0.5h"), "Bad delay: 1800: Must be between 0 and 15 minutes", spec="3.1")
act("sqs-007-delay-unit-case", "units are case-sensitive", dict(SQ, delay="5M"), "Bad delay: 5M: Invalid duration: 5M", spec="3")
act("sqs-008-delay-list", "delay is a list", dict(SQ, delay=[1]), "Bad delay: [Decimal('1')]: Invalid duration type: <class 'list'>", spec="3")
act("sqs-009-delay-bool", "delay is a boolean", dict(SQ, delay=True), "Bad delay: True: Invalid duration type: <class 'bool'>", spec="3")
act("sqs-010-delay-empty", "delay is empty text", dict(SQ, delay=""), "Bad delay: : Invalid duration: ", spec="3")
act("sqs-011-delay-huge", "delay 1e400 s", dict(SQ, delay="1e400"), "Bad delay: 1e400: cannot convert float infinity to integer", spec="3")
act("sqs-012-delay-two-units", "two units", dict(SQ, delay="1h30m"), "Bad delay: 1h30m: Invalid duration: 1h30m", spec="3")
actp("sqs-013-no-such-queue", "queue does not exist", dict(SQ, queue="corpus-missing"), "An error occurred (", spec="3.2")
act("sqs-015-config-number", "realm config SQS_MAX_DELAY_MINS is a number (a Decimal, as DynamoDB returns it)",
    dict(SQ, delay="25m"), "Bad delay: 1500: Must be between 0 and 20 minutes", spec="6",
    realm={"config": {"SQS_MAX_DELAY_MINS": 20}})
act("sqs-014-message-render", "message template error", dict(SQ, message="{{ x.y }}"), "'x' is undefined", spec="2.8")
act("sqs-016-message-object-lexer-error", "message object whose JSON text has a backslash inside a tag (issue 12)",
    dict(SQ, message={"x": '{{ "x" }}'}), "unexpected char '\\\\' at 10", spec="2.7")

# sns (3.3)
SN = {"action": "sns", "topic": "arn:aws:sns:us-east-1:000000000000:corpus-missing", "message": "m"}
act("sns-001-missing-all", "no topic, no message", {"action": "sns"}, "Missing keys: message, topic", spec="3.3")
act("sns-002-missing-topic", "no topic", {"action": "sns", "message": "m"}, "Missing keys: topic", spec="3.3")
act("sns-003-missing-message", "no message", {"action": "sns", "topic": "t"}, "Missing keys: message", spec="3.3")
act("sns-004-message-render", "message template error", dict(SN, message="{{ job.nope.x }}"), "'dict object' has no attribute 'nope'", spec="2.8")
act("sns-005-subject-render", "subject template error", dict(SN, subject="{{ 1/0 }}"), "division by zero", spec="2.8")
actp("sns-006-no-such-topic", "topic does not exist", SN, "An error occurred (", spec="3.3")

# dispatch (3.1)
DI = {"action": "dispatch", "job_id": "corpus/target"}
act("dispatch-001-missing-job-id", "no job_id", {"action": "dispatch"}, "Missing keys: job_id", spec="3.1")
act("dispatch-002-delay-words", "delay in words", dict(DI, delay="5 mins"), "Bad delay: 5 mins: Invalid duration: 5 mins", spec="3.1")
act("dispatch-003-delay-range", "delay 16 min", dict(DI, delay=960), "Bad delay: 960: Must be between 0 and 15 minutes", spec="3.1")
act("dispatch-004-delay-quarter-hour", "0.25h + 1 s", dict(DI, delay="901s"), "Bad delay: 901: Must be between 0 and 15 minutes", spec="3.1")
act("dispatch-005-parameters-list", "parameters is a list", dict(DI, parameters=["a"]), "parameters must be a dict", spec="3.1")
act("dispatch-006-parameters-string", "parameters is a string", dict(DI, parameters="a=1"), "parameters must be a dict", spec="3.1")
act("dispatch-007-job-id-render", "job_id template error", dict(DI, job_id="{{ x.y }}"), "Cannot render target job_id - 'x' is undefined", spec="3.1")
act("dispatch-008-parameters-render", "parameters template error", dict(DI, parameters={"p": "{{ 1/0 }}"}),
    "Cannot render parameters - division by zero", spec="3.1")
act("dispatch-009-job-id-syntax", "job_id template syntax error", dict(DI, job_id="{{ job.job_id "),
    "Cannot render target job_id - unexpected end of template, expected 'end of print statement'.", spec="3.1")
act("dispatch-010-no-such-job", "target job does not exist", DI, "No such job", spec="3.1")

# event (3.7)
EV = {"action": "event"}
act("event-001-unexpected", "unknown key", dict(EV, bus="x"), "Unexpected keys: bus", spec="3.7")
act("event-002-detail-number", "detail is a number", dict(EV, detail=5), "detail must be a string or map of strings", spec="3.7")
act("event-003-detail-list", "detail is a list", dict(EV, detail=["a"]), "detail must be a string or map of strings", spec="3.7")
act("event-004-resources-string", "resources is a string", dict(EV, resources="arn"), "resources must be a list", spec="3.7")
act("event-005-detail-not-object", "detail renders to a JSON list", dict(EV, detail="[1, 2]"), "detail must render to a JSON object", spec="0.9")
act("event-006-detail-not-json", "detail renders to plain text", dict(EV, detail="hello {{ job.job_id }}"), "detail must render to a JSON object", spec="0.9")
act("event-007-detail-render", "detail value template error", dict(EV, detail={"a": "{{ x.y }}"}), "'x' is undefined", spec="3.7")
act("event-008-source-render", "source template error", dict(EV, source="{{ 'a' + 1 }}"), 'can only concatenate str (not "int") to str', spec="3.7")

# state (3.8)
ST = {"action": "state", "state_id": "corpus-s", "value": {"a": "b"}}
act("state-001-missing-all", "no state_id, no value", {"action": "state"}, "Missing keys: state_id, value", spec="3.8")
act("state-002-unexpected", "unknown key", dict(ST, ttl_seconds=5), "Unexpected keys: ttl_seconds", spec="3.8")
act("state-003-reserved", "state_id starts with lava", dict(ST, state_id="lava-x"),
    'Bad state_id: Values beginning with "lava" are reserved', spec="3.8")
act("state-004-reserved-case", "state_id starts with LaVa", dict(ST, state_id="LaVa.x"),
    'Bad state_id: Values beginning with "lava" are reserved', spec="3.8")
act("state-005-reserved-rendered", "state_id renders to lava…", dict(ST, state_id="{{ 'la' }}va-x"),
    'Bad state_id: Values beginning with "lava" are reserved', spec="3.8")
act("state-006-bad-type", "unknown type", dict(ST, type="yaml"), "yaml: No such state type", spec="3.8")
act("state-007-bad-ttl", "ttl in words", dict(ST, ttl="5 mins"), "Invalid duration: 5 mins", spec="3.8")
act("state-008-state-id-render", "state_id template error", dict(ST, state_id="{{ x.y }}"), "Bad state_id: 'x' is undefined", spec="3.8")
act("state-009-publisher-render", "publisher template error", dict(ST, publisher="{{ 1/0 }}"), "Bad publisher: division by zero", spec="3.8")
act("state-010-value-render", "value template error", dict(ST, value={"k": "{{ job.nope.x }}"}),
    "Bad value: 'dict object' has no attribute 'nope'", spec="3.8")
act("state-011-ttl-list", "ttl is a list", dict(ST, ttl=["1d"]), "Invalid duration type: <class 'list'>", spec="3")

# ---- templates (2.7): syntax errors, checked before anything runs --------

SYNTAX = [
    ("unclosed-print", "{{ job.job_id "), ("empty-print", "{{ }}"), ("if-no-test", "{% if %}x{% endif %}"),
    ("if-no-endif", "{% if true %}x"), ("for-no-iter", "{% for x in %}{% endfor %}"), ("for-no-endfor", "{% for x in [1] %}x"),
    ("stray-endfor", "x{% endfor %}"), ("stray-endif", "{% endif %}"), ("dangling-plus", "{{ 1 + }}"),
    ("dangling-filter", "{{ job.job_id | }}"), ("set-nothing", "{% set %}"), ("macro-no-name", "{% macro %}{% endmacro %}"),
    ("unclosed-comment", "{# never closed"), ("unterminated-string", "{{ 'abc }}"), ("open-subscript", "{{ job[ }}"),
    ("unknown-tag", "{% frobnicate %}"), ("break-without-ext", "{% for x in [1] %}{% break %}{% endfor %}"),
    ("do-without-ext", "{% do x %}"), ("double-operator", "{{ 1 +* 2 }}"), ("unclosed-paren", "{{ (1 + 2 }}"),
    ("unclosed-list", "{{ [1, 2 }}"), ("unclosed-dict", "{{ {'a': 1 }}"), ("bad-assignment-target", "{% set 1 = 2 %}"),
    ("elif-after-else", "{% if a %}{% else %}{% elif b %}{% endif %}"), ("two-else", "{% if a %}{% else %}{% else %}{% endif %}"),
    ("endraw-missing", "{% raw %}abc"), ("filter-tag-no-end", "{% filter upper %}abc"), ("block-twice", "{% block a %}{% endblock %}{% block a %}{% endblock %}"),
    ("unknown-filter", "{{ job.job_id | nosuchfilter }}"), ("unknown-filter-chained", "{{ 'a' | upper | frobnicate(1) }}"),
    ("call-no-macro", "{% call %}{% endcall %}"), ("with-no-end", "{% with a = 1 %}{{ a }}"), ("brace-mismatch", "{{ job.job_id %}"),
    ("stmt-in-print", "{{ if x }}"), ("lone-not", "{{ not }}"), ("colon-not-allowed", "{{ a: b }}"),
    ("keyword-as-name", "{% set for = 1 %}"), ("dot-number-attr", "{{ job.1x }}"), ("is-no-test", "{{ 1 is }}"),
    ("in-no-rhs", "{{ 1 in }}"), ("endmacro-stray", "{% endmacro %}"), ("loop-else-twice", "{% for x in [] %}{% else %}{% else %}{% endfor %}"),
    ("unknown-test-outside-if", "{{ 1 is frobbed }}"), ("nested-print", "{{ {{ 1 }} }}"), ("triple-brace", "{{{ job.job_id }}}"),
]
for i, (slug, src) in enumerate(SYNTAX):
    tmpl(f"syntax-{i+1:03d}-{slug}", f"template syntax: {slug}", src)
# A syntax error at the end of a 1 MiB template.
tmpl("syntax-100-end-of-1mib", "syntax error after 1 MiB of text", "x" * ((1 << 20) - 20) + "{{ job.job_id ")
# The same syntax error through other actions' rendered fields.
tmpl("syntax-101-slack-message", "slack message syntax", "{{ job.job_id ", base=dict(SL))
tmpl("syntax-102-slack-subject", "slack subject syntax", "{% if %}", field="subject", base=dict(SL))
tmpl("syntax-103-state-id", "state_id syntax", "{{ 1 + }}", field="state_id", base=dict(ST), wrap="Bad state_id: {}")
tmpl("syntax-104-email-subject", "email subject syntax", "{{ }}", field="subject", base=dict(EM))
tmpl("syntax-105-sqs-message", "sqs message syntax", "{% for %}", base=dict(SQ))
tmpl("syntax-106-sns-subject", "sns subject syntax", "{{ ( }}", field="subject", base=dict(SN))
tmpl("syntax-107-event-source", "event source syntax", "{{ a b }}", field="source", base=dict(EV))
tmpl("syntax-108-dispatch-job-id", "dispatch job_id syntax", "{{ ] }}", field="job_id", base=dict(DI), wrap="Cannot render target job_id - {}")

# ---- templates: render-time errors ----------------------------------------

RUNTIME = [
    ("undefined-attr", "{{ x.y }}"), ("undefined-call", "{{ nope() }}"), ("dict-no-attr", "{{ job.nope.x }}"),
    ("str-no-method", "{{ job.job_id.nope() }}"), ("list-no-element", "{{ result.output[5].x }}"),
    ("globals-no-key", "{{ globals.nope.x }}"), ("state-no-key", "{{ state.missing.value }}"),
    ("int-plus-str", "{{ 1 + 'a' }}"), ("str-plus-int", "{{ 'a' + 1 }}"), ("div-zero", "{{ 1 / 0 }}"),
    ("floordiv-zero", "{{ 1 // 0 }}"), ("mod-zero", "{{ 1 % 0 }}"), ("str-times-str", "{{ 'a' * 'b' }}"),
    ("datetime-plus-int", "{{ start + 1 }}"), ("range-of-str", "{{ range('a') }}"), ("format-d-str", "{{ '%d' % 'x' }}"),
    ("format-too-few", "{{ '%s %s' % ('a',) }}"), ("call-string", "{{ job.job_id() }}"), ("call-dict", "{{ job() }}"),
    ("strftime-no-arg", "{{ start.strftime() }}"), ("int-filter-bad-base", "{{ '10' | int(base='x') }}"),
    ("iterate-int", "{% for x in 5 %}{% endfor %}"), ("unknown-test-in-if", "{% if 1 is frobbed %}{% endif %}"),
    ("include-no-loader", "{% include 'other' %}"), ("extends-no-loader", "{% extends 'base' %}"),
    ("import-no-loader", "{% import 'lib' as lib %}"), ("compare-str-int", "{{ 'a' < 1 }}"),
    ("compare-datetime-str", "{{ start < 'x' }}"), ("sort-mixed", "{{ [1, 'a'] | sort }}"), ("neg-str", "{{ -'a' }}"),
    ("undefined-iter-attr", "{% for x in nope.items() %}{% endfor %}"), ("macro-wrong-kwarg", "{% macro m(a) %}{% endmacro %}{{ m(b=1) }}"),
    ("macro-too-many-args", "{% macro m() %}{% endmacro %}{{ m(1) }}"), ("int-too-long", "{{ 2 ** 100000 }}"),
    ("result-exit-plus-str", "{{ result.exit_status + 'x' }}"), ("first-of-int", "{{ 5 | first }}"),
    ("join-int", "{{ 5 | join(',') }}"), ("unpack-mismatch", "{% for a, b in [1] %}{% endfor %}"),
    ("dict-unhashable-key", "{{ {[1]: 2} }}"), ("getattr-none-call", "{{ none.x() }}"), ("tojson-datetime", "{{ start | tojson }}"),
]
for i, (slug, src) in enumerate(RUNTIME):
    tmpl(f"render-{i+1:03d}-{slug}", f"render error: {slug}", src)
# In other triggers and actions.
tmpl("render-100-on-retry", "render error in on_retry", "{{ x.y }}", trigger="on_retry")
tmpl("render-101-on-fail", "render error in on_fail", "{{ result.error.nope.x }}", trigger="on_fail",
     result={"error": "boom", "error_data": None})
tmpl("render-102-slack-from", "slack from render error", "{{ x.y }}", field="from", base=dict(SL))
tmpl("render-103-email-message", "email message render error", "{{ 1/0 }}", base=dict(EM))
tmpl("render-104-parameters-value", "a job parameter used as a template value", "{{ job.parameters.p.nope.x }}",
     job={"parameters": {"p": {}}})

# ---- template bombs: no Python error (it runs for minutes or exhausts
# memory); each must fail fast on this project's limits.
BOMBS = [
    ("range-list", "{{ range(10**9) | list }}"), ("for-range", "{% for i in range(10**9) %}{% endfor %}"),
    ("str-times", "{{ 'x' * 10**9 }}"), ("nested-loops", "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"),
    ("nested-loops-output", "{% for i in range(10000) %}{% for j in range(10000) %}xxxxxxxxxx{% endfor %}{% endfor %}"),
    ("recursive-macro", "{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}"),
    ("mutual-recursion", "{% macro a() %}{{ b() }}{% endmacro %}{% macro b() %}{{ a() }}{% endmacro %}{{ a() }}"),
    ("doubling-set", "{% set s = 'x' * 1000000 %}{{ s * 1000 }}"), ("center", "{{ 'x' | center(10**9) }}"),
    ("join-range", "{{ range(10**8) | join(',') }}"), ("list-times", "{{ [1] * 10**9 }}"),
    ("replace-growth", "{{ ('x' * 100000) | replace('x', 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx') }}"),
    ("macro-fanout", "{% macro f(n) %}{% if n > 0 %}{{ f(n-1) }}{{ f(n-1) }}{% endif %}x{% endmacro %}{{ f(40) }}"),
    ("while-via-recursion-depth", "{% macro r(n) %}{{ r(n + 1) }}{% endmacro %}{{ r(0) }}"),
    ("indent-huge", "{{ 'a\nb' | indent(10**9) }}"),
    ("format-width", "{{ '%1000000000s' % 'x' }}"),
    ("loop-cycle", "{% for i in range(10**7) %}{{ loop.cycle('a', 'b') }}{% endfor %}"),
    ("macro-fanout-silent", "{% macro f(n) %}{% if n > 0 %}{{ f(n-1) }}{{ f(n-1) }}{% endif %}{% endmacro %}{{ f(40) }}"),
]
SAFEGUARD_TEXT = {}  # filled from this project's texts (see OURS below)
for i, (slug, src) in enumerate(BOMBS):
    tmpl(f"bomb-{i+1:03d}-{slug}", f"template bomb: {slug}", src, safeguard=True, ours="TBD")
# Template larger than render.DefaultMaxTemplate (1 MiB).
tmpl("bomb-100-template-over-1mib", "template source over 1 MiB (Python renders it)", "x" * ((1 << 20) + 1),
     safeguard=True, ours="TBD")
# Huge request: a job over the 64 MiB gRPC message limit (built at run time).
add("huge-001-job-over-64mib", "job carries 65 MiB of parameters", [{"action": "log", "message": "x"}],
    prefix="on_success action: log: ", pad_job_bytes=65 << 20)
add("huge-002-job-5mib-invalid", "job carries 5 MiB and the list is invalid", [{"action": "log"}],
    want="on_success action: log: Missing keys: message", pad_job_bytes=5 << 20)

# ---- this project's texts where no Python/spec text applies, and where
# they differ (reviewed; see known_divergences.json) ------------------------
# Bombs: the limit texts of sdk/render (no Python text exists).
LIMIT_RANGE = "render: range() too large: range() of {} items exceeds the limit of 100000"
BOMB_TEXT = {
    "bomb-001-range-list": LIMIT_RANGE.format(10**9),
    "bomb-002-for-range": LIMIT_RANGE.format(10**9),
    "bomb-003-str-times": "render: output size limit exceeded: string repetition too large",
    "bomb-004-nested-loops": "render: range() too large: too many loop iterations",
    "bomb-005-nested-loops-output": "render: output size limit exceeded: more than 4194304 bytes",
    "bomb-006-recursive-macro": "maximum recursion depth exceeded",
    "bomb-007-mutual-recursion": "maximum recursion depth exceeded",
    "bomb-008-doubling-set": "render: output size limit exceeded: string repetition too large",
    "bomb-010-join-range": LIMIT_RANGE.format(10**8),
    "bomb-011-list-times": "render: output size limit exceeded: list repetition too large",
    "bomb-012-replace-growth": "render: output size limit exceeded: more than 4194304 bytes",
    "bomb-013-macro-fanout": "render: output size limit exceeded: more than 4194304 bytes",
    "bomb-014-while-via-recursion-depth": "maximum recursion depth exceeded",
    "bomb-017-loop-cycle": LIMIT_RANGE.format(10**7),
    "bomb-100-template-over-1mib": "render: template too large: 1048577 bytes, the limit is 1048576",
}
# Bombs whose limit text includes a size: only the prefix is fixed. Width
# and indent bombs are refused before any padding is built; a fan-out of
# macro calls counts each call against the iteration limit.
BOMB_PREFIX = {
    "bomb-009-center": "render: output size limit exceeded",
    "bomb-015-indent-huge": "render: output size limit exceeded",
    "bomb-016-format-width": "render: output size limit exceeded",
    "bomb-018-macro-fanout-silent": "render: ",
}

# This project's text where it differs from Python's jinja2, with the reason
# (also written to known_divergences.json). None means: renders without error.
DIV = {
    "render-034-int-too-long": (None, "Python 3.11+ refuses to print an int of more than 4300 digits (sys.set_int_max_str_digits); the Go engine prints all 30103 digits"),
}
# JSON positions: this project's own texts (no Python equivalent), but
# reviewed as inconsistent; see known_divergences.json.
JSON_DIV = {
    "deep-001-lists-201": (202, None, "the too-deep error points one column past the bracket that exceeds the limit (syntax errors point at the offending character); sdk/value/json.go uses dec.InputOffset() after the token"),
    "deep-002-objects-201": (1002, None, "as deep-001"),
    "deep-004-in-action-item": (244, None, "as deep-001"),
    "deep-005-result": (None, None, "as deep-001"),
    "deep-003-lists-100000": (10001, "invalid character '[' exceeded max depth", "beyond 10,000 levels encoding/json's own scanner limit answers first, with its wording and position, instead of 'nesting deeper than 200 levels'"),
}


def main():
    for c in CASES:
        id = c["id"]
        prefix = ""
        lst = c.get("job", {}).get(c.get("trigger"))
        if isinstance(lst, list) and lst and isinstance(lst[0], dict):
            prefix = f"{c['trigger']} action: {lst[0].get('action', '')}: "
        if id in BOMB_TEXT:
            c["want_error"] = prefix + BOMB_TEXT[id]
        elif id in BOMB_PREFIX:
            c.pop("want_error", None)
            c["want_prefix"] = prefix + BOMB_PREFIX[id]
        elif id in DIV:
            text, why = DIV[id]
            if text is None:
                c.pop("want_error")
                c["want_no_error"] = True
            else:
                c["want_error"] = prefix + text
            DIVERGENCES[id] = why
        elif id in JSON_DIV:
            col, msg, why = JSON_DIV[id]
            if col is not None:
                c["want_column"] = col
            if msg is not None:
                c["want_msg"] = msg
            DIVERGENCES[id] = why
        assert not (c.get("want_error") or "").endswith("TBD"), id
    for id, src in NOERR:
        print(f"dropped {id}: Python renders {src!r} without error", file=sys.stderr)
    ids = [c["id"] for c in CASES]
    assert len(ids) == len(set(ids)), "duplicate ids"
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    os.makedirs(RAW)
    for name, data in RAWS.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
    for c in CASES:
        with open(os.path.join(OUT, c["id"] + ".json"), "w", encoding="utf-8") as f:
            json.dump(c, f, indent=1, ensure_ascii=False)
            f.write("\n")
    with open(os.path.join(OUT, "known_divergences.json"), "w", encoding="utf-8") as f:
        json.dump(dict(sorted(DIVERGENCES.items())), f, indent=1, ensure_ascii=False)
        f.write("\n")
    print(f"{len(CASES)} cases, {len(RAWS)} raw files, {len(DIVERGENCES)} known divergences", file=sys.stderr)


if __name__ == "__main__":
    main()
