"""Output control: how stored events are written back to a client.

Two request headers of the REST binding shape the events a response returns:

* ``GS1-EPC-Format`` picks the notation of GS1 identifiers. ``Always_GS1_Digital_Link`` (the default
  when the header is absent) writes every GS1 key as its canonical Digital Link
  (``identifiers.to_digital_link``); ``Always_EPC_URN`` writes EPC URNs; ``Never_Translates`` and
  ``No_Preference`` (the server chooses, and this one chooses not to touch the data) return the
  identifiers as captured. Only the fields that carry EPCs, classes, locations, sources and
  destinations are rewritten (`EPC_FIELDS`); identifiers that are not GS1 keys never change, and
  neither does the event hash, which reduces both notations to the same canonical key.
* ``GS1-Extensions`` declares the client's prefixes (``ex1=https://ns.example.com/epcis/``). Extension
  keys in a declared namespace are renamed to the client's prefix and the event's own ``@context``
  gains the definition, so the event stays valid JSON-LD with the same meaning.

A Digital Link does not say where its GS1 Company Prefix ends, and an EPC URN needs it:
`CompanyPrefixes` knows the lengths it has been told (a table) or has read off captured URNs. A key
whose prefix length it does not know stays a Digital Link under ``Always_EPC_URN``, rather than
being guessed into a URN that could name a different company.

Stored events are JSON bytes. `Renderer` parses an event (orjson) only when something in it may
change; otherwise the bytes go out untouched.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import orjson

from epcis_repo.epcis.context import STANDARD_PREFIXES, namespaces
from epcis_repo.epcis.identifiers import Gs1Key, canonical_key, gs1_key, to_digital_link, to_epc_urn
from epcis_repo.epcis.xml import _CONTEXT_TERMS, _RESERVED_SCHEMES


class EpcFormat(StrEnum):
    """The values of the ``GS1-EPC-Format`` header."""

    NO_PREFERENCE = "No_Preference"
    ALWAYS_GS1_DIGITAL_LINK = "Always_GS1_Digital_Link"
    ALWAYS_EPC_URN = "Always_EPC_URN"
    NEVER_TRANSLATES = "Never_Translates"


class CbvXmlFormat(StrEnum):
    """The values of the ``GS1-CBV-XML-Format`` header (it only concerns XML responses)."""

    NO_PREFERENCE = "No_Preference"
    ALWAYS_WEB_URI = "Always_Web_URI"
    ALWAYS_URN = "Always_URN"
    NEVER_TRANSLATES = "Never_Translates"


# The identifier fields GS1-EPC-Format rewrites: (field, key inside each element or None for the value).
EPC_FIELDS: tuple[tuple[str, str | None], ...] = (
    ("epcList", None),
    ("childEPCs", None),
    ("inputEPCList", None),
    ("outputEPCList", None),
    ("parentID", None),
    ("quantityList", "epcClass"),
    ("childQuantityList", "epcClass"),
    ("inputQuantityList", "epcClass"),
    ("outputQuantityList", "epcClass"),
    ("readPoint", "id"),
    ("bizLocation", "id"),
    ("sourceList", "source"),
    ("destinationList", "destination"),
)

# --- GS1 Company Prefix lengths -------------------------------------------------------------------

# EPC schemes whose first component is a GS1 Company Prefix.
_GS1_SCHEMES = (
    "sgtin", "sscc", "sgln", "grai", "giai", "gsrn", "gsrnp", "gdti", "cpi", "sgcn", "ginc", "gsin", "itip",
    "upui", "pgln", "lgtin",
)  # fmt: skip
_SCHEME_NAMES = "|".join(_GS1_SCHEMES)
# An EPC URN as a JSON string in a stored body (a URN has no character JSON escapes), with its
# company prefix.
_URN_IN_JSON = re.compile(
    rf'"((?i:urn:epc:(?:id|class|idpat):(?:{_SCHEME_NAMES})):(\d{{6,12}})\.[^"\\]*)"'.encode()
)
# Keys that start with a digit before the company prefix: GTIN indicator, SSCC extension, GRAI's "0".
_LEADING_DIGIT_AIS = frozenset({"01", "00", "8003", "8006"})


def company_prefix_digits(key: Gs1Key) -> str:
    """The digits of a GS1 key that begin with its GS1 Company Prefix."""
    return key.value[1:] if key.ai in _LEADING_DIGIT_AIS else key.value


def stated_company_prefixes(body: bytes) -> set[str]:
    """The GS1 Company Prefixes the well-formed EPC URNs of a JSON event spell out (any field).

    A pattern (``urn:epc:idpat:sgtin:0614141.*.*``) states its prefix too, though it names no key.
    """
    stated: set[str] = set()
    for urn, prefix in _URN_IN_JSON.findall(body):
        digits = prefix.decode()
        if digits in stated:
            continue
        text = urn.decode("utf-8", "replace")
        if text[8:13].lower() == "idpat" or gs1_key(text) is not None:
            stated.add(digits)
    return stated


class CompanyPrefixes:
    """GS1 Company Prefix lengths, by the leading digits of a GS1 key.

    Entries map a digit prefix to the length of the company prefix of every key starting with it,
    as GS1's published GCP length table does; the longest matching entry wins. A company prefix an
    EPC URN stated is the entry ``prefix -> len(prefix)`` (`add_stated`).
    Safe to share between requests: an update is one dictionary assignment.
    """

    def __init__(self, entries: Mapping[str, int] | None = None) -> None:
        self._lengths: dict[str, int] = {}
        # Distinct entry sizes, longest first; replaced (never mutated) so readers need no lock.
        self._sizes: tuple[int, ...] = ()
        for prefix, length in (entries or {}).items():
            self.add(prefix, length)

    def add(self, prefix: str, length: int) -> None:
        """Record that keys starting with `prefix` have a company prefix of `length` digits.

        Raises ValueError for a prefix that is not 1-13 digits or a length outside 1-12.
        """
        if not (prefix.isascii() and prefix.isdigit() and len(prefix) <= 13) or not 1 <= length <= 12:
            raise ValueError(f"not a GS1 Company Prefix entry: {prefix!r} {length!r}")
        self._lengths[prefix] = length
        if len(prefix) not in self._sizes:
            self._sizes = tuple(sorted({*self._sizes, len(prefix)}, reverse=True))

    def add_stated(self, prefixes: Iterable[str]) -> None:
        """Record company prefixes as EPC URNs stated them: each is as long as it is."""
        for prefix in prefixes:
            if self._lengths.get(prefix) != len(prefix):
                self.add(prefix, len(prefix))

    def load(self, path: str | Path) -> int:
        """Add the entries of a GCP length table; the number of entries read.

        Either GS1's published JSON (``{"GCPPrefixFormatList": {"entry": [{"prefix": "0614141",
        "gcpLength": 7}, ...]}}``) or text, one ``prefix length`` per line (``#`` starts a comment).
        Raises ValueError naming the entry or line that is malformed.
        """
        text = Path(path).read_text(encoding="utf-8")
        if text.lstrip().startswith("{"):
            return self._load_gs1_json(path, text)
        count = 0
        for number, line in enumerate(text.splitlines(), 1):
            fields = line.split("#", 1)[0].replace(",", " ").split()
            if not fields:
                continue
            try:
                if len(fields) != 2:
                    raise ValueError("expected two fields")
                self.add(fields[0], int(fields[1]))
            except ValueError:
                raise ValueError(f"{path}:{number}: expected 'prefix length', got {line.strip()!r}") from None
            count += 1
        return count

    def _load_gs1_json(self, path: str | Path, text: str) -> int:
        try:
            entries = orjson.loads(text)["GCPPrefixFormatList"]["entry"]
            if not isinstance(entries, list):
                raise TypeError
        except (orjson.JSONDecodeError, KeyError, TypeError):
            raise ValueError(f"{path}: not a GS1 GCP length table (GCPPrefixFormatList.entry)") from None
        for number, entry in enumerate(entries):
            try:
                prefix, length = entry["prefix"], entry["gcpLength"]
                if not isinstance(prefix, str) or isinstance(length, bool):
                    raise TypeError
                self.add(prefix, int(length))
            except (KeyError, TypeError, ValueError):
                raise ValueError(
                    f"{path}: entry {number}: expected prefix and gcpLength, got {entry!r}"
                ) from None
        return len(entries)

    def length(self, key_digits: str) -> int | None:
        """The company prefix length of a key whose digits (from the company prefix on) are given."""
        for size in self._sizes:
            if len(key_digits) >= size:
                found = self._lengths.get(key_digits[:size])
                if found is not None:
                    return found
        return None


# --- GS1-Extensions -------------------------------------------------------------------------------

_PREFIX = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*")
_NAMESPACE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s\"<>{}|\\^`,]+")
_ITEM_SPLIT = re.compile(r"\s*,\s*")


@dataclass(frozen=True, slots=True)
class ExtensionPrefixes:
    """The prefixes a client declared in ``GS1-Extensions``: prefix -> namespace IRI."""

    by_prefix: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, value: str) -> ExtensionPrefixes:
        """Read ``prefix=namespace`` pairs separated by commas. Raises ValueError saying what is wrong.

        A prefix must be usable in a key (a URI scheme, so ``prefix:name`` is a URI), must not be a
        scheme that values really use (``urn``, ``https`` ...) nor redefine a term of the protected
        EPCIS context; a prefix or a namespace may only be declared once.
        """
        by_prefix: dict[str, str] = {}
        for item in _ITEM_SPLIT.split(value.strip()):
            if not item:
                continue
            prefix, equals, namespace = (part.strip() for part in item.partition("="))
            if not equals or not _PREFIX.fullmatch(prefix) or not _NAMESPACE.fullmatch(namespace):
                raise ValueError(f"{item!r} is not prefix=namespace (e.g. ex=https://ns.example.com/epcis/)")
            if prefix.lower() in _RESERVED_SCHEMES or prefix in _CONTEXT_TERMS:
                raise ValueError(f"the prefix {prefix!r} is reserved")
            if STANDARD_PREFIXES.get(prefix, namespace) != namespace:
                raise ValueError(f"the prefix {prefix!r} is the EPCIS context's {STANDARD_PREFIXES[prefix]}")
            if prefix in by_prefix:
                raise ValueError(f"the prefix {prefix!r} is declared twice")
            if namespace in by_prefix.values():
                raise ValueError(f"the namespace {namespace!r} is declared twice")
            by_prefix[prefix] = namespace
        return cls(by_prefix)

    def __bool__(self) -> bool:
        return bool(self.by_prefix)


def extensions_header(pairs: Mapping[str, str]) -> str:
    """The ``GS1-Extensions`` value for prefix -> namespace pairs."""
    return ", ".join(f"{prefix}={namespace}" for prefix, namespace in pairs.items())


# --- rendering ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OutputControl:
    """What a request asked for: the identifier notation and the client's extension prefixes."""

    epc_format: EpcFormat = EpcFormat.ALWAYS_GS1_DIGITAL_LINK
    extensions: ExtensionPrefixes = field(default_factory=ExtensionPrefixes)


# A colon, then no quote up to the end of a key: in JSON as orjson writes it, only a key with a colon
# (a CURIE or an IRI: an extension) has that. A false positive (an escaped quote in a value) only
# costs a parse; a key with an escaped quote after its colon would be missed.
_MAYBE_EXTENSION_KEY = re.compile(rb':[^"]*+":')
_STANDARD_PAIRS = frozenset(STANDARD_PREFIXES.items())


def translate_identifiers(event: dict[str, Any], convert: Callable[[str], str]) -> None:
    """Rewrite, in place, the identifiers of the `EPC_FIELDS` of an event with `convert`."""
    for name, inner in EPC_FIELDS:
        value = event.get(name)
        if value is None:
            continue
        if inner is None:
            if isinstance(value, str):
                event[name] = convert(value)
            elif isinstance(value, list):
                event[name] = [convert(v) if isinstance(v, str) else v for v in value]
            continue
        for element in value if isinstance(value, list) else (value,):
            if isinstance(element, dict) and isinstance(element.get(inner), str):
                element[inner] = convert(element[inner])


def _keys(value: Any, into: set[str] | None = None) -> set[str]:
    """Every key with a colon (CURIE or IRI) of every object inside an event, except its @context."""
    keys = set() if into is None else into
    if isinstance(value, dict):
        for key, inner in value.items():
            if key != "@context":
                if ":" in key:
                    keys.add(key)
                if isinstance(inner, (dict, list)):
                    _keys(inner, keys)
    elif isinstance(value, list):
        for inner in value:
            if isinstance(inner, (dict, list)):
                _keys(inner, keys)
    return keys


def _renamed(value: Any, names: Mapping[str, str]) -> Any:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, inner in value.items():
            new = names.get(key, key) if key != "@context" else key
            # Never let a renamed key overwrite another one of the same object.
            if new != key and (new in value or new in out):
                new = key
            out[new] = inner if key == "@context" else _renamed(inner, names)
        return out
    if isinstance(value, list):
        return [_renamed(inner, names) for inner in value]
    return value


def rename_extensions(
    event: dict[str, Any], client: ExtensionPrefixes
) -> tuple[dict[str, Any], dict[str, str]]:
    """The event with its extension keys in the client's prefixes (the same object when nothing
    changes), and the prefix -> namespace pairs its extension keys use afterwards (the EPCIS
    context's own prefixes left out).

    A key (CURIE or full IRI) whose expanded IRI starts with a namespace the client declared becomes
    ``clientprefix:local``; the event's ``@context`` gains the client's definitions it now needs. A
    CURIE whose prefix the client uses for another namespace is written as its full IRI, since the
    added definition would change its meaning. Other keys are left as they are, and so is every key
    of an event with an IRI key whose scheme is a client prefix (``mine:x`` with ``mine`` undefined):
    defining ``mine`` would change that key's meaning and no other spelling of it exists.
    """
    context = event.get("@context")
    prefixes = namespaces(context)
    keys = _keys(event)
    split = [(key, *key.partition(":")[::2]) for key in keys]
    blocked = {p for _, p, rest in split if p not in prefixes and not rest.startswith("//")}
    client_namespaces = sorted(
        ((namespace, prefix) for prefix, namespace in client.by_prefix.items() if prefix not in blocked),
        key=lambda pair: -len(pair[0]),
    )
    names: dict[str, str] = {}
    added: dict[str, str] = {}
    clashes: dict[str, str] = {}
    for key, prefix, rest in split:
        curie = prefix in prefixes and not rest.startswith("//")
        iri = prefixes[prefix] + rest if curie else key
        for namespace, mine in client_namespaces:
            local = iri[len(namespace) :]
            if iri.startswith(namespace) and local and not local.startswith("//"):
                if f"{mine}:{local}" != key:
                    names[key] = f"{mine}:{local}"
                if prefixes.get(mine) != namespace:
                    added[mine] = namespace
                break
        else:
            if curie and prefix in client.by_prefix:
                clashes[key] = iri
    names.update({key: iri for key, iri in clashes.items() if key.partition(":")[0] in added})
    if names:
        event = _renamed(event, names)
    if added:
        parts = [] if context is None else context if isinstance(context, list) else [context]
        event = {**event, "@context": [*parts, added]}
        prefixes.update(added)
    used: dict[str, str] = {}
    for key in {names.get(k, k) for k in keys} if names else keys:
        prefix, colon, rest = key.partition(":")
        if colon and prefix in prefixes and not rest.startswith("//"):
            if (prefix, prefixes[prefix]) not in _STANDARD_PAIRS:
                used[prefix] = prefixes[prefix]
    return event, dict(sorted(used.items()))


class Renderer:
    """Writes the stored events of one response the way its request asked.

    `extensions` collects the prefix -> namespace pairs of the extension keys of the rendered
    events (for the response's ``GS1-Extensions`` header).
    """

    def __init__(self, output: OutputControl, prefixes: CompanyPrefixes) -> None:
        self.output = output
        self.prefixes = prefixes
        self.extensions: dict[str, str] = {}
        self._converted: dict[str, str] = {}
        self._convert: Callable[[str], str] | None = None
        if output.epc_format is EpcFormat.ALWAYS_GS1_DIGITAL_LINK:
            self._convert = self._to_digital_link
        elif output.epc_format is EpcFormat.ALWAYS_EPC_URN:
            self._convert = self._to_epc_urn

    def render_many(self, bodies: Sequence[bytes]) -> list[bytes]:
        return [self.render(body) for body in bodies]

    def render(self, body: bytes) -> bytes:
        """A stored event body as this response returns it (still without recordTime)."""
        extensions = _MAYBE_EXTENSION_KEY.search(body) is not None
        if self._convert is None and not extensions:
            return body
        event: dict[str, Any] = orjson.loads(body)
        if self._convert is not None:
            translate_identifiers(event, self._convert)
        if extensions:
            renamed, used = rename_extensions(event, self.output.extensions)
            for prefix, namespace in used.items():
                self.extensions.setdefault(prefix, namespace)
            if renamed is event and self._convert is None:
                return body  # parsed only for the header
            event = renamed
        return orjson.dumps(event)

    def identifier(self, uri: str) -> str:
        """One identifier as this response writes the identifiers of events."""
        return self._convert(uri) if self._convert is not None else uri

    @property
    def headers(self) -> dict[str, str]:
        return {"GS1-Extensions": extensions_header(self.extensions)} if self.extensions else {}

    def _to_digital_link(self, uri: str) -> str:
        return to_digital_link(uri) or uri

    def _to_epc_urn(self, uri: str) -> str:
        found = self._converted.get(uri)
        if found is None:
            found = self._converted[uri] = self._epc_urn(uri)
        return found

    def _epc_urn(self, uri: str) -> str:
        if uri[:8].lower() == "urn:epc:":
            return uri
        key = gs1_key(uri)
        if key is None:
            return uri
        length = self.prefixes.length(company_prefix_digits(key))
        if length is None:
            return uri  # the company prefix length is unknown: stays a Digital Link
        urn = to_epc_urn(uri, length) or _class_pattern(key, length)
        # Only a URN that names the same key; the event hash depends on it.
        return urn if urn is not None and canonical_key(urn) == key.digital_link else uri


def _class_pattern(key: Gs1Key, length: int) -> str | None:
    """The EPC pattern URN of a class without serials (a GTIN-only or ITIP-only Digital Link)."""
    if key.qualifier is not None or key.ai not in ("01", "8006") or not 6 <= length <= 12:
        return None
    gtin = key.value[:14]
    split = f"{gtin[1 : 1 + length]}.{gtin[0]}{gtin[1 + length : 13]}"
    if key.ai == "01":
        return f"urn:epc:idpat:sgtin:{split}.*"
    return f"urn:epc:idpat:itip:{split}.{key.value[14:16]}.{key.value[16:18]}.*"
