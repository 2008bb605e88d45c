"""The README's promises: its two Quickstart commands, the configuration table, and CI's command."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from epcis_repo.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def section(title: str) -> str:
    match = re.search(rf"^## {title}\n(.*?)(?=^## )", README, re.S | re.M)
    assert match, f"README has no '{title}' section"
    return match.group(1)


def commands(text: str) -> list[str]:
    return [
        line for block in re.findall(r"```sh\n(.*?)```", text, re.S) for line in block.strip().splitlines()
    ]


def test_quickstart_has_exactly_two_commands_serve_and_test() -> None:
    assert commands(section("Quickstart")) == ["python3 run.py serve", "python3 run.py test"]


def test_ci_runs_the_readme_test_command() -> None:
    script = (ROOT / ".ci" / "run").read_text()
    assert "python3 run.py test" in script
    assert os.access(ROOT / ".ci" / "run", os.X_OK)


def test_the_configuration_table_lists_every_setting_with_its_default() -> None:
    rows = dict(re.findall(r"^\| `(EPCIS_[A-Z_]+)` \| (.*?) \|", section("Configuration"), re.M))
    expected = {}
    for name, field in Settings.model_fields.items():
        default = field.default
        expected[f"EPCIS_{name.upper()}"] = "(none)" if default is None else f"`{default}`"
    assert rows == expected


def test_run_py_without_a_command_explains_itself() -> None:
    done = subprocess.run([sys.executable, str(ROOT / "run.py")], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "python3 run.py serve" in done.stderr and "python3 run.py test" in done.stderr


def test_run_py_passes_the_access_commands_on(tmp_path: Path) -> None:
    """`python3 run.py keys ...`, as the README's Access section says, from a clone."""
    made = subprocess.run(
        [sys.executable, str(ROOT / "run.py"), "keys", "create", "--data-dir", str(tmp_path), "--org", "x"]
        + ["--role", "query"],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "EPCIS_MONGODB_URI": ""},
    )
    assert made.returncode == 0, made.stderr
    key_id = made.stdout.split()[-1].split("_")[1]
    listed = subprocess.run(
        [sys.executable, str(ROOT / "run.py"), "keys", "list", "--data-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "EPCIS_MONGODB_URI": ""},
    )
    assert key_id in listed.stdout


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until_up(port: int, server: subprocess.Popen[str], timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError(f"the server stopped: {server.communicate()[0]}")
        try:
            request = urllib.request.Request(f"http://127.0.0.1:{port}/capture", method="OPTIONS")
            with urllib.request.urlopen(request, timeout=2) as response:
                if response.status == 204:
                    return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("the server did not come up")


def shell(script: str, cwd: Path, key: str) -> str:
    environment = {**os.environ, "EPCIS_KEY": key}
    done = subprocess.run(
        ["bash", "-c", script], cwd=cwd, capture_output=True, text=True, timeout=60, env=environment
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.skipif(
    shutil.which("curl") is None or shutil.which("bash") is None, reason="needs curl and bash"
)
def test_the_serve_command_and_the_curl_examples_work(tmp_path: Path) -> None:
    port = free_port()
    command = commands(section("Quickstart"))[0].split()  # python3 run.py serve
    server = subprocess.Popen(
        [sys.executable, *command[1:], "--port", str(port), "--data-dir", str(tmp_path / "data")],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "EPCIS_MONGODB_URI": ""},
    )
    started: list[str] = []
    try:
        assert server.stdout is not None
        # The first start prints an administrator key, the last word of its line.
        for line in server.stdout:
            started.append(line)
            if "no API key existed" in line:
                break
        key = started[-1].split()[-1]
        wait_until_up(port, server)
        blocks = [
            b.replace("127.0.0.1:8000", f"127.0.0.1:{port}")
            for b in re.findall(r"```sh\n(.*?)```", section("Using it"), re.S)
        ]
        export_key, capture, job, single, queries = blocks
        assert export_key.startswith("export EPCIS_KEY=")
        unauthorised = shell(capture.replace('-H "Authorization: Bearer $EPCIS_KEY" ', ""), tmp_path, key)
        assert unauthorised.startswith("HTTP/1.1 401")
        answer = shell(capture, tmp_path, key)
        assert answer.startswith("HTTP/1.1 202")
        location = re.search(r"^location: (\S+)", answer, re.M | re.I)
        assert location is not None
        capture_id = location.group(1).rsplit("/", 1)[1]
        for _ in range(100):
            state = json.loads(shell(job.replace("<captureID>", capture_id), tmp_path, key))
            if not state["running"]:
                break
            time.sleep(0.1)
        assert state["success"], state
        event = {
            "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
            "type": "ObjectEvent",
            "eventID": "urn:uuid:6d3b05b0-2a8f-4c3d-9a39-b5b7f8f1ad41",
            "eventTime": "2026-12-02T09:00:00+07:00",
            "eventTimeZoneOffset": "+07:00",
            "action": "OBSERVE",
            "bizStep": "receiving",
            "epcList": ["urn:epc:id:sgtin:8934567.012345.1001"],
        }
        (tmp_path / "event.json").write_text(json.dumps(event))
        assert shell(single, tmp_path, key).startswith("HTTP/1.1 201")
        by_epc, by_step, by_id = (json.loads(shell(q, tmp_path, key)) for q in queries.strip().splitlines())
        assert [e["bizStep"] for e in by_epc["epcisBody"]["queryResults"]["resultsBody"]["eventList"]] == [
            "shipping",
            "receiving",
        ]
        assert len(by_step["epcisBody"]["queryResults"]["resultsBody"]["eventList"]) == 2
        assert (
            by_id["epcisBody"]["queryResults"]["resultsBody"]["eventList"][0]["eventID"] == event["eventID"]
        )
    finally:
        server.terminate()
        output = "".join(started) + server.communicate(timeout=30)[0]
    # A clean shutdown: uvicorn exits 0, or re-raises the SIGTERM it handled.
    assert server.returncode in (0, -15) and "Application shutdown complete" in output, output
    assert f"with SQLite at {(tmp_path / 'data' / 'epcis.sqlite3').resolve()}" in output


def test_the_access_commands_work(tmp_path: Path) -> None:
    """Each command of the Access section, on a fresh data folder (`<key id>`: the key just made)."""
    from typer.testing import CliRunner

    from epcis_repo.cli import app

    lines = re.findall(r"```\n(.*?)```", section("Access"), re.S)[0].strip().splitlines()
    key_id = ""
    for line in lines:
        words = shlex.split(line.replace("<key id>", key_id or "none"))
        assert words[0] == "epcis-repo", line
        result = CliRunner().invoke(
            app, [*words[1:], "--data-dir", str(tmp_path)], env={"EPCIS_MONGODB_URI": ""}
        )
        assert result.exit_code == 0, (line, result.output)
        if words[1:3] == ["keys", "create"]:
            key_id = result.output.split()[-1].split("_")[1]
    assert "revoked" in CliRunner().invoke(app, ["keys", "list", "--data-dir", str(tmp_path)]).output
