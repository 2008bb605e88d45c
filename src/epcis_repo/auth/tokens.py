"""OAuth2 bearer tokens (JWTs) from an external identity provider, mapped to the same principals as keys.

Configured by the issuer, the audience and the provider's JSON Web Key Set (a URL, fetched and
cached, or a file for installations without outbound access). A token is accepted when its
signature verifies with a key of the set (asymmetric algorithms only), and its issuer, audience and
expiry hold; its subject names the principal, one claim the organisation, another the roles.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jwt

from epcis_repo.auth.model import ORGANISATION_MAX, Principal, Role, is_organisation_id

_ALGORITHMS = ["RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256", "PS384", "PS512", "EdDSA"]


class InvalidToken(Exception):
    """The token cannot be accepted; the message says why (for the 401 detail)."""


class TokenVerifier:
    def __init__(
        self,
        issuer: str,
        audience: str,
        jwks: str,
        organisation_claim: str = "org",
        roles_claim: str = "roles",
    ) -> None:
        self.issuer = issuer
        self.audience = audience
        self.organisation_claim = organisation_claim
        self.roles_claim = roles_claim
        if jwks.startswith(("https://", "http://")):
            self._client: jwt.PyJWKClient | None = jwt.PyJWKClient(jwks, cache_keys=True, lifespan=3600)
            self._keys: jwt.PyJWKSet | None = None
        else:
            self._client = None
            self._keys = jwt.PyJWKSet.from_dict(json.loads(Path(jwks).read_text(encoding="utf-8")))

    def principal(self, token: str) -> Principal:
        try:
            key = self._signing_key(token)
            if key.algorithm_name not in _ALGORITHMS:
                raise jwt.InvalidAlgorithmError(f"the key set's key is for {key.algorithm_name}")
            # Only the algorithm of the key itself: a token naming another is refused, never tried.
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[key.algorithm_name],
                audience=self.audience,
                issuer=self.issuer,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except (jwt.PyJWTError, TypeError, ValueError) as error:
            raise InvalidToken(f"the bearer token was refused: {error}") from None
        organisation = claims.get(self.organisation_claim)
        if not isinstance(organisation, str) or not is_organisation_id(organisation):
            raise InvalidToken(
                f"the token's {self.organisation_claim!r} claim does not name an organisation (1 to "
                f"{ORGANISATION_MAX} printable characters)"
            )
        return Principal(f"token:{claims['sub']}", organisation, _roles(claims.get(self.roles_claim)))

    def _signing_key(self, token: str) -> jwt.PyJWK:
        if self._client is not None:
            return self._client.get_signing_key_from_jwt(token)
        assert self._keys is not None
        header = jwt.get_unverified_header(token)
        kid = header.get("kid")
        candidates = [k for k in self._keys.keys if kid is None or k.key_id == kid]
        if not candidates:
            raise jwt.InvalidKeyError(f"no key {kid!r} in the configured key set")
        return candidates[0]


def _roles(value: Any) -> frozenset[Role]:
    """Roles as a list or a space-separated string; names that are not roles are ignored."""
    names = value.split() if isinstance(value, str) else value if isinstance(value, list) else []
    return frozenset(Role(name) for name in names if name in Role.__members__.values())
