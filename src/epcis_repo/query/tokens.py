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


@dataclass(frozen=True, slots=True)
class PageToken:
    params: dict[str, list[str]]
    cursor: Cursor

    def encode(self) -> str:
        payload = {"v": _VERSION, "q": self.params, "c": [self.cursor.commit, self.cursor.position]}
        return base64.urlsafe_b64encode(orjson.dumps(payload)).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> PageToken:
        try:
            payload: Any = orjson.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
            if payload["v"] != _VERSION:
                raise InvalidToken("this page token comes from another version of the repository")
            params = {str(k): [str(v) for v in vs] for k, vs in payload["q"].items()}
            commit, position = (int(x) for x in payload["c"])
        except (binascii.Error, ValueError, KeyError, TypeError, AttributeError):
            raise InvalidToken("nextPageToken is not a token this repository issued") from None
        return cls(params, Cursor(commit, position))

    def matches(self, params: Mapping[str, Sequence[str]]) -> bool:
        """Whether a request that repeats query parameters beside the token repeats them unchanged."""
        return all(list(values) == self.params.get(name) for name, values in params.items())
