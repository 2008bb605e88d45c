"""Named queries: a definition in the query schema's JSON form, run like the URL form."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from epcis_repo.epcis.context import namespaces


def definition_params(query: Mapping[str, Any]) -> tuple[dict[str, list[str]], dict[str, str]]:
    """A named query's parameters as the URL form gives them (each name, every value as text), and
    the prefixes its ``@context`` declares for extension field names."""
    params: dict[str, list[str]] = {}
    for name, value in query.items():
        if name == "@context":
            continue
        values = value if isinstance(value, list) else [value]
        params[name] = [_text(v) for v in values]
    return params, namespaces(query.get("@context"))


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
