"""What the commands of the command line share: the data folder option, its settings, and failing."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, NoReturn

import typer

from epcis_repo.settings import Settings

DataDir = Annotated[
    Path | None,
    typer.Option(help="Folder of the embedded store [default: EPCIS_DATA_DIR, else ./epcis-data]."),
]


def settings_for(data_dir: Path | None) -> Settings:
    """The settings (from the environment), with the data folder a command was given, if any."""
    return Settings(data_dir=data_dir) if data_dir is not None else Settings()


def fail(message: str, code: int = 2) -> NoReturn:
    typer.echo(f"epcis-repo: {message}", err=True)
    raise typer.Exit(code)
