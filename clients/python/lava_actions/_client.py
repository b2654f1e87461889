"""The client of ``lava-actions serve`` and its optional private, supervised server."""
from __future__ import annotations

import atexit
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from typing import Any, Dict, List, Mapping, Optional, Sequence

from ._encode import dumps

ACTION_KEYS = ("on_success", "on_retry", "on_fail")

MAX_RESPONSE_BYTES = 64 << 20
"""The largest answer the client reads from the server."""


class LavaActionsError(Exception):
    """Base class of this package's errors."""


class ActionError(LavaActionsError):
    """An action failed, or the list was invalid and nothing ran.

    ``str(e)`` is lava's text: ``<key> action: <type>: <message>``. ``report`` is the
    serve report (each action's status) and ``invalid`` says that nothing ran."""

    def __init__(self, message: str, report: Optional[Dict[str, Any]] = None,
                 invalid: bool = False) -> None:
        super().__init__(message)
        self.report: Dict[str, Any] = report or {}
        self.invalid = invalid


class RequestError(LavaActionsError):
    """The server refused the request as malformed (HTTP 400/413)."""


class ServerError(LavaActionsError):
    """The server could not be reached, stopped, is draining or is busy."""


class ServerTimeout(ServerError):
    """No answer within the timeout. An action may still have run."""


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, connect_timeout: float, timeout: float) -> None:
        super().__init__("lava-actions", timeout=timeout)
        self._path, self._connect_timeout = path, connect_timeout

    def connect(self) -> None:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self._connect_timeout)
        try:
            s.connect(self._path)
        except BaseException:
            s.close()
            raise
        s.settimeout(self.timeout)
        self.sock = s


class _TCPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, connect_timeout: float, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._connect_timeout = connect_timeout

    def connect(self) -> None:
        self.sock = socket.create_connection((self.host, self.port), self._connect_timeout)
        self.sock.settimeout(self.timeout)


def _parse_address(address: str) -> Dict[str, Any]:
    if address.startswith("tcp:"):
        hostport = address[4:]
        host, sep, port = hostport.rpartition(":")
        if not sep or not port.isdigit():
            raise ValueError(f"bad address {address!r}: want tcp:HOST:PORT")
        return {"tcp": (host.strip("[]"), int(port))}
    return {"unix": address}


class _Private:
    """A private ``lava-actions serve`` on a unix socket in a private directory: started
    on first use, started again when it has died, stopped at exit."""

    def __init__(self, binary: str, args: Sequence[str], env: Optional[Mapping[str, str]],
                 start_timeout: float) -> None:
        self.binary, self.args, self.env = binary, list(args), env
        self.start_timeout = start_timeout
        self.dir = tempfile.mkdtemp(prefix="lava-actions-client-")
        self.socket = os.path.join(self.dir, "serve.sock")
        self.log = os.path.join(self.dir, "serve.log")
        self.proc: Optional[subprocess.Popen[bytes]] = None
        self.lock = threading.Lock()
        self.starts = 0
        atexit.register(self.stop)

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def ensure(self) -> None:
        with self.lock:
            if self.running():
                return
            self._start()

    def _tail(self) -> str:
        try:
            with open(self.log, "rb") as f:
                f.seek(0, os.SEEK_END)
                f.seek(max(0, f.tell() - 2000))
                return f.read().decode("utf-8", "replace").strip()
        except OSError:
            return ""

    def _start(self) -> None:
        exe = shutil.which(self.binary) or self.binary
        try:
            os.unlink(self.socket)
        except FileNotFoundError:
            pass
        env = dict(os.environ if self.env is None else self.env)
        cmd = [exe, *self.args, "serve", "--listen", self.socket]
        with open(self.log, "ab") as log:
            try:
                self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                             env=env, start_new_session=True)
            except OSError as e:
                raise ServerError(f"start {' '.join(cmd)}: {e}") from None
        self.starts += 1
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ServerError(f"lava-actions serve exited with status {self.proc.returncode}: "
                                  f"{self._tail()}")
            if os.path.exists(self.socket):
                try:
                    conn = _UnixConnection(self.socket, 1.0, 2.0)
                    conn.request("GET", "/healthz")
                    ok = conn.getresponse().status == 200
                    conn.close()
                    if ok:
                        return
                except OSError:
                    pass
            time.sleep(0.02)
        self._kill()
        raise ServerError(f"lava-actions serve did not answer within {self.start_timeout:g}s: "
                          f"{self._tail()}")

    def _kill(self) -> None:
        p = self.proc
        if p is None or p.poll() is not None:
            return
        try:
            p.send_signal(signal.SIGTERM)  # serve drains in-flight runs, then stops its plugins
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()

    def stop(self) -> None:
        with self.lock:
            self._kill()
            self.proc = None
            shutil.rmtree(self.dir, ignore_errors=True)


class Client:
    """A client of ``lava-actions serve``.

    ``address`` is the server's unix socket path or ``tcp:127.0.0.1:PORT``. Without an
    address, the client starts a private server (``binary serve`` on a private socket;
    ``serve_args`` are global options put before ``serve``, such as
    ``["--plugin-dir", "/opt/lava/plugins"]``) on first use, starts it again if it has
    died and stops it at exit.

    ``timeout`` bounds each request's answer (a run waits for all its actions);
    ``connect_timeout`` bounds reaching the server."""

    def __init__(self, address: Optional[str] = None, *, timeout: float = 300.0,
                 connect_timeout: float = 5.0, binary: str = "lava-actions",
                 serve_args: Sequence[str] = (), serve_env: Optional[Mapping[str, str]] = None,
                 start_timeout: float = 20.0) -> None:
        self.timeout, self.connect_timeout = timeout, connect_timeout
        self.private: Optional[_Private] = None
        if address is None:
            self.private = _Private(binary, serve_args, serve_env, start_timeout)
            address = self.private.socket
        self.address = address
        self._target = _parse_address(address)

    def close(self) -> None:
        """Stop the private server, if this client started one."""
        if self.private is not None:
            self.private.stop()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _conn(self, timeout: float) -> http.client.HTTPConnection:
        if "unix" in self._target:
            return _UnixConnection(self._target["unix"], self.connect_timeout, timeout)
        host, port = self._target["tcp"]
        return _TCPConnection(host, port, self.connect_timeout, timeout)

    def _call(self, method: str, path: str, body: Optional[str] = None,
              timeout: Optional[float] = None) -> "tuple[int, Dict[str, Any]]":
        timeout = self.timeout if timeout is None else timeout
        for attempt in (1, 2):
            if self.private is not None:
                self.private.ensure()
            conn = self._conn(timeout)
            try:
                try:
                    conn.connect()
                except (FileNotFoundError, ConnectionRefusedError) as e:
                    # Nothing was sent: safe to start a private server again and retry.
                    if self.private is not None and attempt == 1:
                        continue
                    raise ServerError(f"lava-actions serve at {self.address}: not running ({e})") from None
                except socket.timeout:
                    raise ServerTimeout(f"lava-actions serve at {self.address}: no connection within "
                                        f"{self.connect_timeout:g}s") from None
                except OSError as e:
                    raise ServerError(f"lava-actions serve at {self.address}: {e}") from None
                try:
                    headers = {"Content-Type": "application/json"} if body is not None else {}
                    conn.request(method, path, body=body.encode("utf-8") if body is not None else None,
                                 headers=headers)
                    resp = conn.getresponse()
                    raw = resp.read(MAX_RESPONSE_BYTES + 1)
                except socket.timeout:
                    raise ServerTimeout(f"lava-actions serve at {self.address}: no answer to {path} "
                                        f"within {timeout:g}s (actions may have run)") from None
                except (http.client.HTTPException, OSError) as e:
                    raise ServerError(f"lava-actions serve at {self.address}: connection lost during "
                                      f"{path} (actions may have run): {e or type(e).__name__}") from None
            finally:
                conn.close()
            if len(raw) > MAX_RESPONSE_BYTES:
                raise ServerError(f"lava-actions serve at {self.address}: {path}: answer over "
                                  f"{MAX_RESPONSE_BYTES} bytes")
            try:
                data = json.loads(raw) if raw else {}
            except ValueError:
                raise ServerError(f"lava-actions serve at {self.address}: {path}: HTTP {resp.status}: "
                                  f"not JSON: {raw[:200]!r}") from None
            return resp.status, data if isinstance(data, dict) else {"value": data}
        raise ServerError(f"lava-actions serve at {self.address}: not running")  # unreachable

    @staticmethod
    def _body(trigger: Optional[str], job: Mapping[str, Any], realm: Optional[Mapping[str, Any]],
              result: Optional[Mapping[str, Any]]) -> str:
        parts = []
        if trigger is not None:
            parts.append(f'"trigger": {json.dumps(trigger)}')
        parts.append(f'"job": {dumps(job)}')
        parts.append(f'"realm": {dumps(realm if realm is not None else {})}')
        parts.append(f'"result": {dumps(result if result is not None else {})}')
        return "{" + ", ".join(parts) + "}"

    def _run(self, path: str, action_key: str, job: Mapping[str, Any],
             realm: Optional[Mapping[str, Any]], result: Optional[Mapping[str, Any]]) -> Dict[str, Any]:
        if action_key not in ACTION_KEYS:
            raise ValueError(f"action_key must be one of {', '.join(ACTION_KEYS)}, not {action_key!r}")
        status, data = self._call("POST", path, self._body(action_key, job, realm, result))
        return self._report(path, status, data)

    def _report(self, path: str, status: int, data: Dict[str, Any]) -> Dict[str, Any]:
        if status == 200:
            if data.get("error"):
                raise ActionError(data["error"], data)
            return data
        if status == 422:
            raise ActionError(data.get("error") or "invalid action list", data, invalid=True)
        msg = data.get("error") or f"HTTP {status}"
        if status in (400, 413):
            raise RequestError(msg)
        raise ServerError(f"lava-actions serve at {self.address}: {path}: {msg} (HTTP {status})")

    def do_actions(self, action_key: str, job_spec: Mapping[str, Any], realm_info: Mapping[str, Any],
                   job_result: Optional[Mapping[str, Any]] = None, aws_session: Any = None) -> Dict[str, Any]:
        """Run the job's (else the realm's) ``action_key`` list, as lava's worker does.

        Returns the report; raises ActionError (``<key> action: <type>: <message>``) when
        an action fails or the list is invalid. ``aws_session`` is accepted for
        compatibility and not used: credentials never travel over the socket; the plugins
        use the server's own AWS configuration."""
        del aws_session
        return self._run("/v1/run", action_key, job_spec, realm_info, job_result)

    def render(self, action_key: str, job_spec: Mapping[str, Any], realm_info: Mapping[str, Any],
               job_result: Optional[Mapping[str, Any]] = None) -> Dict[str, Any]:
        """A dry run: validate and render the list and report what each action would send,
        sending nothing."""
        return self._run("/v1/render", action_key, job_spec, realm_info, job_result)

    def validate(self, job_spec: Mapping[str, Any],
                 realm_info: Optional[Mapping[str, Any]] = None) -> List[Dict[str, Any]]:
        """Check every on_* list of the job (else the realm) without running anything.

        Returns one ``{"key": ..., "error": ...}`` per list present; raises ActionError
        naming the first invalid list."""
        status, data = self._call("POST", "/v1/validate", self._body(None, job_spec, realm_info, None))
        lists = data.get("lists") or []
        if status == 422:
            bad = next((x for x in lists if x.get("error")), {})
            raise ActionError(bad.get("error", "invalid action list"), data, invalid=True)
        if status != 200:
            self._report("/v1/validate", status, data)
        return list(lists)

    def health(self) -> bool:
        """Whether the server answers and is not draining."""
        try:
            status, _ = self._call("GET", "/healthz", timeout=min(self.timeout, 5.0))
        except ServerError:
            return False
        return status == 200


_default: Optional[Client] = None
_default_lock = threading.Lock()


def default_client() -> Client:
    """The client the module-level functions use: ``LAVA_ACTIONS_SERVE`` names a running
    server's address; unset, a private server is started from ``LAVA_ACTIONS_BIN``
    (default ``lava-actions`` on PATH) with the plugin directories of
    ``LAVA_ACTIONS_PLUGIN_DIR`` (``os.pathsep``-separated; default: the CLI's own)."""
    global _default
    with _default_lock:
        if _default is None:
            addr = os.environ.get("LAVA_ACTIONS_SERVE") or None
            args: List[str] = []
            for d in filter(None, os.environ.get("LAVA_ACTIONS_PLUGIN_DIR", "").split(os.pathsep)):
                args += ["--plugin-dir", d]
            _default = Client(addr, binary=os.environ.get("LAVA_ACTIONS_BIN", "lava-actions"),
                              serve_args=args)
        return _default


def set_default_client(client: Optional[Client]) -> None:
    """Replace the client the module-level functions use (None: back to the default)."""
    global _default
    with _default_lock:
        _default = client
