"""The client against a real lava-actions serve: reports, lava's error texts, dry runs,
validation, and clear errors (never a hang) when the server is missing, stuck or gone."""
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from lava_actions import (ActionError, Client, RequestError, ServerError, ServerTimeout,
                          set_default_client)
import lava_actions

JOB = {"job_id": "demo/job1", "run_id": "run-0001", "realm": "dev"}


def job(**lists):
    return {**JOB, **lists}


def test_run_ok_and_report(serve):
    c = Client(serve)
    rep = c.do_actions("on_success", job(on_success=[{"action": "log", "message": "hi {{ job.job_id }}"}]),
                       {"realm": "dev"})
    assert rep["source"] == "job"
    assert [(a["type"], a["status"]) for a in rep["actions"]] == [("log", "ok")]


def test_realm_list_when_job_has_none(serve):
    rep = Client(serve).do_actions("on_fail", JOB, {"realm": "dev", "on_fail": [{"action": "log", "message": "x"}]},
                                   {"error": "boom"})
    assert rep["source"] == "realm"


def test_action_failure_text_is_lavas(serve, aws):
    c = Client(serve)
    with pytest.raises(ActionError) as e:
        c.do_actions("on_fail", job(on_fail=[{"action": "log", "message": "first"},
                                             {"action": "sqs", "queue": "no-such-queue-x", "message": "m"}]),
                     {"realm": "dev"}, {"error": "boom"})
    assert str(e.value).startswith("on_fail action: sqs: ")
    assert not e.value.invalid
    assert [a["status"] for a in e.value.report["actions"]] == ["ok", "failed"]


@pytest.mark.parametrize("lists, want", [
    ({"on_success": [{"action": "log"}]}, "on_success action: log: Missing keys: message"),
    ({"on_success": [{"action": "nope"}]}, "on_success action: nope: unknown action"),
    ({"on_success": {"action": "log"}}, "on_success: action must be a list"),
    ({"on_success": [{"action": "log", "message": "ok"}, {"action": "log", "message": "{{ x"}]},
     "on_success action: log: "),
])
def test_invalid_list_runs_nothing(serve, lists, want):
    with pytest.raises(ActionError) as e:
        Client(serve).do_actions("on_success", job(**lists), {})
    assert str(e.value).startswith(want)
    assert e.value.invalid
    assert all(a["status"] != "ok" for a in e.value.report.get("actions", []))


def test_render_is_a_dry_run(serve, aws):
    q = aws.create_queue("py-dry")
    rep = Client(serve).render("on_success", job(on_success=[{"action": "sqs", "queue": q,
                                                              "message": "{{ job.run_id }}"}]), {})
    assert rep["dry_run"] is True
    assert rep["actions"][0]["status"] == "dry-run"
    assert "run-0001" in str(rep["actions"][0]["effects"])
    assert aws.receive(q, 1) == []


def test_validate(serve):
    c = Client(serve)
    lists = c.validate(job(on_success=[{"action": "log", "message": "x"}], on_fail=[]))
    assert lists == [{"key": "on_success"}, {"key": "on_fail"}]
    with pytest.raises(ActionError, match="^on_fail action: log: Missing keys: message$"):
        c.validate(job(on_fail=[{"action": "log"}]))


def test_bad_requests(serve):
    c = Client(serve)
    with pytest.raises(ValueError, match="action_key must be one of"):
        c.do_actions("on_finish", JOB, {})
    with pytest.raises(RequestError, match="job"):
        c.do_actions("on_success", {**JOB, "ts_start": "not a time"}, {})


def test_module_functions_use_default_client(serve):
    set_default_client(Client(serve))
    try:
        rep = lava_actions.do_actions("on_success", job(on_success=[{"action": "log", "message": "m"}]), {}, None, None)
        assert rep["actions"][0]["status"] == "ok"
        assert lava_actions.render("on_success", job(on_success=[]), {})["actions"] == []
        assert lava_actions.validate(job(on_retry=[]))[0]["key"] == "on_retry"
    finally:
        set_default_client(None)


def test_missing_server_is_a_clear_error(tmp_path):
    c = Client(str(tmp_path / "none.sock"), timeout=2)
    start = time.monotonic()
    with pytest.raises(ServerError, match="not running"):
        c.do_actions("on_success", JOB, {})
    assert time.monotonic() - start < 2
    assert c.health() is False
    with pytest.raises(ServerError, match="not running"):
        Client("tcp:127.0.0.1:1", timeout=2).do_actions("on_success", JOB, {})


def test_stuck_server_times_out(tmp_path):
    path = str(tmp_path / "stuck.sock")
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(1)  # accepts connections, never answers
    try:
        start = time.monotonic()
        with pytest.raises(ServerTimeout, match="no answer to /v1/run within 0.5s"):
            Client(path, timeout=0.5).do_actions("on_success", JOB, {})
        assert time.monotonic() - start < 3
    finally:
        srv.close()


def test_server_gone_mid_request(tmp_path):
    path = str(tmp_path / "drop.sock")
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(1)

    def drop():
        conn, _ = srv.accept()
        conn.recv(65536)
        conn.close()  # dies without answering
    t = threading.Thread(target=drop)
    t.start()
    try:
        with pytest.raises(ServerError, match="connection lost during /v1/run"):
            Client(path, timeout=5).do_actions("on_success", JOB, {})
    finally:
        t.join()
        srv.close()


def private_client(bins, aws):
    from conftest import serve_env
    return Client(binary=bins["cli"], serve_args=["--plugin-dir", bins["plugins"]],
                  serve_env=serve_env(aws), timeout=30)


def test_private_serve_starts_and_restarts(bins, aws):
    c = private_client(bins, aws)
    try:
        assert c.private is not None and c.private.proc is None  # nothing until first use
        body = job(on_success=[{"action": "log", "message": "m"}])
        assert c.do_actions("on_success", body, {})["actions"][0]["status"] == "ok"
        first = c.private.proc.pid
        os.kill(first, signal.SIGKILL)
        c.private.proc.wait()
        assert c.do_actions("on_success", body, {})["actions"][0]["status"] == "ok"
        assert c.private.proc.pid != first and c.private.starts == 2
    finally:
        c.close()
    assert c.private.proc is None


def test_private_serve_stops_at_exit(bins, aws, tmp_path):
    from conftest import serve_env
    script = tmp_path / "worker.py"
    script.write_text(textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {os.path.dirname(os.path.dirname(os.path.abspath(__file__)))!r})
        from lava_actions import Client
        c = Client(binary={bins["cli"]!r}, serve_args=["--plugin-dir", {bins["plugins"]!r}])
        c.do_actions("on_success", {{"job_id": "j", "on_success": [{{"action": "log", "message": "m"}}]}}, {{}})
        print(c.private.proc.pid, flush=True)
    """))
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60,
                         env=serve_env(aws))
    assert out.returncode == 0, out.stderr
    pid = int(out.stdout.split()[-1])
    deadline = time.monotonic() + 10
    while True:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        assert time.monotonic() < deadline, "private serve outlived its worker"
        time.sleep(0.05)


def test_private_serve_that_cannot_start(tmp_path):
    bad = tmp_path / "lava-actions"
    bad.write_text("#!/bin/sh\necho 'cannot start: no plugins' >&2\nexit 3\n")
    bad.chmod(0o755)
    c = Client(binary=str(bad), start_timeout=5)
    try:
        with pytest.raises(ServerError, match="exited with status 3: cannot start: no plugins"):
            c.do_actions("on_success", JOB, {})
    finally:
        c.close()


def test_loopback_tcp(bins, aws):
    from conftest import serve_env
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    p = subprocess.Popen([bins["cli"], "--plugin-dir", bins["plugins"], "serve", "--listen", f"tcp:127.0.0.1:{port}"],
                         env=serve_env(aws), stdin=subprocess.DEVNULL)
    try:
        c = Client(f"tcp:127.0.0.1:{port}", timeout=30)
        deadline = time.monotonic() + 20
        while not c.health():
            assert p.poll() is None and time.monotonic() < deadline, "serve did not start"
            time.sleep(0.05)
        rep = c.do_actions("on_success", job(on_success=[{"action": "log", "message": "tcp"}]), {})
        assert rep["actions"][0]["status"] == "ok"
    finally:
        p.terminate()
        p.wait(timeout=15)
    with pytest.raises(ServerError, match="not running"):
        c.do_actions("on_success", JOB, {})
