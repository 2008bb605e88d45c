"""The GS1 headers every response carries, the discovery headers of OPTIONS, version negotiation,
and the output-control headers of responses that return events."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, TypeVar

from fastapi import Depends, Header, Request
from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from epcis_repo import __version__
from epcis_repo.api.problems import Problem
from epcis_repo.epcis.rendering import CbvXmlFormat, EpcFormat, ExtensionPrefixes, OutputControl

EPCIS_VERSION = "2.0.0"
CBV_VERSION = "2.0.0"
_VERSION = re.compile(r"\d+(\.\d+)*")

VERSION_HEADERS = {"GS1-EPCIS-Version": EPCIS_VERSION, "GS1-CBV-Version": CBV_VERSION}


def discovery_headers(allow: str) -> dict[str, str]:
    return {
        "Allow": allow,
        "GS1-EPCIS-Version": EPCIS_VERSION,
        "GS1-EPCIS-Min": EPCIS_VERSION,
        "GS1-EPCIS-Max": EPCIS_VERSION,
        "GS1-CBV-Version": CBV_VERSION,
        "GS1-CBV-Min": CBV_VERSION,
        "GS1-CBV-Max": CBV_VERSION,
        # One value, as the header's schema has it. Client_Chooses left the enum (gs1/EPCIS#254, #388):
        # No_Preference is the server imposing no form, each request choosing its own.
        "GS1-EPC-Format": EpcFormat.NO_PREFERENCE.value,
        # No XML responses yet, so no CBV translation whatever the request says.
        "GS1-CBV-XML-Format": CbvXmlFormat.NEVER_TRANSLATES.value,
        "GS1-Extensions": "",
        "GS1-Vendor-Version": f"epcis-repo/{__version__}",
    }


def options(allow: str, **extra: str) -> Response:
    return Response(status_code=204, headers={**discovery_headers(allow), **extra})


def response_media_type(request: Request) -> str:
    """The JSON media type the request's Accept header allows; 406 when it allows neither."""
    accept = request.headers.get("accept", "*/*").lower()
    if "application/ld+json" in accept and "application/json" not in accept:
        return "application/ld+json"
    if any(t in accept for t in ("application/json", "application/ld+json", "*/*", "application/*")):
        return "application/json"
    detail = "This repository answers queries in application/json or application/ld+json."
    raise Problem(406, "NotAcceptableException", "Not acceptable", detail)


def _parse(value: str, header: str) -> tuple[int, ...]:
    if not _VERSION.fullmatch(value.strip()):
        raise Problem(400, "ValidationException", "Invalid header", f"{header} must be a version like 2.0.0.")
    return tuple(int(part) for part in value.strip().split("."))


def _not_acceptable(detail: str) -> Problem:
    return Problem(406, "NotAcceptableException", "Version not supported", detail)


def _check_versions(headers: Headers) -> None:
    """Refuse, with 406, a request whose GS1 version headers this repository (EPCIS/CBV 2.0) cannot meet."""
    for standard, ours in (("EPCIS", EPCIS_VERSION), ("CBV", CBV_VERSION)):
        mine = _parse(ours, "")
        stated = headers.get(f"GS1-{standard}-Version")
        if stated is not None and _parse(stated, f"GS1-{standard}-Version")[0] != mine[0]:
            raise _not_acceptable(
                f"This repository speaks {standard} {ours}; the request is {standard} {stated}."
            )
        low = headers.get(f"GS1-{standard}-Min")
        high = headers.get(f"GS1-{standard}-Max")
        if (low is not None and _parse(low, f"GS1-{standard}-Min")[:2] > mine[:2]) or (
            high is not None and _parse(high, f"GS1-{standard}-Max")[:2] < mine[:2]
        ):
            raise _not_acceptable(f"This repository speaks {standard} {ours}, outside the requested range.")


class GS1Headers:
    """ASGI middleware: check each request's version headers and stamp every response with ours.

    Plain ASGI rather than Starlette's BaseHTTPMiddleware, which costs a task and a stream per request.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            _check_versions(Headers(scope=scope))
        except Problem as problem:
            await problem.response(scope["path"])(scope, receive, self._stamping(send))
            return
        await self.app(scope, receive, self._stamping(send))

    @staticmethod
    def _stamping(send: Send) -> Send:
        async def stamped(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in VERSION_HEADERS.items():
                    if name not in headers:
                        headers.append(name, value)
            await send(message)

        return stamped


_Choice = TypeVar("_Choice", bound=StrEnum)


def _invalid_header(header: str, detail: str) -> Problem:
    return Problem(400, "ValidationException", "Invalid header", detail, header=header)


def _choice(header: str, given: str | None, values: type[_Choice], default: _Choice) -> _Choice:
    if given is None:
        return default
    try:
        return values(given.strip())
    except ValueError:
        allowed = ", ".join(values)
        raise _invalid_header(header, f"{header} must be one of {allowed}; got {given!r}.") from None


# async, though it never waits: FastAPI runs a plain function dependency on a worker thread.
async def output_control(
    epc_format: Annotated[
        str | None,
        Header(
            alias="GS1-EPC-Format",
            description="Notation of GS1 identifiers in returned events (default Always_GS1_Digital_Link).",
        ),
    ] = None,
    cbv_xml_format: Annotated[
        str | None,
        Header(alias="GS1-CBV-XML-Format", description="Checked, then ignored: only for XML responses."),
    ] = None,
    extensions: Annotated[
        list[str] | None,
        Header(alias="GS1-Extensions", description="prefix=namespace pairs for extension keys."),
    ] = None,
) -> OutputControl:
    """The output-control headers of a request that returns events; 400 when one is invalid.

    GS1-CBV-XML-Format only concerns XML responses, which this repository does not produce: it is
    checked, then ignored.
    """
    chosen = _choice("GS1-EPC-Format", epc_format, EpcFormat, EpcFormat.ALWAYS_GS1_DIGITAL_LINK)
    _choice("GS1-CBV-XML-Format", cbv_xml_format, CbvXmlFormat, CbvXmlFormat.NO_PREFERENCE)
    try:
        declared = ExtensionPrefixes.parse(",".join(extensions or ()))
    except ValueError as error:
        raise _invalid_header("GS1-Extensions", f"GS1-Extensions: {error}.") from None
    return OutputControl(chosen, declared)


OutputDep = Annotated[OutputControl, Depends(output_control)]
