"""The command line: ``epcis-repo serve``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

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
    data_dir: Annotated[
        Path | None,
        typer.Option(help="Folder of the embedded store [default: EPCIS_DATA_DIR, else ./epcis-data]."),
    ] = None,
    demo: Annotated[bool, typer.Option(help="Load a small farm-to-retail coffee chain first.")] = False,
) -> None:
    """Start the repository's HTTP API (capture and query interfaces)."""
    import uvicorn

    from epcis_repo.api.app import create_app
    from epcis_repo.storage.configured import describe

    settings = Settings(data_dir=data_dir) if data_dir is not None else Settings()
    try:
        where = describe(settings)
        application = create_app(settings, demo=demo)
    except ValueError as error:
        typer.echo(f"epcis-repo: {error}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"epcis-repo: serving on http://{host}:{port} with {where}")
    uvicorn.run(application, host=host, port=port, log_level="info")


def main() -> None:
    app()
