"""Who is calling and what they may do: bearer API keys and OAuth2 tokens, roles, rate limits, and the
visibility every read applies (docs/security.md).

Each operation but discovery depends on `Reader` (the query role) or `Capturer` (the capture role): a
request without valid credentials is a 401, one whose key lacks the role a 403, one over its key's rate
a 429. A reader's visibility is worked out once per request, from its organisation and the grants made
to it, and handed to the store with every query; its reads must finish within the query timeout.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from epcis_repo.api.problems import Problem
from epcis_repo.api.rate_limit import RateLimiter
from epcis_repo.auth import keys
from epcis_repo.auth.access import AccessStore
from epcis_repo.auth.model import Principal, Role
from epcis_repo.auth.tokens import InvalidToken, TokenVerifier
from epcis_repo.auth.visibility import visibility
from epcis_repo.query.model import Visibility
from epcis_repo.storage.deadline import limit_reads
from epcis_repo.storage.port import Sources

BEARER = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    description="An API key (`epcis-repo keys create`) or an OAuth2 access token (a JWT) from the "
    "configured identity provider.",
)
_CHALLENGE = 'Bearer realm="epcis-repo"'


@dataclass(frozen=True, slots=True)
class Access:
    """What authentication needs, created once per application."""

    store: AccessStore
    tokens: TokenVerifier | None
    limiter: RateLimiter


@dataclass(frozen=True, slots=True)
class Caller:
    principal: Principal
    # The events this caller may see, for every store read; None: every event (an administrator).
    visible: Visibility | None = None
    # Whose master data its queries and traces go by: its own organisation's, its grantors', and
    # what no organisation captured; None: everyone's (an administrator).
    master_data: Sources = None

    @property
    def organisation(self) -> str:
        return self.principal.organisation

    @property
    def own_records(self) -> str | None:
        """The organisation whose capture jobs and named queries the caller may read; None: every
        organisation's (an administrator)."""
        return None if self.principal.sees_everything else self.organisation


def unauthorised(detail: str, error: str | None = None) -> Problem:
    challenge = _CHALLENGE + (f', error="{error}"' if error else "")
    return Problem(
        401, "SecurityException", "Unauthorised request", detail, headers={"WWW-Authenticate": challenge}
    )


async def authenticate(access: Access, credentials: HTTPAuthorizationCredentials | None) -> Principal:
    """The principal the credentials name; a 401 when there are none or they are not valid."""
    if credentials is None:
        raise unauthorised("This operation needs credentials: send 'Authorization: Bearer <key or token>'.")
    secret = credentials.credentials
    if keys.looks_like_a_key(secret):
        key = await access.store.key_by_digest(keys.digest(secret))
        if key is None or key.revoked_at is not None:
            raise unauthorised("The API key is unknown or revoked.", "invalid_token")
        return Principal(key.key_id, key.organisation, key.roles)
    if access.tokens is None:
        raise unauthorised("The bearer credential is not an API key of this repository.", "invalid_token")
    try:
        # A key set fetched from a URL is fetched on a thread (then cached).
        return await asyncio.to_thread(access.tokens.principal, secret)
    except InvalidToken as error:
        raise unauthorised(str(error), "invalid_token") from None


def requires(role: Role) -> Callable[..., Awaitable[Caller]]:
    """A dependency admitting callers with `role` (or admin), with their visibility for reads."""

    async def caller(
        request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Security(BEARER)]
    ) -> Caller:
        access: Access = request.app.state.repository.access
        principal = await authenticate(access, credentials)
        wait = access.limiter.wait_needed(principal.name)
        if wait:
            raise Problem(
                429,
                "about:blank",
                "Too many requests",
                f"More than {access.limiter.per_minute} requests a minute with these credentials; "
                f"try again in {math.ceil(wait)} s.",
                headers={"Retry-After": str(math.ceil(wait))},
            )
        if not principal.can(role):
            held = ", ".join(sorted(principal.roles)) or "no roles"
            raise Problem(
                403,
                "SecurityException",
                "Access to resource forbidden",
                f"This operation needs the {role} role; these credentials have {held}.",
            )
        if role is not Role.QUERY:
            return Caller(principal)
        limit_reads(request.app.state.repository.settings.query_timeout_seconds)
        return await reader(access, principal)

    return caller


async def reader(access: Access, principal: Principal) -> Caller:
    """The principal as a reader: the events it may see and the master data it goes by."""
    if principal.sees_everything:
        return Caller(principal)
    organisation, grants = await access.store.standing(principal.organisation)
    trusted = frozenset({principal.organisation, None, *(grant.grantor for grant in grants)})
    return Caller(principal, visibility(principal, organisation, grants), trusted)


Reader = Annotated[Caller, Security(requires(Role.QUERY))]
Capturer = Annotated[Caller, Security(requires(Role.CAPTURE))]
