"""The plugin side of go-plugin over gRPC: handshake, health, controller and the action
service of proto/action/v1."""
from __future__ import annotations

import datetime as _dt
import json
import logging
import os
import signal
import sys
import threading
import time
import traceback
from concurrent import futures
from typing import Any, List, Optional

import grpc

from ._action import (HOST_RENDER, PROTOCOL_VERSION, Action, ActionError, ActionLog, Config,
                      Description, Render, Request, Result)
from ._checks import check_item, schema
from ._pb import action_pb2 as pb
from ._values import encode_detail, map_from_proto, to_proto

# The go-plugin handshake of lava-actions (internal/wire): never change the cookie.
MAGIC_COOKIE_KEY = "LAVA_ACTION_PLUGIN"
MAGIC_COOKIE_VALUE = "6f1c2b0e-lava-action-host"
CORE_PROTOCOL_VERSION = 1
MAX_MESSAGE_BYTES = 64 << 20

# grpc.health.v1.HealthCheckResponse.ServingStatus
_SERVING, _SERVICE_UNKNOWN = 1, 3


_current = threading.local()
_LEVELS = {logging.DEBUG: "DEBUG", logging.INFO: "INFO", logging.WARNING: "WARN",
           logging.ERROR: "ERROR", logging.CRITICAL: "ERROR"}


class _ForwardHandler(logging.Handler):
    """Sends records of Python's logging module made while a request runs (in its thread)
    to the host with that request's result; other records at WARNING or above go to
    stderr, which the host logs."""

    def emit(self, record: logging.LogRecord) -> None:
        log: Optional[ActionLog] = getattr(_current, "log", None)
        try:
            msg = record.getMessage()
            if log is not None:
                level = _LEVELS.get(record.levelno, "ERROR" if record.levelno > 40 else "INFO")
                log._log(level, msg, {"logger": record.name})
            elif record.levelno >= logging.WARNING:
                sys.stderr.write(f"{record.levelname} {record.name}: {msg}\n")
        except Exception:  # noqa: BLE001 - logging must never break a request
            self.handleError(record)


def _describe(d: Description) -> Description:
    """d with the host-render capability added when a field is rendered."""
    caps = list(d.capabilities)
    if any(f.render != Render.NONE for f in d.fields) and HOST_RENDER not in caps:
        caps.append(HOST_RENDER)
    return Description(type=d.type, version=d.version, summary=d.summary, fields=list(d.fields),
                       lenient=d.lenient, capabilities=caps)


class _Servicer:
    """Adapts an Action to lava.action.v1.Action."""

    def __init__(self, action: Action) -> None:
        self.action = action
        self.desc = _describe(action.describe())
        self.schema = schema(self.desc)

    def describe(self, _req: pb.DescribeRequest, _ctx: Any) -> pb.DescribeResponse:
        d = self.desc
        resp = pb.DescribeResponse(type=d.type, plugin_version=d.version,
                                   protocol_version=PROTOCOL_VERSION, summary=d.summary,
                                   schema_json=self.schema, strict=not d.lenient,
                                   capabilities=d.capabilities)
        for f in d.fields:
            resp.fields.append(pb.Field(name=f.name, required=f.required, kind=f.kind,
                                        render=f.render, doc=f.doc, kind_error=f.kind_error,
                                        secret=f.secret))
        return resp

    def _request(self, p: pb.ExecuteRequest) -> Request:
        deadline = None
        if p.deadline_unix_ms > 0:
            deadline = _dt.datetime.fromtimestamp(p.deadline_unix_ms / 1000, _dt.timezone.utc)
        return Request(trigger=p.trigger, index=p.index, item=map_from_proto(p.item),
                       job=map_from_proto(p.job), realm=map_from_proto(p.realm),
                       result=map_from_proto(p.result), config=Config(p.config),
                       dry_run=p.dry_run, deadline=deadline, log=ActionLog())

    def _internal(self, exc: BaseException) -> str:
        # The traceback goes to the plugin's stderr (the host's log), never to the report.
        traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)
        return f"internal error in {self.desc.type} plugin: {type(exc).__name__}: {exc}"

    def validate(self, p: pb.ExecuteRequest, _ctx: Any) -> pb.ValidateResponse:
        req = self._request(p)
        try:
            msg = check_item(self.desc, req.item)
            if msg is None:
                self.action.validate(req)
        except ActionError as e:
            msg = str(e) or "invalid action"
        except Exception as e:  # noqa: BLE001 - any author bug is the action's error
            msg = self._internal(e)
        return pb.ValidateResponse(error=msg or "")

    def execute(self, p: pb.ExecuteRequest, _ctx: Any) -> pb.ExecuteResponse:
        req = self._request(p)
        resp = pb.ExecuteResponse()
        _current.log = req.log
        try:
            # The declared checks again: a bare Execute of an invalid item sends nothing.
            msg = check_item(self.desc, req.item)
            if msg is not None:
                raise ActionError(msg)
            res = self.action.execute(req)
            if res is not None and not isinstance(res, Result):
                raise TypeError(f"execute returned {type(res).__name__}, not Result")
        except ActionError as e:
            res, resp.error = None, str(e) or "action failed with an empty error"
        except Exception as e:  # noqa: BLE001
            res, resp.error = None, self._internal(e)
        finally:
            _current.log = None
        if res is not None:
            resp.summary, resp.retries = res.summary, res.retries
            for e in res.effects:
                resp.effects.append(pb.Effect(operation=e.operation, target=e.target,
                                              detail_json=encode_detail(e.detail),
                                              outcome=e.outcome))
        for r in req.log.records:
            lr = pb.LogRecord(level=r["level"], message=r["message"],
                              time_unix_micro=int(r["time"] * 1e6))
            for k, v in r["attrs"].items():
                lr.attrs.append(pb.Attr(key=k, value=to_proto(v)))
            resp.logs.append(lr)
        resp.secrets.extend(req.secrets)
        return resp


def _health_check(request: bytes, _ctx: Any) -> bytes:
    # HealthCheckRequest{string service = 1}; go-plugin asks for "plugin".
    service = b""
    if len(request) >= 2 and request[0] == 0x0A:
        service = request[2:2 + request[1]]
    status = _SERVING if service in (b"", b"plugin") else _SERVICE_UNKNOWN
    return bytes([0x08, status])  # HealthCheckResponse{status = 1}


def _identity(b: bytes) -> bytes:
    return b


def _handlers(servicer: _Servicer, shutdown: threading.Event) -> List[grpc.GenericRpcHandler]:
    def shutdown_rpc(_req: bytes, _ctx: Any) -> bytes:
        shutdown.set()
        return b""  # plugin.Empty

    action = grpc.method_handlers_generic_handler("lava.action.v1.Action", {
        "Describe": grpc.unary_unary_rpc_method_handler(
            servicer.describe, request_deserializer=pb.DescribeRequest.FromString,
            response_serializer=pb.DescribeResponse.SerializeToString),
        "Validate": grpc.unary_unary_rpc_method_handler(
            servicer.validate, request_deserializer=pb.ExecuteRequest.FromString,
            response_serializer=pb.ValidateResponse.SerializeToString),
        "Execute": grpc.unary_unary_rpc_method_handler(
            servicer.execute, request_deserializer=pb.ExecuteRequest.FromString,
            response_serializer=pb.ExecuteResponse.SerializeToString),
    })
    health = grpc.method_handlers_generic_handler("grpc.health.v1.Health", {
        "Check": grpc.unary_unary_rpc_method_handler(
            _health_check, request_deserializer=_identity, response_serializer=_identity),
    })
    controller = grpc.method_handlers_generic_handler("plugin.GRPCController", {
        "Shutdown": grpc.unary_unary_rpc_method_handler(
            shutdown_rpc, request_deserializer=_identity, response_serializer=_identity),
    })
    return [action, health, controller]


def _run_by_hand(action: Action, arg: str) -> int:
    d = _describe(action.describe())
    if arg in ("describe", "--describe"):
        out = {"type": d.type, "version": d.version, "protocol_version": PROTOCOL_VERSION,
               "summary": d.summary, "capabilities": d.capabilities,
               "schema": json.loads(schema(d))}
        print(json.dumps(out, indent=2))
        return 0
    if arg in ("version", "--version"):
        print(f"lava-action-{d.type} {d.version} (protocol {PROTOCOL_VERSION})")
        return 0
    print(f"unknown argument {arg!r}: a lava-actions plugin answers only describe and version",
          file=sys.stderr)
    return 1


def _watch_parent() -> None:
    # A backstop to the parent-death signal the host sets on Linux.
    ppid = os.getppid()
    while True:
        time.sleep(0.5)
        if os.getppid() != ppid:
            print("host process is gone; plugin exiting", file=sys.stderr)
            os._exit(2)


def serve(action: Action, argv: Optional[List[str]] = None) -> None:
    """Run action as a lava action plugin; does not return (the process exits).

    Run by hand, the executable answers "describe" and "version"; anything else prints a
    notice and exits with status 1. Started by the host (go-plugin's magic cookie set), it
    writes the go-plugin handshake line to stdout and from then on sends everything that
    is printed to stderr, so stdout stays clean."""
    argv = sys.argv if argv is None else argv
    cookie = os.environ.get(MAGIC_COOKIE_KEY)
    if len(argv) > 1 and not cookie:
        sys.exit(_run_by_hand(action, argv[1]))
    if cookie != MAGIC_COOKIE_VALUE:
        typ = action.describe().type
        print(f"This is a lava-actions plugin ({typ}). It is started by the lava-actions host;\n"
              f"run it by hand only as '{argv[0]} describe' or '{argv[0]} version'.",
              file=sys.stderr)
        sys.exit(1)
    servicer = _Servicer(action)
    # Ctrl-C reaches the whole process group: the host decides when the plugin stops.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_watch_parent, name="watch-parent", daemon=True).start()
    root = logging.getLogger()
    root.addHandler(_ForwardHandler())
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)

    sock_dir = os.environ.get("PLUGIN_UNIX_SOCKET_DIR") or os.environ.get("TMPDIR") or "/tmp"
    path = os.path.join(sock_dir, f"plugin{os.urandom(6).hex()}")
    shutdown = threading.Event()
    opts = [("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
            ("grpc.max_send_message_length", MAX_MESSAGE_BYTES)]
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=16, thread_name_prefix="rpc"),
                         handlers=_handlers(servicer, shutdown), options=opts)
    if server.add_insecure_port(f"unix:{path}") == 0:
        print(f"cannot listen on unix socket {path}", file=sys.stderr)
        sys.exit(1)
    server.start()

    versions = os.environ.get("PLUGIN_PROTOCOL_VERSIONS", "")
    if versions and str(PROTOCOL_VERSION) not in versions.split(","):
        print(f"host asks for protocol versions {versions}; this plugin speaks "
              f"{PROTOCOL_VERSION}", file=sys.stderr)
    line = f"{CORE_PROTOCOL_VERSION}|{PROTOCOL_VERSION}|unix|{path}|grpc|"
    if os.environ.get("PLUGIN_MULTIPLEX_GRPC"):
        line += "|false"
    os.write(1, (line + "\n").encode())
    # From here on, anything printed goes to stderr: stdout carried the handshake only.
    sys.stdout.flush()
    os.dup2(2, 1)
    sys.stdout = sys.stderr

    try:
        shutdown.wait()
    finally:
        server.stop(grace=0.5).wait(1)
        try:
            os.unlink(path)
        except OSError:
            pass
    os._exit(0)
