"""Kill the server with SIGKILL in the middle of a large capture, restart it, and check what survived.

Every run, on one data folder that keeps growing:

1. start ``epcis-repo serve`` and check that every event of earlier runs is still there;
2. capture a small document and wait for it (these are the "earlier" events of the next runs);
3. send a large document (20,000 events by default) to POST /capture, and once it is accepted,
   kill the server with SIGKILL after a delay that sweeps across the capture's duration;
4. start the server again and check that the large capture is either fully present, with its job
   saying it succeeded, or fully absent, with its job saying it failed — never in between.

Usage: python scripts/crash_check.py [--runs 10] [--events 20000] [--data-dir DIR]
Exits non-zero at the first violation. Needs a POSIX system (SIGKILL).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from scripts.admin_key import admin_key

CONTEXT = ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"]


def document(run: int, kind: str, events: int) -> bytes:
    """Events whose serial numbers name the run and the kind, so each capture can be counted alone."""
    return json.dumps(
        {
            "@context": CONTEXT,
            "type": "EPCISDocument",
            "schemaVersion": "2.0",
            "creationDate": "2026-12-01T00:00:00Z",
            "epcisBody": {
                "eventList": [
                    {
                        "type": "ObjectEvent",
                        "action": "OBSERVE",
                        "bizStep": "shipping",
                        "eventTime": f"2026-12-01T08:00:00.{n:06d}Z",
                        "eventTimeZoneOffset": "+07:00",
                        "epcList": [f"urn:epc:id:sgtin:8934567.{run + 100000:06d}.{kind}{n}"],
                        "readPoint": {"id": "urn:epc:id:sgln:8934567.00001.0"},
                    }
                    for n in range(events)
                ]
            },
        }
    ).encode()


def _lower(headers: Any) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


class Server:
    def __init__(self, data_dir: Path, env: dict[str, str], key: str) -> None:
        self.key = key
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "epcis_repo",
                "serve",
                "--port",
                str(self.port),
                "--data-dir",
                str(data_dir),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("the server exited while starting")
            try:
                self.request("OPTIONS", "/capture")
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("the server did not start")

    def request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, dict[str, str], Any]:
        request = urllib.request.Request(self.base + path, data=body, method=method)
        request.add_header("Authorization", f"Bearer {self.key}")
        if body is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=120) as response:
                raw = response.read()
                return response.status, _lower(response.headers), json.loads(raw) if raw else None
        except urllib.error.HTTPError as error:
            return error.code, _lower(error.headers), json.loads(error.read() or b"null")

    def capture(self, body: bytes) -> str:
        status, headers, _ = self.request("POST", "/capture", body)
        if status != 202:
            raise RuntimeError(f"capture answered {status}")
        return urllib.parse.urlparse(headers["location"]).path

    def job(self, location: str) -> dict[str, Any]:
        _, _, job = self.request("GET", location)
        assert isinstance(job, dict)
        return job

    def wait(self, location: str) -> dict[str, Any]:
        while (job := self.job(location))["running"]:
            time.sleep(0.05)
        return job

    def count(self, **params: str) -> int:
        total, query = 0, urllib.parse.urlencode({"perPage": "1000", **params})
        path = f"/events?{query}"
        while True:
            _, headers, body = self.request("GET", path)
            total += len(body["epcisBody"]["queryResults"]["resultsBody"]["eventList"])
            link = headers.get("link")
            if not link:
                return total
            target = urllib.parse.urlparse(link.split(";")[0].strip("<>"))
            path = f"{target.path}?{target.query}"

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=60)


def run_check(runs: int, events: int, data_dir: Path, env: dict[str, str]) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = []
    key = admin_key(data_dir, env)
    earlier = 0  # events every later run must find intact
    duration = None
    for run in range(runs):
        server = Server(data_dir, env, key)
        try:
            if server.count() != earlier:
                raise AssertionError(f"run {run}: {server.count()} events found, {earlier} expected")
            small = server.wait(server.capture(document(run, "S", 50)))
            if not small["success"]:
                raise AssertionError(f"run {run}: the small capture failed: {small}")
            earlier += 50
            big = document(run, "L", events)
            started = time.monotonic()
            location = server.capture(big)
            if duration is None:
                # The first run measures how long the large capture takes and is killed after it
                # finished; the others sweep the kill across that duration.
                server.wait(location)
                duration = time.monotonic() - started
                delay = duration
            else:
                delay = duration * (run - 0.5) / (runs - 1) * 1.2
            time.sleep(max(0.0, delay - (time.monotonic() - started)))
            server.kill()
        finally:
            if server.process.poll() is None:
                server.kill()
        server = Server(data_dir, env, key)
        try:
            job = server.job(location)
            present = server.count(MATCH_epc=f"urn:epc:idpat:sgtin:8934567.{run + 100000:06d}.*") - 50
            total = server.count()
            if job["running"]:
                raise AssertionError(f"run {run}: the job still says running after the restart")
            if job["success"] and present != events:
                raise AssertionError(f"run {run}: job succeeded but {present} of {events} events are present")
            if not job["success"] and present != 0:
                raise AssertionError(f"run {run}: job failed but {present} of {events} events are present")
            if total != earlier + present:
                raise AssertionError(f"run {run}: {total} events in all, {earlier + present} expected")
            earlier = total
            results.append(
                {
                    "run": run + 1,
                    "kill_after_s": round(delay, 2),
                    "capture": "present" if present else "absent",
                    "job_success": job["success"],
                    "events_in_store": total,
                }  # fmt: skip
            )
        finally:
            server.stop()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--data-dir", type=Path, help="keep the data here (default: a temporary folder)")
    args = parser.parse_args()
    env = {key: value for key, value in os.environ.items() if key != "EPCIS_MONGODB_URI"}
    with tempfile.TemporaryDirectory() as scratch:
        results = run_check(args.runs, args.events, args.data_dir or Path(scratch), env)
    for row in results:
        print(json.dumps(row))
    outcomes = {row["capture"] for row in results}
    print(f"{len(results)} runs, no partial capture; outcomes seen: {', '.join(sorted(outcomes))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
