"""README.md's Python sections stay true: their code blocks are run as they are written."""
import json
import os
import re
import subprocess
import sys

import pytest

from conftest import REPO, serve_env


def block(section: str, lang: str) -> str:
    text = open(os.path.join(REPO, "README.md"), encoding="utf-8").read()
    start = text.index(f"## {section}\n")
    end = text.find("\n## ", start + 1)
    m = re.search(rf"```{lang}\n(.*?)```", text[start:end], re.S)
    assert m, f"no {lang} block in README section {section!r}"
    return m.group(1)


def test_readme_worker_example(serve, tmp_path):
    code = block("Using lava-actions from a Python worker", "python")
    assert '"/tmp/lava-actions.sock"' in code
    script = tmp_path / "worker.py"
    script.write_text(code.replace('"/tmp/lava-actions.sock"', repr(serve)))
    env = dict(os.environ, PYTHONPATH=os.path.join(REPO, "clients", "python"))
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout == "log ok\n"


def test_readme_plugin_example(bins, aws, tmp_path):
    code = block("Writing a plugin in Python", "python")
    steps = block("Writing a plugin in Python", "sh")
    assert 'sed "1s|.*|#!$PWD/.venv/bin/python|" hello.py > plugins/lava-action-hello' in steps
    # The interpreter must have the SDK without any environment (plugins get an allow-listed one).
    probe = subprocess.run([sys.executable, "-c", "import lava_actions_plugin"], env={}, capture_output=True)
    if probe.returncode != 0:
        msg = f"{sys.executable} has no lava_actions_plugin installed: run through make test-python"
        if os.environ.get("LAVA_REQUIRE_PYTHON"):
            pytest.fail(msg)
        pytest.skip(msg)
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    exe = plugins / "lava-action-hello"
    lines = code.splitlines(keepends=True)
    exe.write_text(f"#!{sys.executable}\n" + "".join(lines[1:]))
    exe.chmod(0o755)
    env = serve_env(aws)

    def run(*args, stdin=""):
        return subprocess.run([bins["cli"], "--plugin-dir", str(plugins), *args], input=stdin,
                              capture_output=True, text=True, env=env, timeout=60)

    out = run("plugins")
    assert out.returncode == 0, out.stderr
    assert "hello 1.0.0 (protocol 1)" in out.stdout
    job = json.dumps({"job_id": "demo/job1", "on_success": [{"action": "hello", "message": "Hi {{ job.job_id }}"}]})
    (tmp_path / "realm.json").write_text("{}")
    out = run("run", "--on", "success", "--job", "-", "--realm", str(tmp_path / "realm.json"),
              "--output", "json", stdin=job)
    assert out.returncode == 0, out.stderr
    rep = json.loads(out.stdout)
    assert rep["actions"][0]["summary"] == "Hi demo/job1"
    assert "Hi demo/job1" in out.stderr  # the log record, on the host's logger
    bad = json.dumps({"job_id": "j", "on_success": [{"action": "hello"}]})
    out = run("run", "--on", "success", "--job", "-", "--realm", str(tmp_path / "realm.json"), stdin=bad)
    assert out.returncode == 2
    assert "on_success action: hello: Missing keys: message" in out.stderr


def test_pip_installed_teams_console_script(bins, tmp_path):
    """pip's lava-action-teams console script, copied into a plugin directory, is a plugin."""
    script = os.path.join(os.path.dirname(sys.executable), "lava-action-teams")
    if not os.path.exists(script):
        msg = "lava-action-teams is not installed beside " + sys.executable + ": run through make test-python"
        if os.environ.get("LAVA_REQUIRE_PYTHON"):
            pytest.fail(msg)
        pytest.skip(msg)
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    dst = plugins / "lava-action-teams"
    dst.write_bytes(open(script, "rb").read())
    dst.chmod(0o755)
    out = subprocess.run([bins["cli"], "--plugin-dir", str(plugins), "plugins", "--output", "json"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert [p["type"] for p in json.loads(out.stdout)["plugins"]] == ["teams"]
