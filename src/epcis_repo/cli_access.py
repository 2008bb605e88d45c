"""The command line's access management: ``epcis-repo keys|orgs|grants``.

Keys, organisations and grants live in the access store the settings select (MongoDB when
EPCIS_MONGODB_URI is set, else ``access.sqlite3`` in the data folder), which a running repository
shares: what these commands change applies to it at once. Every input is checked before the store
is opened, so a refused command leaves nothing behind.
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
import sqlite3
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from epcis_repo.auth.keys import new_key
from epcis_repo.auth.model import (
    ORGANISATION_MAX,
    ApiKey,
    Grant,
    GrantScope,
    Organisation,
    Role,
    is_organisation_id,
)
from epcis_repo.cli_options import DataDir, fail, settings_for
from epcis_repo.epcis import cbv
from epcis_repo.epcis.identifiers import (
    DL_ORIGIN,
    Gs1Key,
    check_digit,
    class_matches,
    gs1_key,
    instance_matches,
    validate_epc_urn,
)
from epcis_repo.epcis.timestamps import from_micros, now_micros, to_micros

if TYPE_CHECKING:
    from epcis_repo.auth.access import AccessStore

T = TypeVar("T")

keys_app = typer.Typer(
    help="API keys: create one for an organisation and its roles, list them, revoke one.",
    no_args_is_help=True,
)
orgs_app = typer.Typer(
    help="Organisations and the identifiers (parties, locations) that name them in events.",
    no_args_is_help=True,
)
grants_app = typer.Typer(
    help="Grants: an organisation shares (some of) its events with another.", no_args_is_help=True
)

_Json = Annotated[bool, typer.Option("--json", help="Print a JSON array instead of one line each.")]

_ROLE_ORDER = {role: n for n, role in enumerate(Role)}
# GS1 keys whose value ends in a mod-10 check digit over all the digits before it: (AI, digits covered).
_CHECKED = {"01": 14, "8006": 14, "414": 13, "417": 13, "00": 18}
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:\S+")
_CBV_NAMESPACES = ("urn:epcglobal:cbv:", cbv.CBV_WEB, "cbv:")
_IDPAT = "urn:epc:idpat:"


def _print_list(
    what: str,
    found: Sequence[T],
    as_json: bool,
    to_json: Callable[[T], dict[str, Any]],
    to_line: Callable[[T], str],
) -> None:
    """A listing: a JSON array, or a line each (and a word on standard error when there is none)."""
    if as_json:
        _print_json([to_json(item) for item in found])
        return
    if not found:
        typer.echo(f"epcis-repo: no {what}", err=True)
    for item in found:
        typer.echo(to_line(item))


def _with_store(data_dir: Path | None, work: Callable[[AccessStore], Awaitable[T]]) -> T:
    """Run `work` on the configured access store; a store that cannot be used ends the command (2)."""
    from epcis_repo.auth.access import open_configured_access
    from epcis_repo.storage.configured import describe

    settings = settings_for(data_dir)
    try:
        describe(settings)  # refuses a malformed MongoDB URI before any connection is tried
    except ValueError as error:
        fail(str(error))
    failures: tuple[type[BaseException], ...] = (sqlite3.Error, OSError)
    if settings.mongodb_uri:
        from pymongo.errors import PyMongoError

        failures = (*failures, PyMongoError)

    async def run() -> T:
        async with open_configured_access(settings) as store:
            return await work(store)

    try:
        return asyncio.run(run())
    except failures as error:
        fail(f"cannot use the access store: {error}")


# --- checking the input -------------------------------------------------------------------------------


def _organisation(value: str, option: str) -> str:
    if not is_organisation_id(value):
        fail(
            f"{option} {value!r}: an organisation id is 1 to {ORGANISATION_MAX} printable characters, "
            "without spaces around them"
        )
    return value


def _roles(text: str) -> frozenset[Role]:
    names = [name.strip().lower() for name in text.split(",") if name.strip()]
    known = {role.value for role in Role}
    unknown = [name for name in names if name not in known]
    if unknown or not names:
        wrong = f"unknown role {', '.join(map(repr, unknown))}" if unknown else "no role given"
        fail(f"--role: {wrong}; give one or more of {', '.join(Role)} separated by commas")
    return frozenset(Role(name) for name in names)


def _check_digit_holds(key: Gs1Key) -> bool:
    covered = _CHECKED.get(key.ai)
    if covered is None:
        return True
    digits = key.value[:covered]
    return digits[:-1].isdigit() and digits[-1] == check_digit(digits[:-1])


def _gs1_key(value: str, option: str, expected: str) -> Gs1Key:
    key = gs1_key(value)
    if key is None:
        reason = validate_epc_urn(value.strip())  # names the URN already
        fail(f"{option}: {reason}" if reason else f"{option} {value!r}: not {expected}")
    if not _check_digit_holds(key):
        fail(f"{option} {value!r}: the check digit of {key.value[: _CHECKED[key.ai]]} is wrong")
    return key


def _party_or_location(value: str) -> str:
    """The canonical key of a PGLN or SGLN, in EPC URN or GS1 Digital Link form."""
    expected = "a PGLN or SGLN (urn:epc:id:pgln:..., urn:epc:id:sgln:... or a GS1 Digital Link)"
    key = _gs1_key(value, "--identifier", expected)
    if key.ai not in ("414", "417"):
        fail(f"--identifier {value!r}: names no party or location; expected {expected}")
    return key.digital_link


def _product(value: str) -> str:
    """What a grant keeps of a product: an EPC pattern as given, or the canonical key of an identifier.

    visibility._granted hands each product to instance_matches and class_matches, so whatever is kept
    must be accepted by both. A pattern is kept as written (its canonical key, when it has one, would
    not select the same identifiers: ``urn:epc:idpat:grai:CP.AT.*`` covers every serial, the GRAI
    class's Digital Link only itself); a pattern without a wildcard is the identifier it spells.
    """
    stripped = value.strip()
    if stripped[: len(_IDPAT)].lower() == _IDPAT:
        scheme, _, body = stripped[len(_IDPAT) :].partition(":")
        if "*" not in body:
            return _product(f"urn:epc:id:{scheme}:{body}")
        try:
            instances = instance_matches(stripped)
            class_matches(stripped)
        except ValueError as error:
            fail(f"--product: {error}")
        if not all(match.prefix.startswith(DL_ORIGIN) for match in instances):
            fail(f"--product {value!r}: not a pattern of a GS1 EPC scheme (sgtin, lgtin, itip, ...)")
        return stripped
    expected = "a GTIN, lot or instance (EPC URN, EPC pattern or GS1 Digital Link)"
    return _gs1_key(stripped, "--product", expected).digital_link


def _biz_step(value: str) -> str:
    canonical = cbv.BIZ_STEP.canonical(value)
    if cbv.BIZ_STEP.word(value) is None and (
        not _URI.fullmatch(canonical) or canonical.startswith(_CBV_NAMESPACES)
    ):
        fail(
            f"--biz-step {value!r}: not a CBV business step (shipping, urn:epcglobal:cbv:bizstep:shipping "
            f"or {cbv.CBV_WEB}BizStep-shipping); a business step of your own is a URI"
        )
    return canonical


def _instant(value: str | None, option: str) -> int | None:
    if value is None:
        return None
    try:
        return to_micros(value)
    except ValueError as error:
        fail(f"{option}: {error}")


def _unique(values: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


# --- showing what is stored ---------------------------------------------------------------------------


def _role_names(roles: frozenset[Role]) -> list[str]:
    return [role.value for role in sorted(roles, key=_ROLE_ORDER.__getitem__)]


def _key_json(key: ApiKey) -> dict[str, Any]:
    return {
        "keyId": key.key_id,
        "organisation": key.organisation,
        "roles": _role_names(key.roles),
        "createdAt": from_micros(key.created_at),
        "revokedAt": from_micros(key.revoked_at) if key.revoked_at is not None else None,
    }


def _key_line(key: ApiKey) -> str:
    state = f"revoked {from_micros(key.revoked_at)}" if key.revoked_at is not None else "active"
    roles = ",".join(_role_names(key.roles))
    return f"{key.key_id}  {key.organisation}  {roles}  created {from_micros(key.created_at)}  {state}"


def _grant_json(grant: Grant) -> dict[str, Any]:
    scope = grant.scope
    return {
        "grantId": grant.grant_id,
        "grantor": grant.grantor,
        "grantee": grant.grantee,
        "products": list(scope.products),
        "bizSteps": list(scope.biz_steps),
        "fromTime": from_micros(scope.from_time) if scope.from_time is not None else None,
        "untilTime": from_micros(scope.until_time) if scope.until_time is not None else None,
        "createdAt": from_micros(grant.created_at),
    }


def _scope_text(scope: GrantScope) -> str:
    parts = []
    if scope.products:
        parts.append(f"products {', '.join(scope.products)}")
    if scope.biz_steps:
        parts.append(f"business steps {', '.join(scope.biz_steps)}")
    if scope.from_time is not None or scope.until_time is not None:
        start = from_micros(scope.from_time) if scope.from_time is not None else "any time"
        end = from_micros(scope.until_time) if scope.until_time is not None else "any time"
        parts.append(f"eventTime from {start} until {end}")
    return "; ".join(parts) if parts else "all its events"


def _grant_line(grant: Grant) -> str:
    return (
        f"{grant.grant_id}  {grant.grantor} -> {grant.grantee}  {_scope_text(grant.scope)}  "
        f"created {from_micros(grant.created_at)}"
    )


def _print_json(document: Any) -> None:
    typer.echo(json.dumps(document, indent=2, ensure_ascii=False))


# --- keys ---------------------------------------------------------------------------------------------


@keys_app.command("create")
def keys_create(
    org: Annotated[str, typer.Option("--org", help="Organisation the key acts for.")],
    role: Annotated[str, typer.Option("--role", help=f"Roles, separated by commas: {', '.join(Role)}.")],
    data_dir: DataDir = None,
) -> None:
    """Create an API key. It is printed once (the last word of the output); only its digest is kept."""
    organisation = _organisation(org, "--org")
    roles = _roles(role)
    key, record = new_key(organisation, roles)

    async def add(store: AccessStore) -> None:
        await store.add_key(record)

    _with_store(data_dir, add)
    typer.echo(
        f"created key {record.key_id} for organisation {organisation!r} with roles "
        f"{','.join(_role_names(roles))}; it is shown once: keep it; only its digest is stored"
    )
    typer.echo(f"key: {key}")


@keys_app.command("list")
def keys_list(as_json: _Json = False, data_dir: DataDir = None) -> None:
    """List the keys: id, organisation, roles, creation time, active or revoked (never the key itself)."""
    found = _with_store(data_dir, lambda store: store.list_keys())
    _print_list("keys", found, as_json, _key_json, _key_line)


@keys_app.command("revoke")
def keys_revoke(
    key_id: Annotated[str, typer.Argument(help="The key's id, as `keys list` shows it.")],
    data_dir: DataDir = None,
) -> None:
    """Revoke a key: requests with it are refused from now on."""

    async def revoke(store: AccessStore) -> tuple[bool, ApiKey | None]:
        if await store.revoke_key(key_id, now_micros()):
            return True, None
        return False, next((key for key in await store.list_keys() if key.key_id == key_id), None)

    revoked, existing = _with_store(data_dir, revoke)
    if not revoked:
        if existing is not None and existing.revoked_at is not None:
            fail(f"key {key_id!r} was already revoked {from_micros(existing.revoked_at)}", code=1)
        fail(f"no key {key_id!r}", code=1)
    typer.echo(f"revoked key {key_id}")


# --- organisations ------------------------------------------------------------------------------------


@orgs_app.command("set")
def orgs_set(
    organisation_id: Annotated[str, typer.Argument(metavar="ID", help="The organisation's id.")],
    identifier: Annotated[
        list[str],
        typer.Option(
            "--identifier",
            help="A PGLN or SGLN naming the organisation in events (urn:epc:id:pgln:..., "
            "urn:epc:id:sgln:... or GS1 Digital Link); repeat for several.",
        ),
    ],
    data_dir: DataDir = None,
) -> None:
    """Register an organisation and the identifiers that name it (replacing those it had)."""
    organisation = Organisation(
        _organisation(organisation_id, "ID"), _unique([_party_or_location(i) for i in identifier])
    )

    async def store_it(store: AccessStore) -> None:
        await store.set_organisation(organisation)

    _with_store(data_dir, store_it)
    typer.echo(f"organisation {organisation.id}: {', '.join(organisation.identifiers)}")


@orgs_app.command("list")
def orgs_list(as_json: _Json = False, data_dir: DataDir = None) -> None:
    """List the organisations and their identifiers."""
    found = _with_store(data_dir, lambda store: store.list_organisations())
    _print_list(
        "organisations",
        found,
        as_json,
        lambda o: {"id": o.id, "identifiers": list(o.identifiers)},
        lambda o: f"{o.id}  {', '.join(o.identifiers)}",
    )


# --- grants -------------------------------------------------------------------------------------------


@grants_app.command("create")
def grants_create(
    grantor: Annotated[str, typer.Option("--from", help="Organisation whose events are shared.")],
    grantee: Annotated[str, typer.Option("--to", help="Organisation they are shared with.")],
    product: Annotated[
        list[str] | None,
        typer.Option(
            "--product",
            help="Only events of this GTIN, lot or instance (EPC URN, EPC pattern or GS1 Digital Link); "
            "repeat for several.",
        ),
    ] = None,
    biz_step: Annotated[
        list[str] | None,
        typer.Option("--biz-step", help="Only events of this business step (any CBV form); repeatable."),
    ] = None,
    from_time: Annotated[
        str | None, typer.Option("--from-time", help="Only events at or after this eventTime (RFC 3339).")
    ] = None,
    until_time: Annotated[
        str | None, typer.Option("--until-time", help="Only events before this eventTime (RFC 3339).")
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Share an organisation's events with another, narrowed by products, business steps and time."""
    grantor = _organisation(grantor, "--from")
    grantee = _organisation(grantee, "--to")
    if grantor == grantee:
        fail("--from and --to name the same organisation, which sees its own events already")
    scope = GrantScope(
        products=_unique([_product(p) for p in product or ()]),
        biz_steps=_unique([_biz_step(s) for s in biz_step or ()]),
        from_time=_instant(from_time, "--from-time"),
        until_time=_instant(until_time, "--until-time"),
    )
    if scope.from_time is not None and scope.until_time is not None and scope.from_time >= scope.until_time:
        fail("--from-time must be before --until-time")
    grant = Grant(secrets.token_hex(8), grantor, grantee, scope, now_micros())

    async def add(store: AccessStore) -> None:
        await store.add_grant(grant)

    _with_store(data_dir, add)
    typer.echo(f"{grantor} shares with {grantee}: {_scope_text(scope)}")
    typer.echo(f"grant: {grant.grant_id}")


@grants_app.command("list")
def grants_list(as_json: _Json = False, data_dir: DataDir = None) -> None:
    """List the grants: id, grantor -> grantee, scope, creation time."""
    found = _with_store(data_dir, lambda store: store.list_grants())
    _print_list("grants", found, as_json, _grant_json, _grant_line)


@grants_app.command("revoke")
def grants_revoke(
    grant_id: Annotated[str, typer.Argument(help="The grant's id, as `grants list` shows it.")],
    data_dir: DataDir = None,
) -> None:
    """Revoke a grant: the grantee no longer sees the events it shared."""

    async def revoke(store: AccessStore) -> bool:
        return await store.revoke_grant(grant_id)

    if not _with_store(data_dir, revoke):
        fail(f"no grant {grant_id!r}", code=1)
    typer.echo(f"revoked grant {grant_id}")
