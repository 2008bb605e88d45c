"""The command line's access management: `epcis-repo keys|orgs|grants`, and `trace --url --key`."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from epcis_repo.auth.access import ACCESS_FILE, open_configured_access
from epcis_repo.auth.keys import digest, looks_like_a_key
from epcis_repo.auth.model import ApiKey, Grant, GrantScope, Organisation, Role
from epcis_repo.cli import app
from epcis_repo.epcis.timestamps import to_micros
from epcis_repo.settings import Settings

GLN = "https://id.gs1.org/414/0614141007776"
PGLN = "https://id.gs1.org/417/0614141007776"


@pytest.fixture
def data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.delenv("EPCIS_MONGODB_URI", raising=False)
    monkeypatch.delenv("EPCIS_DATA_DIR", raising=False)
    return tmp_path / "data"


def run(data_dir: Path, *args: str) -> Result:
    return CliRunner().invoke(app, [*args, "--data-dir", str(data_dir)])


def stored(data_dir: Path) -> tuple[list[ApiKey], list[Organisation], list[Grant]]:
    async def read() -> tuple[list[ApiKey], list[Organisation], list[Grant]]:
        async with open_configured_access(Settings(data_dir=data_dir)) as store:
            return await store.list_keys(), await store.list_organisations(), await store.list_grants()

    return asyncio.run(read())


def nothing_stored(data_dir: Path) -> bool:
    return not (data_dir / ACCESS_FILE).exists() or stored(data_dir) == ([], [], [])


# --- keys -----------------------------------------------------------------------------------------------


def test_keys_create_prints_the_key_once_and_stores_only_its_digest(data_dir: Path) -> None:
    result = run(data_dir, "keys", "create", "--org", "acme", "--role", "capture, query")
    assert result.exit_code == 0, result.output
    key = result.stdout.split()[-1]
    assert looks_like_a_key(key)
    assert "shown once" in result.stdout and "only its digest is stored" in result.stdout
    [record], _, _ = stored(data_dir)
    assert record.digest == digest(key)
    assert record.organisation == "acme"
    assert record.roles == frozenset({Role.CAPTURE, Role.QUERY})
    assert record.revoked_at is None
    assert record.key_id in result.stdout and key.startswith(f"epcis_{record.key_id}_")


@pytest.mark.parametrize(
    "args",
    [
        ["--org", "acme", "--role", "capture,reader"],
        ["--org", "acme", "--role", ","],
        ["--org", "", "--role", "query"],
        ["--org", "a" * 201, "--role", "query"],
        ["--org", "acme\n", "--role", "query"],
        ["--org", " acme", "--role", "query"],
    ],
)
def test_keys_create_refuses_bad_input_and_stores_nothing(data_dir: Path, args: list[str]) -> None:
    result = run(data_dir, "keys", "create", *args)
    assert result.exit_code == 2
    assert "epcis_" not in result.stdout
    assert nothing_stored(data_dir)


def test_a_bad_role_is_named_with_the_roles_there_are(data_dir: Path) -> None:
    result = run(data_dir, "keys", "create", "--org", "acme", "--role", "capture,reader")
    assert "'reader'" in result.output and "capture, query, admin" in result.output


def test_keys_list_shows_ids_organisations_and_roles_never_the_key(data_dir: Path) -> None:
    created = run(data_dir, "keys", "create", "--org", "acme", "--role", "admin")
    key = created.stdout.split()[-1]
    run(data_dir, "keys", "create", "--org", "Bob & Co", "--role", "query,capture")
    [first, second], _, _ = stored(data_dir)
    listed = run(data_dir, "keys", "list")
    assert listed.exit_code == 0, listed.output
    lines = listed.stdout.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"{first.key_id}  acme  admin  created ") and lines[0].endswith("active")
    assert lines[1].startswith(f"{second.key_id}  Bob & Co  capture,query  created ")
    assert key not in listed.stdout and first.digest not in listed.stdout
    assert key.split("_")[-1] not in listed.stdout


def test_keys_revoke_then_list_shows_it_revoked(data_dir: Path) -> None:
    run(data_dir, "keys", "create", "--org", "acme", "--role", "query")
    [record], _, _ = stored(data_dir)
    revoked = run(data_dir, "keys", "revoke", record.key_id)
    assert revoked.exit_code == 0, revoked.output
    assert record.key_id in revoked.stdout
    [after], _, _ = stored(data_dir)
    assert after.revoked_at is not None
    line = run(data_dir, "keys", "list").stdout.strip()
    assert line.startswith(record.key_id) and " revoked " in line and "active" not in line
    [shown] = json.loads(run(data_dir, "keys", "list", "--json").stdout)
    assert shown["revokedAt"] is not None
    again = run(data_dir, "keys", "revoke", record.key_id)
    assert again.exit_code == 1 and "already revoked" in again.output


def test_revoking_an_unknown_key_fails_with_1(data_dir: Path) -> None:
    result = run(data_dir, "keys", "revoke", "0123456789ab")
    assert result.exit_code == 1
    assert "no key '0123456789ab'" in result.output and result.stdout == ""


def test_keys_list_json(data_dir: Path) -> None:
    assert json.loads(run(data_dir, "keys", "list", "--json").stdout) == []
    key = run(data_dir, "keys", "create", "--org", "acme", "--role", "query,capture").stdout.split()[-1]
    [record], _, _ = stored(data_dir)
    listed = run(data_dir, "keys", "list", "--json")
    assert listed.exit_code == 0, listed.output
    [shown] = json.loads(listed.stdout)
    assert shown["keyId"] == record.key_id and shown["organisation"] == "acme"
    assert shown["roles"] == ["capture", "query"] and shown["revokedAt"] is None
    assert to_micros(shown["createdAt"]) == record.created_at
    assert key not in listed.stdout and record.digest not in listed.stdout


# --- organisations --------------------------------------------------------------------------------------


def test_orgs_set_stores_canonical_keys_whatever_the_notation(data_dir: Path) -> None:
    result = run(
        data_dir,
        "orgs", "set", "acme",
        "--identifier", "urn:epc:id:sgln:0614141.00777.0",
        "--identifier", "urn:epc:id:pgln:0614141.00777",
        "--identifier", "urn:epc:id:sgln:0614141.00777.dock1",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    by_urn = stored(data_dir)[1]
    assert by_urn == [Organisation("acme", (GLN, PGLN, f"{GLN}/254/dock1"))]
    result = run(
        data_dir,
        "orgs", "set", "acme",
        "--identifier", "https://id.gs1.org/414/0614141007776",
        "--identifier", "https://example.com/party/0614141007776",  # any resolver, short name
        "--identifier", "https://id.gs1.org/414/0614141007776/254/dock1",
        "--identifier", "urn:epc:id:sgln:0614141.00777.0",  # the same as the first: kept once
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert stored(data_dir)[1] == by_urn


def test_orgs_set_replaces_the_identifiers(data_dir: Path) -> None:
    run(data_dir, "orgs", "set", "acme", "--identifier", GLN)
    run(data_dir, "orgs", "set", "acme", "--identifier", PGLN)
    assert stored(data_dir)[1] == [Organisation("acme", (PGLN,))]


@pytest.mark.parametrize(
    "identifier",
    [
        "urn:epc:id:sgln:0614141.00777",  # two components
        "https://id.gs1.org/414/0614141007772",  # wrong check digit
        "urn:epc:id:sgtin:0614141.107346.2017",  # a trade item, not a party or location
        "acme-warehouse",
    ],
)
def test_orgs_set_refuses_an_identifier_that_does_not_parse(data_dir: Path, identifier: str) -> None:
    result = run(data_dir, "orgs", "set", "acme", "--identifier", GLN, "--identifier", identifier)
    assert result.exit_code == 2
    assert identifier in result.output
    assert nothing_stored(data_dir)


def test_orgs_set_needs_an_identifier_and_a_valid_id(data_dir: Path) -> None:
    assert run(data_dir, "orgs", "set", "acme").exit_code == 2
    assert run(data_dir, "orgs", "set", "ac\tme", "--identifier", GLN).exit_code == 2
    assert nothing_stored(data_dir)


def test_orgs_list(data_dir: Path) -> None:
    run(data_dir, "orgs", "set", "zeta", "--identifier", PGLN)
    run(data_dir, "orgs", "set", "acme", "--identifier", GLN, "--identifier", PGLN)
    listed = run(data_dir, "orgs", "list")
    assert listed.exit_code == 0, listed.output
    assert listed.stdout.splitlines() == [f"acme  {GLN}, {PGLN}", f"zeta  {PGLN}"]
    as_json = json.loads(run(data_dir, "orgs", "list", "--json").stdout)
    assert as_json == [{"id": "acme", "identifiers": [GLN, PGLN]}, {"id": "zeta", "identifiers": [PGLN]}]


# --- grants ---------------------------------------------------------------------------------------------


def test_grants_create_stores_the_scope_in_canonical_form(data_dir: Path) -> None:
    result = run(
        data_dir,
        "grants", "create", "--from", "farm", "--to", "roaster",
        "--product", "urn:epc:class:lgtin:0614141.107346.L1",
        "--product", "https://id.gs1.org/01/10614141073464/10/L1",  # the same lot: kept once
        "--product", "urn:epc:idpat:sgtin:0614141.107346.*",  # a pattern: kept as written
        "--product", "urn:epc:idpat:sgtin:0614141.*.*",
        "--product", "https://example.com/gtin/614141073467",  # a GTIN on another resolver, 12 digits
        "--product", "urn:epc:id:sgtin:0614141.107346.2017",
        "--biz-step", "shipping",
        "--biz-step", "urn:epcglobal:cbv:bizstep:shipping",
        "--biz-step", "https://ref.gs1.org/cbv/BizStep-receiving",
        "--biz-step", "urn:example:bizstep:roasting",
        "--from-time", "2024-01-01T00:00:00+01:00",
        "--until-time", "2025-01-01T00:00:00Z",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    [grant] = stored(data_dir)[2]
    assert result.stdout.split()[-1] == grant.grant_id
    assert (grant.grantor, grant.grantee) == ("farm", "roaster")
    assert grant.scope == GrantScope(
        products=(
            "https://id.gs1.org/01/10614141073464/10/L1",
            "urn:epc:idpat:sgtin:0614141.107346.*",
            "urn:epc:idpat:sgtin:0614141.*.*",
            "https://id.gs1.org/01/00614141073467",
            "https://id.gs1.org/01/10614141073464/21/2017",
        ),
        biz_steps=(
            "https://ref.gs1.org/cbv/BizStep-shipping",
            "https://ref.gs1.org/cbv/BizStep-receiving",
            "urn:example:bizstep:roasting",
        ),
        from_time=to_micros("2023-12-31T23:00:00Z"),
        until_time=to_micros("2025-01-01T00:00:00Z"),
    )


def test_a_grant_without_narrowing_shares_every_event(data_dir: Path) -> None:
    until = ["--until-time", "2025-01-01T00:00:00Z"]
    result = run(data_dir, "grants", "create", "--from", "farm", "--to", "roaster", *until)
    assert result.exit_code == 0, result.output
    [grant] = stored(data_dir)[2]
    assert grant.scope == GrantScope(until_time=to_micros("2025-01-01T00:00:00Z"))
    run(data_dir, "grants", "create", "--from", "farm", "--to", "trader")
    assert stored(data_dir)[2][1].scope == GrantScope()


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--from-time", "2025-01-01T00:00:00Z", "--until-time", "2025-01-01T00:00:00Z"], "--from-time"),
        (["--from-time", "2025-01-01T01:00:00+01:00", "--until-time", "2025-01-01T00:00:00Z"], "--from-time"),
        (["--from-time", "2025-02-01T00:00:00Z", "--until-time", "2025-01-01T00:00:00Z"], "--from-time"),
        (["--from-time", "yesterday"], "yesterday"),
        (["--until-time", "2025-01-01T00:00:00"], "2025-01-01T00:00:00"),  # no offset
        (["--biz-step", "shiping"], "shiping"),
        (["--biz-step", "urn:epcglobal:cbv:bizstep:shiping"], "shiping"),
        (["--product", "urn:epc:id:sgtin:0614141.107346"], "urn:epc:id:sgtin:0614141.107346"),
        (["--product", "urn:epc:idpat:sgtin:0614141.*.2017"], "urn:epc:idpat:sgtin:0614141.*.2017"),
        (["--product", "urn:example:nothing-like-a-gtin"], "urn:example:nothing-like-a-gtin"),
        (["--product", "https://id.gs1.org/01/10614141073465"], "check digit"),
        (["--product", "urn:epc:idpat:private:1.*"], "urn:epc:idpat:private:1.*"),
    ],
)
def test_grants_create_refuses_bad_input_and_stores_nothing(
    data_dir: Path, args: list[str], named: str
) -> None:
    good = ["--product", "urn:epc:class:lgtin:0614141.107346.L1", "--biz-step", "shipping"]
    result = run(data_dir, "grants", "create", "--from", "farm", "--to", "roaster", *good, *args)
    assert result.exit_code == 2
    assert named in result.output
    assert nothing_stored(data_dir)


def test_a_grant_names_two_organisations(data_dir: Path) -> None:
    assert run(data_dir, "grants", "create", "--from", "farm", "--to", "farm").exit_code == 2
    assert run(data_dir, "grants", "create", "--from", "", "--to", "farm").exit_code == 2
    assert run(data_dir, "grants", "create", "--from", "farm").exit_code == 2
    assert nothing_stored(data_dir)


def test_grants_list_and_revoke(data_dir: Path) -> None:
    first = run(data_dir, "grants", "create", "--from", "farm", "--to", "roaster", "--biz-step", "shipping")
    second = run(
        data_dir, "grants", "create", "--from", "farm", "--to", "trader",
        "--product", "urn:epc:class:lgtin:0614141.107346.L1",
        "--from-time", "2024-01-01T00:00:00Z",
    )  # fmt: skip
    first_id, second_id = first.stdout.split()[-1], second.stdout.split()[-1]
    listed = run(data_dir, "grants", "list")
    assert listed.exit_code == 0, listed.output
    lines = listed.stdout.splitlines()
    assert lines[0].startswith(
        f"{first_id}  farm -> roaster  business steps https://ref.gs1.org/cbv/BizStep-"
    )
    assert lines[1].startswith(f"{second_id}  farm -> trader  products https://id.gs1.org/01/")
    as_json = json.loads(run(data_dir, "grants", "list", "--json").stdout)
    assert [g["grantId"] for g in as_json] == [first_id, second_id]
    assert as_json[1] == {
        "grantId": second_id,
        "grantor": "farm",
        "grantee": "trader",
        "products": ["https://id.gs1.org/01/10614141073464/10/L1"],
        "bizSteps": [],
        "fromTime": "2024-01-01T00:00:00.000Z",
        "untilTime": None,
        "createdAt": as_json[1]["createdAt"],
    }
    revoked = run(data_dir, "grants", "revoke", first_id)
    assert revoked.exit_code == 0, revoked.output
    assert [g.grant_id for g in stored(data_dir)[2]] == [second_id]
    again = run(data_dir, "grants", "revoke", first_id)
    assert again.exit_code == 1 and first_id in again.output
    assert run(data_dir, "grants", "revoke", "nope").exit_code == 1


def test_an_unusable_store_is_a_clear_error(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    data_dir.write_text("a file, not a folder")
    result = run(data_dir, "keys", "list")
    assert result.exit_code == 2 and "cannot use the access store" in result.output
    monkeypatch.setenv("EPCIS_MONGODB_URI", "postgres://nope")
    result = run(data_dir, "orgs", "list")
    assert result.exit_code == 2 and "EPCIS_MONGODB_URI" in result.output


# --- trace --url --key ----------------------------------------------------------------------------------


class _Repository(BaseHTTPRequestHandler):
    """A stand-in repository: records the Authorization header; answers 200, or the status asked for."""

    seen: list[str | None] = []
    status = 200

    def do_GET(self) -> None:
        self.seen.append(self.headers.get("Authorization"))
        if self.status == 200:
            body, media_type = json.dumps({"type": "trace", "path": self.path}).encode(), "application/json"
        else:
            problem = {
                "type": "about:blank",
                "title": "refused",
                "status": self.status,
                "detail": "No entry.",
            }
            body, media_type = json.dumps(problem).encode(), "application/problem+json"
        self.send_response(self.status)
        self.send_header("Content-Type", media_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def repository() -> Iterator[tuple[str, type[_Repository]]]:
    handler = type("Handler", (_Repository,), {"seen": [], "status": 200})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


def test_trace_sends_the_key_as_a_bearer_token(
    repository: tuple[str, type[_Repository]], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, handler = repository
    monkeypatch.delenv("EPCIS_API_KEY", raising=False)
    trace = ["trace", "back", "urn:epc:class:lgtin:0614141.107346.L1", "--json", "--url", url]
    result = CliRunner().invoke(app, [*trace, "--key", "epcis_abc_secret"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["path"].startswith("/traces/back?id=urn")
    forward = ["trace", "forward", "urn:epc:class:lgtin:0614141.107346.L1", "--json", "--url", url]
    assert CliRunner().invoke(app, [*forward, "--key", "epcis_fwd_secret"]).exit_code == 0
    assert CliRunner().invoke(app, trace).exit_code == 0  # no key: no header
    monkeypatch.setenv("EPCIS_API_KEY", "epcis_env_secret")
    assert CliRunner().invoke(app, trace).exit_code == 0
    assert handler.seen == [
        "Bearer epcis_abc_secret",
        "Bearer epcis_fwd_secret",
        None,
        "Bearer epcis_env_secret",
    ]


@pytest.mark.parametrize(("status", "with_key", "says"), [
    (401, False, "--key"),
    (401, True, "the key was refused"),
    (403, True, "query role"),
])  # fmt: skip
def test_trace_explains_a_refused_key(
    repository: tuple[str, type[_Repository]],
    monkeypatch: pytest.MonkeyPatch,
    status: int,
    with_key: bool,
    says: str,
) -> None:
    url, handler = repository
    handler.status = status
    monkeypatch.delenv("EPCIS_API_KEY", raising=False)
    key = ["--key", "epcis_abc_secret"] if with_key else []
    result = CliRunner().invoke(app, ["trace", "back", "urn:example:x", "--url", url, *key])
    assert result.exit_code == 2
    assert says in result.output and "No entry." in result.output
    assert "epcis_abc_secret" not in result.output


def test_trace_refuses_a_key_that_cannot_be_a_header(repository: tuple[str, type[_Repository]]) -> None:
    url, handler = repository
    result = CliRunner().invoke(app, ["trace", "back", "urn:example:x", "--url", url, "--key", "a\r\nX: y"])
    assert result.exit_code == 2 and "--key" in result.output
    assert handler.seen == []
