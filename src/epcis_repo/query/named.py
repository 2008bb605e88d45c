"""Named queries: a definition in the query schema's JSON form, run like the URL form."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from epcis_repo.epcis.context import namespaces
from epcis_repo.query.params import QueryParameterError


def definition_params(query: Mapping[str, Any]) -> tuple[dict[str, list[str]], dict[str, str]]:
    """A named query's parameters as the URL form gives them (each name, every value as text), and
    the prefixes its ``@context`` declares for extension field names.

    Raises QueryParameterError for a value that is neither a string, number, boolean or null nor
    a list of them.
    """
    params: dict[str, list[str]] = {}
    for name, value in query.items():
        if name == "@context":
            continue
        values = value if isinstance(value, list) else [value]
        if any(isinstance(v, dict | list) for v in values):
            raise QueryParameterError(name, f"{name} takes a value or a list of values, not an object")
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
