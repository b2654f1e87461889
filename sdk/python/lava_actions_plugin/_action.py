"""What a plugin author writes against: Action, Description, Field, Request, Result."""
from __future__ import annotations

import datetime as _dt
import time
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

PROTOCOL_VERSION = 1
"""The lava.action.v1 wire protocol version this SDK speaks."""

HOST_RENDER = "host-render"
"""The capability that asks the host to render declared fields before Execute."""


class Kind:
    """Field kinds, as in the Go SDK (sdk.Kind)."""

    ANY = "any"
    STRING = "string"
    STRINGS = "string-or-list"
    LIST = "list"
    MAP = "map"
    BOOL = "boolean"
    NUMBER = "number"
    DURATION = "duration"
    STRING_OR_MAP = "string-or-map"


class Render:
    """Render modes, as in the Go SDK (sdk.RenderMode). The host renders them."""

    NONE = ""
    TEXT = "text"
    EACH = "each"
    STRUCTURAL = "structural"


@dataclass
class Field:
    """One key of an action item."""

    name: str
    required: bool = False
    kind: str = Kind.ANY
    render: str = Render.NONE
    kind_error: str = ""
    """Replaces the default "<name> must be <kind>" message."""
    doc: str = ""
    secret: bool = False
    """The value (as written and as rendered) is a secret: the host redacts it from
    everything the plugin returns (error, summary, effects, logs)."""


@dataclass
class Description:
    """What an action type publishes about itself."""

    type: str
    version: str
    summary: str = ""
    fields: List[Field] = field(default_factory=list)
    lenient: bool = False
    """Accept keys not in fields. By default (False) they are an error:
    "Unexpected keys: ..." (the wire's strict is not lenient)."""
    capabilities: List[str] = field(default_factory=list)


class ActionError(Exception):
    """The action's own error: its text becomes "<key> action: <type>: <text>"."""


@dataclass
class Effect:
    """One outside call: operation (e.g. "teams:Post"), target, request detail, outcome.
    Secrets must never be put in an Effect."""

    operation: str
    target: str = ""
    detail: Any = None
    outcome: str = ""


@dataclass
class Result:
    """What an action did (or, in a dry run, would do)."""

    summary: str = ""
    effects: List[Effect] = field(default_factory=list)
    retries: int = 0


class Config(Dict[str, str]):
    """Resolved configuration: upper-case keys without the LAVA_ prefix."""

    def get_value(self, key: str, default: str = "") -> str:
        """The value of key (case-insensitive), or default when unset."""
        return self.get(key.upper(), default)


class ActionLog:
    """A logger whose records go back to the host with the result and are emitted on the
    host's logger. Attributes are keyword arguments."""

    def __init__(self) -> None:
        self.records: List[Dict[str, Any]] = []

    def _log(self, level: str, message: str, attrs: Dict[str, Any]) -> None:
        self.records.append({"level": level, "message": str(message), "attrs": attrs,
                             "time": time.time()})

    def debug(self, message: str, **attrs: Any) -> None:
        """Log at DEBUG."""
        self._log("DEBUG", message, attrs)

    def info(self, message: str, **attrs: Any) -> None:
        """Log at INFO."""
        self._log("INFO", message, attrs)

    def warning(self, message: str, **attrs: Any) -> None:
        """Log at WARN."""
        self._log("WARN", message, attrs)

    def error(self, message: str, **attrs: Any) -> None:
        """Log at ERROR."""
        self._log("ERROR", message, attrs)


@dataclass
class Request:
    """One action item to validate or execute.

    In execute, the item's declared fields with a render mode are already rendered by the
    host (lava's engine and context); in validate they are the templates as written."""

    trigger: str
    index: int
    item: Dict[str, Any]
    job: Dict[str, Any]
    realm: Dict[str, Any]
    result: Dict[str, Any]
    config: Config
    dry_run: bool
    deadline: Optional[_dt.datetime] = None
    log: ActionLog = field(default_factory=ActionLog)
    secrets: List[str] = field(default_factory=list)
    """Values marked with secret(); the host redacts them from the response."""

    def secret(self, value: str) -> str:
        """Mark value (e.g. a URL resolved at run time) as a secret the host must redact from
        everything this request returns; returns value."""
        if value:
            self.secrets.append(str(value))
        return value

    def time_left(self) -> Optional[float]:
        """Seconds until the deadline (never negative), or None without one."""
        if self.deadline is None:
            return None
        return max(0.0, (self.deadline - _dt.datetime.now(_dt.timezone.utc)).total_seconds())

    @property
    def job_id(self) -> str:
        """job.job_id."""
        return str(self.job.get("job_id") or "")

    @property
    def run_id(self) -> str:
        """job.run_id."""
        return str(self.job.get("run_id") or "")

    @property
    def realm_name(self) -> str:
        """realm.realm, else job.realm."""
        return str(self.realm.get("realm") or self.job.get("realm") or "")


class Action:
    """One lava action type. Subclass it: describe() and execute() are required,
    validate() is optional."""

    def describe(self) -> Description:
        """The static description of the action type."""
        raise NotImplementedError

    def validate(self, request: Request) -> None:
        """Checks beyond the declared fields; raise ActionError to reject the item. Runs
        before any action of the list; no side effects; depends only on item and config."""

    def execute(self, request: Request) -> Result:
        """Run one item; with request.dry_run, change nothing and report what would be
        sent. Raise ActionError with the action's error text."""
        raise NotImplementedError
