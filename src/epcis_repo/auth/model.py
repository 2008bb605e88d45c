"""Who is asking: principals, their organisations and roles, the keys and grants the repository keeps."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    CAPTURE = "capture"  # POST /capture, POST /events, and the capture jobs of its organisation
    QUERY = "query"  # every read: events, lists, named queries, traces
    ADMIN = "admin"  # sees every event; manages keys, organisations and grants


ORGANISATION_MAX = 200  # characters of an organisation id


def is_organisation_id(value: str) -> bool:
    """1 to ORGANISATION_MAX printable characters, without spaces around them (keys, tokens, grants)."""
    return 0 < len(value) <= ORGANISATION_MAX and value.isprintable() and value == value.strip()


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller: an API key (named by its id) or a token's subject."""

    name: str
    organisation: str
    roles: frozenset[Role]

    def can(self, role: Role) -> bool:
        return role in self.roles or Role.ADMIN in self.roles

    @property
    def sees_everything(self) -> bool:
        return Role.ADMIN in self.roles


@dataclass(frozen=True, slots=True)
class ApiKey:
    key_id: str  # public: printed by `keys list`, recorded as the principal of what the key captures
    organisation: str
    roles: frozenset[Role]
    digest: str  # SHA-256 of the whole key, hex; the key itself is never stored
    created_at: int  # microseconds since the epoch
    revoked_at: int | None = None


@dataclass(frozen=True, slots=True)
class Organisation:
    """An organisation and the identifiers that name it in events: its parties (PGLNs) and
    locations (SGLNs), as canonical keys. Events naming one of them as a source or destination
    are visible to it."""

    id: str
    identifiers: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class GrantScope:
    """Which of the grantor's events a grant shares; every part given must hold (empty: any)."""

    products: tuple[str, ...] = ()  # GTINs or lots (canonical keys, or EPC patterns)
    biz_steps: tuple[str, ...] = ()  # CBV Web URIs
    from_time: int | None = None  # eventTime at or after (microseconds)
    until_time: int | None = None  # eventTime before


@dataclass(frozen=True, slots=True)
class Grant:
    grant_id: str
    grantor: str  # the organisation whose events are shared
    grantee: str
    scope: GrantScope = field(default_factory=GrantScope)
    created_at: int = 0
