"""The command line: ``epcis-repo serve``."""

from __future__ import annotations

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
) -> None:
    """Start the repository's HTTP API (capture and query interfaces)."""
    import uvicorn

    from epcis_repo.api.app import create_app, describe_store

    settings = Settings()
    try:
        where = describe_store(settings)
    except ValueError as error:
        typer.echo(f"epcis-repo: {error}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"epcis-repo: serving on http://{host}:{port} with {where}")
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info")


def main() -> None:
    app()
