"""The command line: ``epcis-repo serve``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from epcis_repo.cli_access import grants_app, keys_app, orgs_app
from epcis_repo.cli_options import DataDir, fail, settings_for
from epcis_repo.settings import Settings

app = typer.Typer(
    help="epcis-repo: a GS1 EPCIS 2.0 event repository.", no_args_is_help=True, add_completion=False
)


@app.callback()
def _main() -> None:
    """Keeps `serve` a named subcommand, ready for the commands that will join it."""


@app.command()
def serve(
    host: Annotated[
        str, typer.Option(help="Interface to listen on; 0.0.0.0 for every interface.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    data_dir: DataDir = None,
    demo: Annotated[bool, typer.Option(help="Load a small farm-to-retail coffee chain first.")] = False,
) -> None:
    """Start the repository's HTTP API (capture and query interfaces)."""
    import uvicorn

    from epcis_repo.api.app import create_app
    from epcis_repo.storage.configured import describe

    settings = settings_for(data_dir)
    try:
        where = describe(settings)
        application = create_app(settings, demo=demo)
    except ValueError as error:
        fail(str(error))
    typer.echo(f"epcis-repo: serving on http://{host}:{port} with {where}")
    uvicorn.run(application, host=host, port=port, log_level="info")


trace_app = typer.Typer(help="Trace a product's chain back to its origins or forward to its customers.")
app.add_typer(trace_app, name="trace")
app.add_typer(keys_app, name="keys")
app.add_typer(orgs_app, name="orgs")
app.add_typer(grants_app, name="grants")


def _trace(
    direction: str,
    identifier: str,
    at: str | None,
    as_of: str | None,
    depth: int | None,
    quantity: str | None,
    window: str | None,
    as_json: bool,
    url: str | None,
    data_dir: Path | None,
    key: str | None = None,
) -> None:
    import asyncio
    import json

    from epcis_repo.trace.result import Direction
    from epcis_repo.trace.tree import render_tree

    params = {"id": identifier, "at": at, "asOf": as_of, "quantity": quantity, "window": window}
    params["depth"] = str(depth) if depth is not None else None
    given = {name: value for name, value in params.items() if value is not None}
    if url is not None:
        document = _trace_over_http(url, direction, given, key)
    else:
        settings = settings_for(data_dir)
        document = asyncio.run(_trace_locally(settings, Direction(direction), given))
    typer.echo(json.dumps(document, indent=2, ensure_ascii=False) if as_json else render_tree(document))


async def _trace_locally(settings: Settings, direction: Any, given: dict[str, str]) -> dict[str, Any]:
    from epcis_repo.query.params import QueryParameterError
    from epcis_repo.storage.configured import open_configured_store
    from epcis_repo.storage.port import StorageError
    from epcis_repo.trace.params import trace_request
    from epcis_repo.trace.service import bring_lineage_up_to_date, trace_report

    try:
        request = trace_request(direction, given)
    except QueryParameterError as error:
        fail(f"{error.parameter}: {error.detail}")
    try:
        async with open_configured_store(settings) as store:
            await store.open()
            try:
                await bring_lineage_up_to_date(store)
                report = await trace_report(store, request, lambda key: key)
            finally:
                await store.close()
    except StorageError as error:
        fail(f"{error} (with a running server, ask it instead: --url http://127.0.0.1:8000)")
    if report is None:
        fail(f"no event names {given.get('id')!r}", code=1)
    return report


def _trace_over_http(url: str, direction: str, given: dict[str, str], key: str | None) -> dict[str, Any]:
    import json
    import urllib.error
    import urllib.parse
    import urllib.request

    headers = {}
    if key:
        if not key.isprintable() or any(c.isspace() for c in key):
            fail("--key (or EPCIS_API_KEY) holds spaces or control characters: not an API key")
        headers["Authorization"] = f"Bearer {key}"
    address = f"{url.rstrip('/')}/traces/{direction}?{urllib.parse.urlencode(given)}"
    request = urllib.request.Request(address, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            found: dict[str, Any] = json.load(response)
            return found
    except urllib.error.HTTPError as error:
        problem = json.load(error) if error.headers.get_content_type().endswith("json") else {}
        detail = problem.get("detail") or str(error)
        if error.code == 401:
            hint = "the key was refused" if key else "it needs an API key: give --key or set EPCIS_API_KEY"
            fail(f"{url} did not accept the request ({detail}): {hint}")
        if error.code == 403:
            fail(f"{url} refused the request ({detail}): the key may not trace (it needs the query role)")
        fail(detail, code=1 if error.code == 404 else 2)
    except (urllib.error.URLError, OSError) as error:
        fail(f"cannot reach {url}: {error}")


_At = Annotated[str | None, typer.Option("--at", help="Event time to start from (RFC 3339, with offset).")]
_AsOf = Annotated[
    str | None, typer.Option("--as-of", help="Ignore what was recorded after this time (RFC 3339).")
]
_Window = Annotated[
    str | None,
    typer.Option(help="Only events in this interval: start/end (RFC 3339; either may be left out)."),
]
_Depth = Annotated[int | None, typer.Option(help="Most edges followed along one path.")]
_Quantity = Annotated[str | None, typer.Option(help="How much of the target, e.g. 950 or '950 KGM' (back).")]
_Json = Annotated[bool, typer.Option("--json", help="Print the trace document (as GET /traces returns it).")]
_Url = Annotated[
    str | None, typer.Option(help="Ask a running repository (http://host:port) instead of opening the store.")
]
_Key = Annotated[
    str | None,
    typer.Option(
        envvar="EPCIS_API_KEY",
        show_envvar=True,
        help="API key sent to the repository --url names (Authorization: Bearer).",
    ),
]
_Id = Annotated[str, typer.Argument(help="EPC URN or GS1 Digital Link of an instance, lot or container.")]


@trace_app.command("back")
def trace_back(
    identifier: _Id,
    at: _At = None,
    as_of: _AsOf = None,
    window: _Window = None,
    depth: _Depth = None,
    quantity: _Quantity = None,
    as_json: _Json = False,
    url: _Url = None,
    key: _Key = None,
    data_dir: DataDir = None,
) -> None:
    """Trace back to the origins (plots, farms), with the quantity and share of each."""
    _trace("back", identifier, at, as_of, depth, quantity, window, as_json, url, data_dir, key)


@trace_app.command("forward")
def trace_forward(
    identifier: _Id,
    at: _At = None,
    as_of: _AsOf = None,
    window: _Window = None,
    depth: _Depth = None,
    as_json: _Json = False,
    url: _Url = None,
    key: _Key = None,
    data_dir: DataDir = None,
) -> None:
    """Trace forward to every lot, shipment and party the material reached."""
    _trace("forward", identifier, at, as_of, depth, None, window, as_json, url, data_dir, key)


def main() -> None:
    app()
