"""Page tokens: opaque to clients, but only the query and where its last page ended.

A token carries the query's own parameters, so the next-page link needs nothing else, and a
keyset cursor, so it stays correct however much is captured meanwhile and never expires.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from epcis_repo.query.model import Cursor

_VERSION = 1


class InvalidToken(ValueError):
    pass


def _encode(payload: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps({"v": _VERSION, **payload})).decode().rstrip("=")


def _decode(token: str, kind: str) -> Any:
    try:
        payload: Any = orjson.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        if not isinstance(payload, dict) or payload.get("k") != kind:
            raise InvalidToken(f"nextPageToken is not a token for {kind}")
        if payload["v"] != _VERSION:
            raise InvalidToken("this page token comes from another version of the repository")
        return payload
    except (binascii.Error, ValueError, KeyError, TypeError):
        raise InvalidToken("nextPageToken is not a token this repository issued") from None


@dataclass(frozen=True, slots=True)
class PageToken:
    """A page of events: the query's parameters and where the last page ended."""

    params: dict[str, list[str]]
    cursor: Cursor
    returned: int = 0  # events the earlier pages gave (eventCountLimit counts over all pages)

    def encode(self) -> str:
        cursor = [self.cursor.commit, self.cursor.position, self.cursor.value]
        return _encode({"k": "events", "q": self.params, "c": cursor, "n": self.returned})

    @classmethod
    def decode(cls, token: str) -> PageToken:
        payload = _decode(token, "events")
        try:
            params = {str(k): [str(v) for v in vs] for k, vs in payload["q"].items()}
            commit, position, value = payload["c"]
            cursor = Cursor(int(commit), int(position), None if value is None else int(value))
            returned = int(payload["n"])
        except (ValueError, KeyError, TypeError, AttributeError):
            raise InvalidToken("nextPageToken is not a token this repository issued") from None
        return cls(params, cursor, returned)

    def matches(self, params: Mapping[str, Sequence[str]]) -> bool:
        """Whether a request that repeats query parameters beside the token repeats them unchanged."""
        return all(list(values) == self.params.get(name) for name, values in params.items())


@dataclass(frozen=True, slots=True)
class AfterToken:
    """A page of a collection listed by key (capture jobs): the key of the last item given."""

    kind: str
    after: str

    def encode(self) -> str:
        return _encode({"k": self.kind, "a": self.after})

    @classmethod
    def decode(cls, token: str, kind: str) -> AfterToken:
        after = _decode(token, kind).get("a")
        if not isinstance(after, str):
            raise InvalidToken("nextPageToken is not a token this repository issued")
        return cls(kind, after)
