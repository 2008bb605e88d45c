"""What route handlers get from the running application."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from epcis_repo.api.bodies import BodyLimits
from epcis_repo.api.security import Access
from epcis_repo.capture.schema import SchemaValidator
from epcis_repo.capture.service import CaptureService
from epcis_repo.epcis.rendering import CompanyPrefixes
from epcis_repo.settings import Settings
from epcis_repo.storage.port import EventStore


@dataclass(frozen=True, slots=True)
class Repository:
    """Everything a request may use, created once per application in its lifespan."""

    settings: Settings
    store: EventStore
    capture: CaptureService
    schema: SchemaValidator
    limits: BodyLimits
    # The GCP length table and every company prefix a capture stated; captures add to it.
    prefixes: CompanyPrefixes
    access: Access


# async, though it never waits: FastAPI runs a plain function dependency on a worker thread.
async def _repository(request: Request) -> Repository:
    repository: Repository = request.app.state.repository
    return repository


RepositoryDep = Annotated[Repository, Depends(_repository)]
