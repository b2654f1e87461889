"""teams: an example lava action type written in Python with lava_actions_plugin.

It posts a Microsoft Teams message card (an incoming-webhook "MessageCard") when a job's
action list runs::

    {"action": "teams",
     "webhook_url": "https://example.webhook.office.com/webhookb2/...",   # required, not rendered
     "title": "Job {{ job.job_id }} failed",                              # rendered
     "text": "{{ result.error }}",                                        # required, rendered
     "facts": {"Run": "{{ job.run_id }}", "Realm": "{{ realm.realm }}"},  # values rendered
     "theme_color": "D70000",                                             # 6 hex digits
     "timeout": "10s"}                                                    # lava duration

The host renders title, text and the values of facts (lava's Jinja, the job's context)
before execute; the action never sees a template. An HTTP status of 400 or more is an
action error quoting the status and the start of the response body. The webhook URL is a
secret: reports, errors and dry runs show only its scheme and host.
"""
from __future__ import annotations

import re
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Dict

from lava_actions_plugin import (Action, ActionError, Description, Effect, Field, Kind, Render,
                                 Request, Result, serve)

VERSION = "0.1.0"
DEFAULT_TIMEOUT = 10.0
MAX_TIMEOUT = 3600.0
MAX_ERROR_BODY = 256
_DURATION = re.compile(r"^\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)\s*([wdhms]?)\s*$")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_timeout(v: Any) -> float:
    """A lava duration: a number of seconds, or text such as "30s", "2m"."""
    if v is None:
        return DEFAULT_TIMEOUT
    if isinstance(v, bool):
        raise ActionError("timeout must be a duration")
    if isinstance(v, str):
        m = _DURATION.match(v)
        if not m:
            raise ActionError(f"timeout: bad duration {v!r}")
        secs = float(m.group(1)) * _UNITS[m.group(2)]
    else:
        try:
            secs = float(v)
        except (TypeError, ValueError):
            raise ActionError("timeout must be a duration") from None
    if not 0 < secs <= MAX_TIMEOUT:
        raise ActionError(f"timeout must be more than 0 and at most {int(MAX_TIMEOUT)}s")
    return secs


def redact(url: str) -> str:
    """The URL without its path, query and user info: webhook URLs hold their secret."""
    u = urllib.parse.urlsplit(url)
    return f"{u.scheme}://{u.hostname or ''}{':%d' % u.port if u.port else ''}/…"


def check_url(url: str) -> None:
    """An http or https URL with a host."""
    try:
        u = urllib.parse.urlsplit(url)
        ok = u.scheme in ("http", "https") and bool(u.hostname)
    except ValueError:
        ok = False
    if not ok:
        raise ActionError("webhook_url must be an http or https URL")


def card(item: Dict[str, Any]) -> Dict[str, Any]:
    """The MessageCard of a rendered item."""
    text = item["text"]
    title = item.get("title") or ""
    out: Dict[str, Any] = {
        "@type": "MessageCard",
        "@context": "https://schema.org/extensions",
        "summary": (title or text)[:80],
    }
    if item.get("theme_color"):
        out["themeColor"] = item["theme_color"]
    if title:
        out["title"] = title
    out["text"] = text
    facts = item.get("facts") or {}
    if facts:
        out["sections"] = [{"facts": [{"name": k, "value": str(v)} for k, v in facts.items()]}]
    return out


class Teams(Action):
    """The teams action."""

    def describe(self) -> Description:
        return Description(
            type="teams", version=VERSION,
            summary="Post a Microsoft Teams message card to an incoming webhook.",
            capabilities=["dry-run"],
            fields=[
                Field("webhook_url", required=True, kind=Kind.STRING, secret=True,
                      doc="The incoming webhook URL (a secret the host redacts); not rendered."),
                Field("title", kind=Kind.STRING, render=Render.TEXT, doc="Card title."),
                Field("text", required=True, kind=Kind.STRING, render=Render.TEXT,
                      doc="Card text (Markdown)."),
                Field("facts", kind=Kind.MAP, render=Render.EACH,
                      doc="Name/value pairs shown as a table; values rendered."),
                Field("theme_color", kind=Kind.STRING, doc="Accent colour, 6 hex digits."),
                Field("timeout", kind=Kind.DURATION, doc="Request timeout (default 10s)."),
            ])

    def validate(self, request: Request) -> None:
        item = request.item
        check_url(item["webhook_url"])
        color = item.get("theme_color")
        if color is not None and not re.fullmatch(r"[0-9A-Fa-f]{6}", color):
            raise ActionError("theme_color must be 6 hex digits, e.g. D70000")
        parse_timeout(item.get("timeout"))

    def execute(self, request: Request) -> Result:
        item = request.item
        body = card(item)
        target = redact(item["webhook_url"])
        if request.dry_run:
            return Result(summary=f"would post a card to {target}",
                          effects=[Effect("teams:Post", target, body)])
        timeout = parse_timeout(item.get("timeout"))
        left = request.time_left()
        if left is not None:
            timeout = max(0.001, min(timeout, left))
        data = _json(body)
        req = urllib.request.Request(item["webhook_url"], data=data, method="POST",
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                status = resp.status
        except urllib.error.HTTPError as e:
            text = e.read(MAX_ERROR_BODY).decode("utf-8", "replace").strip()
            raise ActionError(f"POST {target}: HTTP {e.code} {e.reason}: {text}") from None
        except (urllib.error.URLError, OSError) as e:
            reason = getattr(e, "reason", e)
            raise ActionError(f"POST {target}: {reason}") from None
        request.log.info("card posted", target=target, status=status)
        return Result(summary=f"posted a card to {target}",
                      effects=[Effect("teams:Post", target, body, outcome=f"HTTP {status}")])


def _json(body: Dict[str, Any]) -> bytes:
    import json
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


def main() -> None:
    """Serve the teams action (the lava-action-teams executable)."""
    serve(Teams())


if __name__ == "__main__":
    main()
