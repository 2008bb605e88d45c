"""The crash check (scripts/crash_check.py) in small: a server killed mid-capture loses all of it or none."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from scripts.crash_check import run_check


@pytest.mark.skipif(os.name != "posix", reason="needs SIGKILL")
def test_a_killed_capture_is_whole_or_absent_and_earlier_events_survive(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if key != "EPCIS_MONGODB_URI"}
    results = run_check(runs=3, events=3000, data_dir=tmp_path, env=env)
    assert [row["run"] for row in results] == [1, 2, 3]
    assert results[0]["capture"] == "present"  # the calibration run is killed after it finished
    assert all(row["job_success"] == (row["capture"] == "present") for row in results)
