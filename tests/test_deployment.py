"""The deployment files: docker-compose.yml and the Dockerfile, checked as far as possible without Docker."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import yaml

from epcis_repo.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return loaded


def test_compose_runs_mongodb_as_a_single_node_replica_set_with_a_healthcheck() -> None:
    mongodb = compose()["services"]["mongodb"]
    assert re.fullmatch(r"mongo:\d+\.\d+", mongodb["image"]), "pin a MongoDB release, not latest"
    assert "--replSet" in mongodb["command"]
    replica_set = mongodb["command"][mongodb["command"].index("--replSet") + 1]
    check = " ".join(mongodb["healthcheck"]["test"])
    assert "rs.initiate" in check and f'_id: "{replica_set}"' in check and "isWritablePrimary" in check
    assert mongodb["healthcheck"]["test"][0] == "CMD"
    assert any(volume.endswith(":/data/db") for volume in mongodb["volumes"])


def test_compose_builds_the_app_and_wires_it_to_mongodb() -> None:
    services = compose()["services"]
    app = services["epcis-repo"]
    assert app["build"] == "."
    uri = app["environment"]["EPCIS_MONGODB_URI"]
    assert uri.startswith("mongodb://mongodb:27017/")
    replica_set = services["mongodb"]["command"][services["mongodb"]["command"].index("--replSet") + 1]
    assert f"replicaSet={replica_set}" in uri
    assert app["depends_on"]["mongodb"]["condition"] == "service_healthy"
    assert "8000:8000" in app["ports"]
    # Every variable given to the app is a setting it reads.
    known = {f"EPCIS_{name.upper()}" for name in Settings.model_fields}
    assert set(app["environment"]) <= known


def _dockerfile() -> list[tuple[str, str]]:
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line.strip() else "")
        for line in text.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]


def test_dockerfile_installs_the_package_and_serves_on_all_interfaces() -> None:
    instructions = _dockerfile()
    (base,) = [arg for op, arg in instructions if op == "FROM"]
    version = re.fullmatch(r"python:(\d+)\.(\d+)-slim", base)
    assert version and (int(version[1]), int(version[2])) >= (3, 11)
    copied = " ".join(arg for op, arg in instructions if op == "COPY")
    for needed in ("pyproject.toml", "constraints.txt", "README.md", "schemas", "src"):
        assert needed in copied
    (command,) = [arg for op, arg in instructions if op == "CMD"]
    args = yaml.safe_load(command)
    assert args[:2] == ["epcis-repo", "serve"] and args[args.index("--host") + 1] == "0.0.0.0"
    assert any(op == "USER" for op, _ in instructions), "do not run as root"
    (check,) = [arg for op, arg in instructions if op == "HEALTHCHECK"]
    assert "OPTIONS" in check and "/capture" in check
    # Every file the image copies exists.
    for op, arg in instructions:
        if op == "COPY":
            for source in shlex.split(arg)[:-1]:
                assert (ROOT / source).exists(), source
