"""The FastAPI application: routers, problem handlers, and the store's life cycle."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic.json_schema import models_json_schema

from epcis_repo import __version__
from epcis_repo.api import capture, events, problems
from epcis_repo.api.bodies import BodyLimits
from epcis_repo.api.deps import Repository
from epcis_repo.api.headers import gs1_headers
from epcis_repo.capture.schema import SchemaValidator
from epcis_repo.capture.service import CaptureService
from epcis_repo.settings import Settings
from epcis_repo.storage.port import EventStore

log = logging.getLogger(__name__)

# Opens a store for the lifetime of the application and closes whatever it needed afterwards.
StoreFactory = Callable[[Settings], AbstractAsyncContextManager[EventStore]]


def describe_store(settings: Settings) -> str:
    """Which store the settings select and where it is, for the start-up line; ValueError if none."""
    if not settings.mongodb_uri:
        raise ValueError("no store configured: set EPCIS_MONGODB_URI to a MongoDB connection string")
    from pymongo.uri_parser import parse_uri

    hosts = ",".join(f"{host}:{port}" for host, port in parse_uri(settings.mongodb_uri)["nodelist"])
    return f"MongoDB at {hosts}, database {settings.mongodb_database!r}"


@asynccontextmanager
async def open_configured_store(settings: Settings) -> AsyncIterator[EventStore]:
    """The store the settings select."""
    describe_store(settings)
    from pymongo import AsyncMongoClient

    from epcis_repo.storage.mongo import MongoEventStore

    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(settings.mongodb_uri)
    try:
        yield MongoEventStore(client[settings.mongodb_database])
    finally:
        await client.close()


def create_app(
    settings: Settings | None = None, store_factory: StoreFactory = open_configured_store
) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with store_factory(settings) as store:
            await store.open()
            service = CaptureService(store)
            app.state.repository = Repository(
                settings=settings,
                store=store,
                capture=service,
                schema=SchemaValidator.load(),
                limits=BodyLimits(settings.capture_limit_bytes, settings.capture_limit_events),
            )
            try:
                yield
            finally:
                await service.drain(settings.shutdown_grace_seconds)
                await store.close()

    app = FastAPI(
        title="epcis-repo",
        version=__version__,
        summary="GS1 EPCIS 2.0 event repository",
        lifespan=lifespan,
    )
    app.middleware("http")(gs1_headers)
    problems.install(app)
    app.include_router(capture.router)
    app.include_router(events.router)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema is None:
        document = get_openapi(title=app.title, version=app.version, summary=app.summary, routes=app.routes)
        _, definitions = models_json_schema(
            [(model, "validation") for model in capture.OPENAPI_MODELS],
            ref_template="#/components/schemas/{model}",
        )
        document.setdefault("components", {}).setdefault("schemas", {}).update(definitions.get("$defs", {}))
        app.openapi_schema = document
    return app.openapi_schema
