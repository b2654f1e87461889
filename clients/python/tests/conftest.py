"""Fixtures: a real lava-actions CLI and plugins (built with go, or taken from
LAVA_ACTIONS_TEST_BIN), a local AWS endpoint (kumo through the localaws helper) and a real
``lava-actions serve`` pointed at it."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
import uuid
from typing import Any, Dict, Iterator, List

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
try:
    import lava_actions  # noqa: F401 - the installed package (make test-python)
except ImportError:
    sys.path.insert(0, os.path.abspath(os.path.join(HERE, "..")))

PLUGINS = ["log", "sqs"]


def _go_build(out: str, pkg: str) -> None:
    subprocess.run(["go", "build", "-o", out, pkg], cwd=REPO, check=True)


@pytest.fixture(scope="session")
def bins(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, str]:
    """Paths of the CLI, the plugin directory and the localaws helper."""
    given = os.environ.get("LAVA_ACTIONS_TEST_BIN")
    d = str(tmp_path_factory.mktemp("bin"))
    plugins = os.path.join(d, "plugins")
    os.makedirs(plugins)
    if given:
        cli = os.path.join(given, "lava-actions")
        for p in PLUGINS:
            shutil.copy(os.path.join(given, "plugins", f"lava-action-{p}"), plugins)
    else:
        cli = os.path.join(d, "lava-actions")
        _go_build(cli, "./cmd/lava-actions")
        for p in PLUGINS:
            _go_build(os.path.join(plugins, f"lava-action-{p}"), f"./plugins/{p}")
    localaws = os.path.join(d, "localaws")
    _go_build(localaws, "./clients/python/tests/localaws")
    return {"cli": cli, "plugins": plugins, "localaws": localaws}


class LocalAWS:
    """The local endpoint and a minimal SQS client for reading back (AWS JSON 1.0)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.env = {"AWS_ENDPOINT_URL": url, "AWS_REGION": "us-east-1",
                    "AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                    "AWS_EC2_METADATA_DISABLED": "true", "LAVA_AWS_MAX_ATTEMPTS": "1"}

    def sqs(self, op: str, body: Dict[str, Any]) -> Dict[str, Any]:
        req = urllib.request.Request(self.url + "/", data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/x-amz-json-1.0",
                                              "X-Amz-Target": f"AmazonSQS.{op}"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.loads(resp.read() or b"{}")

    def create_queue(self, prefix: str) -> str:
        name = f"{prefix}-{uuid.uuid4().hex[:8]}"
        self.sqs("CreateQueue", {"QueueName": name})
        return name

    def receive(self, name: str, want: int) -> List[str]:
        url = self.sqs("GetQueueUrl", {"QueueName": name})["QueueUrl"]
        out: List[str] = []
        deadline = time.monotonic() + 10
        while len(out) < want and time.monotonic() < deadline:
            got = self.sqs("ReceiveMessage", {"QueueUrl": url, "MaxNumberOfMessages": 10})
            for m in got.get("Messages") or []:
                out.append(m["Body"])
                self.sqs("DeleteMessage", {"QueueUrl": url, "ReceiptHandle": m["ReceiptHandle"]})
        return out


@pytest.fixture(scope="session")
def aws(bins: Dict[str, str]) -> Iterator[LocalAWS]:
    p = subprocess.Popen([bins["localaws"]], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert p.stdout is not None
    url = p.stdout.readline().decode().strip()
    assert url.startswith("http://127.0.0.1:"), url
    yield LocalAWS(url)
    assert p.stdin is not None
    p.stdin.close()
    p.wait(timeout=10)


def serve_env(aws: LocalAWS) -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(aws.env)
    return env


@pytest.fixture(scope="session")
def serve(bins: Dict[str, str], aws: LocalAWS, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The unix socket of a running lava-actions serve."""
    sock = str(tmp_path_factory.mktemp("serve") / "serve.sock")
    p = subprocess.Popen([bins["cli"], "--plugin-dir", bins["plugins"], "serve", "--listen", sock],
                         env=serve_env(aws), stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while not os.path.exists(sock):
        assert p.poll() is None, "serve exited"
        assert time.monotonic() < deadline, "serve did not start"
        time.sleep(0.02)
    yield sock
    p.terminate()
    p.wait(timeout=15)


@pytest.fixture()
def cli(bins: Dict[str, str], aws: LocalAWS):
    """Run the CLI with the test plugins and the local endpoint."""
    def run(*args: str, stdin: str = "") -> "subprocess.CompletedProcess[str]":
        return subprocess.run([bins["cli"], "--plugin-dir", bins["plugins"], *args], input=stdin,
                              capture_output=True, text=True, env=serve_env(aws), timeout=60)
    return run


