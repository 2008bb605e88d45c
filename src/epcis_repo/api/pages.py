"""Pagination as the REST bindings describe it: perPage, nextPageToken and a Link header."""

from __future__ import annotations

from fastapi import Request

from epcis_repo.api.problems import query_problem
from epcis_repo.settings import Settings


def page_size(per_page: int | None, settings: Settings) -> int:
    if per_page is None:
        return settings.per_page_default
    if not 1 <= per_page <= settings.per_page_max:
        raise query_problem("perPage", f"perPage must be between 1 and {settings.per_page_max}")
    return per_page


def next_link(request: Request, per_page: int, token: str) -> str:
    url = request.url.remove_query_params(list(request.query_params.keys())).include_query_params(
        perPage=per_page, nextPageToken=token
    )
    return f'<{url}>; rel="next"'
