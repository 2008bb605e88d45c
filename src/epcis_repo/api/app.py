"""The FastAPI application: routers, problem handlers, and the store's life cycle."""

from __future__ import annotations

import logging
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import jwt
from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic.json_schema import models_json_schema

from epcis_repo import __version__
from epcis_repo.api import capture, discovery, events, problems, queries, resources, traces
from epcis_repo.api.bodies import BodyLimits
from epcis_repo.api.deps import Repository
from epcis_repo.api.headers import GS1Headers
from epcis_repo.api.rate_limit import RateLimiter
from epcis_repo.api.security import Access
from epcis_repo.auth import keys
from epcis_repo.auth.access import AccessStore, open_configured_access
from epcis_repo.auth.model import Role
from epcis_repo.auth.tokens import TokenVerifier
from epcis_repo.capture.schema import SchemaValidator
from epcis_repo.capture.service import ALREADY_EXISTS, CaptureService
from epcis_repo.capture.validation import check_document
from epcis_repo.demo import demo_document
from epcis_repo.epcis.rendering import CompanyPrefixes
from epcis_repo.settings import Settings
from epcis_repo.storage.configured import open_configured_store
from epcis_repo.storage.port import Behaviour, EventStore
from epcis_repo.trace.service import bring_lineage_up_to_date

log = logging.getLogger(__name__)

# The organisation of the admin key a first start creates.
BOOTSTRAP_ORGANISATION = "admin"

# Opens a store for the lifetime of the application and closes whatever it needed afterwards.
StoreFactory = Callable[[Settings], AbstractAsyncContextManager[EventStore]]
# Opens where keys, organisations and grants are kept, likewise.
AccessFactory = Callable[[Settings], AbstractAsyncContextManager[AccessStore]]


def create_app(
    settings: Settings | None = None,
    store_factory: StoreFactory = open_configured_store,
    *,
    access_factory: AccessFactory = open_configured_access,
    demo: bool = False,
) -> FastAPI:
    """The application; `demo` loads the demonstration chain (epcis_repo.demo) at start-up.

    Raises ValueError when the configured GCP length table or OAuth2 settings cannot be used.
    """
    settings = settings or Settings()
    prefixes = company_prefix_table(settings)
    tokens = token_verifier(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with store_factory(settings) as store, access_factory(settings) as access_store:
            access = Access(access_store, tokens, RateLimiter(settings.rate_limit_per_minute))
            await _bootstrap_key(access_store)
            await store.open()
            await bring_lineage_up_to_date(store)
            prefixes.add_stated(await store.company_prefixes())
            service = CaptureService(store, prefixes)
            app.state.repository = Repository(
                settings=settings,
                store=store,
                capture=service,
                schema=SchemaValidator.load(),
                limits=BodyLimits(settings.capture_limit_bytes, settings.capture_limit_events),
                prefixes=prefixes,
                access=access,
            )
            if demo:
                await _load_demo(app.state.repository)
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
    app.add_middleware(GS1Headers)
    problems.install(app)
    # Routes are matched in this order, one by one: the resource listings (40 routes) come last.
    app.include_router(capture.router)
    app.include_router(events.router)
    app.include_router(queries.router)
    app.include_router(traces.router)
    app.include_router(resources.router)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def company_prefix_table(settings: Settings) -> CompanyPrefixes:
    """The configured GCP length table (or an empty one); ValueError when it cannot be read."""
    prefixes = CompanyPrefixes()
    path = settings.gcp_length_table
    if path is not None:
        try:
            count = prefixes.load(path)
        except OSError as error:
            raise ValueError(f"cannot read the GCP length table {path}: {error.strerror}") from None
        log.info("GCP length table %s: %d entries", path, count)
    return prefixes


def token_verifier(settings: Settings) -> TokenVerifier | None:
    """The verifier of OAuth2 bearer tokens, when an issuer is configured; ValueError when it is only
    partly configured or its key set cannot be read."""
    given = {
        "EPCIS_OAUTH_ISSUER": settings.oauth_issuer,
        "EPCIS_OAUTH_AUDIENCE": settings.oauth_audience,
        "EPCIS_OAUTH_JWKS": settings.oauth_jwks,
    }
    if not any(given.values()):
        return None
    missing = [name for name, value in given.items() if not value]
    if missing:
        raise ValueError(f"OAuth2 bearer tokens need {', '.join(missing)} as well")
    assert settings.oauth_issuer and settings.oauth_audience and settings.oauth_jwks
    try:
        return TokenVerifier(
            settings.oauth_issuer,
            settings.oauth_audience,
            settings.oauth_jwks,
            settings.oauth_organisation_claim,
            settings.oauth_roles_claim,
        )
    except (OSError, ValueError, jwt.PyJWTError) as error:
        raise ValueError(f"cannot read the JSON Web Key Set {settings.oauth_jwks}: {error}") from None


async def _bootstrap_key(access: AccessStore) -> None:
    """On a first start (no key was ever made), an admin key, written to standard error once: the
    repository is never open without credentials, and whoever starts it can make the others
    (docs/security.md). Once keys are revoked, `epcis-repo keys create` makes new ones."""
    if await access.list_keys():
        return
    key, record = keys.new_key(BOOTSTRAP_ORGANISATION, frozenset({Role.ADMIN}))
    await access.add_key(record)
    sys.stderr.write(
        "epcis-repo: no API key existed, so an admin key was created (organisation "
        f"{BOOTSTRAP_ORGANISATION!r}, key id {record.key_id}). It is shown only this once; send it as "
        "'Authorization: Bearer <key>', make keys for partners with 'epcis-repo keys create', and "
        f"revoke this one when you have your own. Key: {key}\n"
    )
    sys.stderr.flush()


async def _load_demo(repository: Repository) -> None:
    submission = check_document(demo_document(), repository.schema)
    job = await repository.capture.capture(submission, Behaviour.ROLLBACK)
    if job.success:
        log.info("demo chain loaded: %d events", job.stored_count)
    elif all(error["type"] == ALREADY_EXISTS for error in job.errors):
        log.info("demo chain already loaded")
    else:
        raise RuntimeError(f"the demo chain could not be loaded: {job.errors}")


def _openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema is None:
        document = get_openapi(title=app.title, version=app.version, summary=app.summary, routes=app.routes)
        _, definitions = models_json_schema(
            [(model, "validation") for model in capture.OPENAPI_MODELS],
            ref_template="#/components/schemas/{model}",
        )
        document.setdefault("components", {}).setdefault("schemas", {}).update(definitions.get("$defs", {}))
        discovery.complete(document, app.routes)
        app.openapi_schema = document
    return app.openapi_schema
