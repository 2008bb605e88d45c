"""Pagination as the REST bindings describe it: perPage, nextPageToken and a Link header."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TypeVar

from fastapi import Request

from epcis_repo.api.problems import query_problem
from epcis_repo.query.tokens import AfterToken, InvalidToken
from epcis_repo.settings import Settings

PAGING = ("perPage", "nextPageToken")
T = TypeVar("T")


_DIGITS = re.compile(r"[0-9]{1,9}")


def page_size(given: Sequence[str], settings: Settings) -> int:
    """The page size the perPage values of a request ask for; 400 unless one integer within bounds."""
    if not given:
        return settings.per_page_default
    if len(given) > 1 or not _DIGITS.fullmatch(given[0]):
        raise query_problem("perPage", "perPage must be one positive integer")
    per_page = int(given[0])
    if not 1 <= per_page <= settings.per_page_max:
        raise query_problem("perPage", f"perPage must be between 1 and {settings.per_page_max}")
    return per_page


def next_link(request: Request, per_page: int, token: str) -> str:
    url = request.url
    raw_path = request.scope.get("raw_path")
    if isinstance(raw_path, bytes):  # the path as the client encoded it: a value's %2F stays one
        url = url.replace(path=raw_path.decode("latin-1"))
    url = url.remove_query_params(list(request.query_params.keys())).include_query_params(
        perPage=per_page, nextPageToken=token
    )
    return f'<{url}>; rel="next"'


def collection_paging(request: Request, settings: Settings, kind: str, where: str) -> tuple[int, str | None]:
    """The page size and the `after` of the nextPageToken (of `kind`) of a request for a paged list;
    400 QueryParameterException naming any other parameter or a bad value."""
    params = request.query_params
    unknown = [name for name in params if name not in PAGING]
    if unknown:
        raise query_problem(unknown[0], f"{unknown[0]} is not a parameter of {where}")
    limit = page_size(params.getlist("perPage"), settings)
    tokens = params.getlist("nextPageToken")
    if len(tokens) > 1:
        raise query_problem("nextPageToken", "nextPageToken may be given once")
    try:
        after = AfterToken.decode(tokens[0], kind).after if tokens else None
    except InvalidToken as error:
        raise query_problem("nextPageToken", str(error)) from None
    return limit, after


def collection_page(
    request: Request, items: list[T], limit: int, kind: str, key: Callable[[T], str]
) -> tuple[list[T], dict[str, str]]:
    """Of `items` read as `limit` + 1, the page and its headers: a Link to the next page (a token of
    `kind` after the last item's `key`) when there is one."""
    if len(items) <= limit:
        return items, {}
    page = items[:limit]
    return page, {"Link": next_link(request, limit, AfterToken(kind, key(page[-1])).encode())}
