#!/usr/bin/env python3
"""Run a lava job's actions through `lava-actions serve`, standard library only.

Usage: client.py SOCKET_PATH
"""
import http.client
import json
import socket
import sys


class UnixHTTPConnection(http.client.HTTPConnection):
    """HTTP over a unix socket."""

    def __init__(self, path, timeout=90):
        super().__init__("lava-actions", timeout=timeout)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(self.path)


def run_actions(sock_path, trigger, job, realm, result=None):
    """POST /v1/run and return (HTTP status, report dict)."""
    conn = UnixHTTPConnection(sock_path)
    body = json.dumps({"trigger": trigger, "job": job, "realm": realm, "result": result or {}})
    conn.request("POST", "/v1/run", body, {"Content-Type": "application/json"})
    resp = conn.getresponse()
    report = json.loads(resp.read())
    conn.close()
    return resp.status, report


if __name__ == "__main__":
    job = {
        "job_id": "demo/job1",
        "run_id": "run-0001",
        "realm": "dev",
        "on_success": [{"action": "log", "message": "Job {{ job.job_id }} finished"}],
    }
    status, report = run_actions(sys.argv[1], "on_success", job, {"realm": "dev"}, {"exit_status": 0})
    if status != 200 or report.get("error"):
        print("failed:", status, report.get("error"), file=sys.stderr)
        sys.exit(1)
    for action in report["actions"]:
        print(f'{action["type"]} {action["status"]}: {action.get("summary", "")}')
