"""GS1 identifiers in their two notations, and the one key they are matched by.

EPCIS 2.0 data names objects, locations and parties either with EPC URNs
(GS1 Tag Data Standard: ``urn:epc:id:sgtin:0614141.107346.2017``) or with
GS1 Digital Link URIs (``https://id.gs1.org/01/10614141073464/21/2017``).
Both name the same thing, so the repository reduces every identifier to one
*canonical key*: the constrained canonical Digital Link (canonical domain
``https://id.gs1.org``, AIs instead of short names, GTIN padded to 14 digits,
no query string, only the finest key qualifier, one percent-encoding). It is
the form the CBV 2.0 event hash uses, so the same function serves indexing,
matching and hashing. Identifiers that are not GS1 keys (private URNs, other
URLs, ``geo:`` URIs) are their own key.

Turning a Digital Link back into an EPC URN needs the length of the GS1
Company Prefix, which the Digital Link does not carry; callers supply it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property, lru_cache
from urllib.parse import unquote

DL_ORIGIN = "https://id.gs1.org"

# Characters a canonical Digital Link keeps as they are inside a key value; every other character is
# percent-encoded. This is the Tag Data Standard's URN character set minus the characters the Digital
# Link standard reserves (! ( ) * + , :), so URN and Digital Link inputs meet in one spelling.
_DL_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._';=")
# Characters an EPC URN component may carry unescaped (TDS "GS1 AI encodable character set 82").
_URN_SAFE = _DL_SAFE | frozenset("!()*+,:")


class Kind(StrEnum):
    """What an identifier names: one object, a class of objects (a GTIN or a lot), or a pattern."""

    INSTANCE = "instance"
    CLASS = "class"
    PATTERN = "pattern"
    OTHER = "other"


@dataclass(frozen=True)
class Gs1Key:
    """A GS1 identification key as element strings: primary AI and value, plus at most one qualifier."""

    ai: str
    value: str
    qualifier: tuple[str, str] | None = None

    @cached_property
    def digital_link(self) -> str:
        link = f"{DL_ORIGIN}/{self.ai}/{_dl_encode(self.value)}"
        if self.qualifier is not None:
            link += f"/{self.qualifier[0]}/{_dl_encode(self.qualifier[1])}"
        return link

    @property
    def kind(self) -> Kind:
        if self.ai == "01":
            return Kind.INSTANCE if self.qualifier and self.qualifier[0] in ("21", "235") else Kind.CLASS
        if self.ai == "8006":
            return Kind.INSTANCE if self.qualifier and self.qualifier[0] == "21" else Kind.CLASS
        return Kind.INSTANCE


def check_digit(digits: str) -> str:
    """GS1 mod-10 check digit for the digits that precede it (GTIN, GLN, SSCC, GSRN, GSIN ...)."""
    reversed_digits = digits[::-1]
    total = 3 * sum(map(int, reversed_digits[::2])) + sum(map(int, reversed_digits[1::2]))
    return str(-total % 10)


def _dl_encode(value: str) -> str:
    return "".join(c if c in _DL_SAFE else "".join(f"%{b:02X}" for b in c.encode()) for c in value)


def _urn_encode(value: str) -> str:
    return "".join(c if c in _URN_SAFE else "".join(f"%{b:02X}" for b in c.encode()) for c in value)


# --- EPC URN -> key -----------------------------------------------------------------------------------

_DIGITS = re.compile(r"\d*")
_URN_COMPONENT = re.compile(r"(?:[A-Za-z0-9\-._';=!()*+,:]|%[0-9A-Fa-f]{2})*")


class _Bad(ValueError):
    """An EPC URN whose scheme is known but whose components break the Tag Data Standard."""


def _digits(value: str, length: int | None = None, *, max_length: int | None = None) -> str:
    if not _DIGITS.fullmatch(value) or (length is not None and len(value) != length):
        raise _Bad(value)
    if max_length is not None and len(value) > max_length:
        raise _Bad(value)
    return value


def _company_prefix(value: str) -> str:
    if not (6 <= len(value) <= 12):
        raise _Bad(value)
    return _digits(value)


def _text(value: str, max_length: int, *, allow_empty: bool = False) -> str:
    if not _URN_COMPONENT.fullmatch(value):
        raise _Bad(value)
    decoded = unquote(value)
    if len(decoded) > max_length or (not decoded and not allow_empty):
        raise _Bad(value)
    return decoded


def _gtin(cp: str, indicator_and_ref: str) -> str:
    _digits(indicator_and_ref, 13 - len(cp))
    body = indicator_and_ref[:1] + cp + indicator_and_ref[1:]
    return body + check_digit(body)


def _with_check(cp: str, ref: str, total: int) -> str:
    body = cp + _digits(ref, total - 1 - len(cp))
    return body + check_digit(body)


def _sgtin(cp: str, ir: str, serial: str) -> Gs1Key:
    return Gs1Key("01", _gtin(cp, ir), ("21", _text(serial, 20)))


def _sscc(cp: str, ref: str) -> Gs1Key:
    _digits(ref, 17 - len(cp))
    body = ref[:1] + cp + ref[1:]
    return Gs1Key("00", body + check_digit(body))


def _sgln(cp: str, ref: str, ext: str) -> Gs1Key:
    gln = _with_check(cp, ref, 13)
    extension = _text(ext, 20)
    return Gs1Key("414", gln, None if extension == "0" else ("254", extension))


def _grai(cp: str, asset_type: str, serial: str) -> Gs1Key:
    return Gs1Key("8003", "0" + _with_check(cp, asset_type, 13) + _text(serial, 16, allow_empty=True))


def _giai(cp: str, ref: str) -> Gs1Key:
    return Gs1Key("8004", cp + _text(ref, 30 - len(cp)))


def _gsrn(cp: str, ref: str) -> Gs1Key:
    return Gs1Key("8018", _with_check(cp, ref, 18))


def _gsrnp(cp: str, ref: str) -> Gs1Key:
    return Gs1Key("8017", _with_check(cp, ref, 18))


def _gdti(cp: str, doc_type: str, serial: str) -> Gs1Key:
    return Gs1Key("253", _with_check(cp, doc_type, 13) + _text(serial, 17, allow_empty=True))


def _cpi(cp: str, ref: str, serial: str) -> Gs1Key:
    return Gs1Key("8010", cp + _text(ref, 30 - len(cp)), ("8011", _digits(serial, max_length=12)))


def _sgcn(cp: str, ref: str, serial: str) -> Gs1Key:
    return Gs1Key("255", _with_check(cp, ref, 13) + _digits(serial, max_length=12))


def _ginc(cp: str, ref: str) -> Gs1Key:
    return Gs1Key("401", cp + _text(ref, 30 - len(cp)))


def _gsin(cp: str, ref: str) -> Gs1Key:
    return Gs1Key("402", _with_check(cp, ref, 17))


def _itip(cp: str, ir: str, piece: str, total: str, serial: str) -> Gs1Key:
    value = _gtin(cp, ir) + _digits(piece, 2) + _digits(total, 2)
    return Gs1Key("8006", value, ("21", _text(serial, 20)))


def _upui(cp: str, ir: str, tpx: str) -> Gs1Key:
    return Gs1Key("01", _gtin(cp, ir), ("235", _text(tpx, 28)))


def _pgln(cp: str, ref: str) -> Gs1Key:
    return Gs1Key("417", _with_check(cp, ref, 13))


def _lgtin(cp: str, ir: str, lot: str) -> Gs1Key:
    return Gs1Key("01", _gtin(cp, ir), ("10", _text(lot, 20)))


# Pattern URNs whose only wildcard is the last component name a class with a Digital Link of its own.
def _sgtin_class(cp: str, ir: str) -> Gs1Key:
    return Gs1Key("01", _gtin(cp, ir))


def _grai_class(cp: str, asset_type: str) -> Gs1Key:
    return Gs1Key("8003", "0" + _with_check(cp, asset_type, 13))


def _gdti_class(cp: str, doc_type: str) -> Gs1Key:
    return Gs1Key("253", _with_check(cp, doc_type, 13))


def _sgcn_class(cp: str, ref: str) -> Gs1Key:
    return Gs1Key("255", _with_check(cp, ref, 13))


def _cpi_class(cp: str, ref: str) -> Gs1Key:
    return Gs1Key("8010", cp + _text(ref, 30 - len(cp)))


def _itip_class(cp: str, ir: str, piece: str, total: str) -> Gs1Key:
    return Gs1Key("8006", _gtin(cp, ir) + _digits(piece, 2) + _digits(total, 2))


_Builder = Callable[..., Gs1Key]

# scheme -> (number of components, builder). The first component is always the GS1 Company Prefix.
_ID_SCHEMES: dict[str, tuple[int, _Builder]] = {
    "sgtin": (3, _sgtin),
    "sscc": (2, _sscc),
    "sgln": (3, _sgln),
    "grai": (3, _grai),
    "giai": (2, _giai),
    "gsrn": (2, _gsrn),
    "gsrnp": (2, _gsrnp),
    "gdti": (3, _gdti),
    "cpi": (3, _cpi),
    "sgcn": (3, _sgcn),
    "ginc": (2, _ginc),
    "gsin": (2, _gsin),
    "itip": (5, _itip),
    "upui": (3, _upui),
    "pgln": (2, _pgln),
}
_CLASS_SCHEMES: dict[str, tuple[int, _Builder]] = {"lgtin": (3, _lgtin)}
_PATTERN_CLASSES: dict[str, tuple[int, _Builder]] = {
    "sgtin": (3, _sgtin_class),
    "grai": (3, _grai_class),
    "gdti": (3, _gdti_class),
    "sgcn": (3, _sgcn_class),
    "cpi": (3, _cpi_class),
    "itip": (5, _itip_class),
    "upui": (3, _sgtin_class),
}

_EPC_URN = re.compile(r"(?i)urn:epc:(id|class|idpat):([a-z0-9]+):(.*)")


def parse_epc_urn(uri: str) -> Gs1Key | None:
    """The GS1 key an EPC URN names, or None when it is not a GS1 scheme this module knows.

    Raises ValueError when the scheme is known but the URN breaks the Tag Data Standard.
    A pattern URN is converted only when its single wildcard is the last component
    (``urn:epc:idpat:sgtin:0614141.107346.*`` is the GTIN ``/01/10614141073464``).
    """
    m = _EPC_URN.fullmatch(uri.strip())
    if m is None:
        return None
    family, scheme, body = m.group(1).lower(), m.group(2).lower(), m.group(3)
    parts = body.split(".")
    if family == "id":
        table = _ID_SCHEMES
    elif family == "class":
        table = _CLASS_SCHEMES
    else:
        table = _PATTERN_CLASSES
        if scheme not in table or len(parts) != table[scheme][0] or parts[-1] != "*":
            return None
        if "*" in parts[:-1]:
            return None
        parts = parts[:-1]
    if scheme not in table:
        return None
    arity, build = table[scheme]
    expected = arity - 1 if family == "idpat" else arity
    if len(parts) != expected:
        # giai/ginc/cpi references may themselves contain dots; rejoin the overflow into the last part.
        if family == "id" and scheme in ("giai", "ginc") and len(parts) > expected:
            parts = [parts[0], ".".join(parts[1:])]
        elif family == "id" and scheme == "cpi" and len(parts) > expected:
            parts = [parts[0], ".".join(parts[1:-1]), parts[-1]]
        else:
            raise ValueError(f"{uri!r}: a {scheme} EPC URN has {expected} components")
    try:
        _company_prefix(parts[0])
        return build(*parts)
    except _Bad as bad:
        raise ValueError(f"{uri!r} is not a valid {scheme} EPC URN (component {str(bad)!r})") from None


# --- Digital Link -> key ------------------------------------------------------------------------------

_SHORT_NAMES = {
    "gtin": "01", "itip": "8006", "cpid": "8010", "gln": "414", "party": "417", "gsrnp": "8017",
    "gsrn": "8018", "gcn": "255", "sscc": "00", "gdti": "253", "ginc": "401", "gsin": "402",
    "grai": "8003", "giai": "8004", "cpv": "22", "lot": "10", "ser": "21",
}  # fmt: skip

# Primary key AI -> (syntax of its value, qualifiers in order of preference: the finest one is kept).
_PRIMARY: dict[str, tuple[re.Pattern[str], tuple[str, ...]]] = {
    "00": (re.compile(r"\d{18}"), ()),
    "01": (re.compile(r"\d{8}|\d{12,14}"), ("21", "235", "10")),
    "253": (re.compile(r"\d{13}.{0,17}"), ()),
    "255": (re.compile(r"\d{13}\d{0,12}"), ()),
    "401": (re.compile(r".{1,30}"), ()),
    "402": (re.compile(r"\d{17}"), ()),
    "414": (re.compile(r"\d{13}"), ("254",)),
    "417": (re.compile(r"\d{13}"), ()),
    "8003": (re.compile(r"\d{14}.{0,16}"), ()),
    "8004": (re.compile(r".{1,30}"), ()),
    "8006": (re.compile(r"\d{18}"), ("21", "10")),
    "8010": (re.compile(r".{1,30}"), ("8011",)),
    "8017": (re.compile(r"\d{18}"), ()),
    "8018": (re.compile(r"\d{18}"), ()),
}
_QUALIFIER_AIS = frozenset({"21", "235", "10", "22", "254", "8011"})
_URL = re.compile(r"(?i)https?://[^/?#]+(/[^?#]*)?(?:\?[^#]*)?(?:#.*)?")


def parse_digital_link(uri: str) -> Gs1Key | None:
    """The GS1 key of a GS1 Digital Link URI on any domain, or None if the URI is not one."""
    m = _URL.fullmatch(uri.strip())
    if m is None or not m.group(1):
        return None
    segments = [unquote(s) for s in m.group(1).split("/")[1:]]
    if segments and segments[-1] == "":
        segments.pop()
    # The key path may follow a path prefix of the resolver's own; the key is the first AI whose value
    # is valid and after which only qualifier pairs follow.
    for start in range(len(segments) - 1):
        ai = _SHORT_NAMES.get(segments[start], segments[start])
        if ai not in _PRIMARY:
            continue
        value_syntax, preferred = _PRIMARY[ai]
        value = segments[start + 1]
        if not value_syntax.fullmatch(value):
            continue
        rest = segments[start + 2 :]
        if len(rest) % 2:
            continue
        qualifiers = {_SHORT_NAMES.get(rest[i], rest[i]): rest[i + 1] for i in range(0, len(rest), 2)}
        if not set(qualifiers) <= _QUALIFIER_AIS:
            continue
        if ai == "01":
            value = value.zfill(14)
        chosen = next(((q, qualifiers[q]) for q in preferred if q in qualifiers), None)
        return Gs1Key(ai, value, chosen)
    return None


# --- public API ---------------------------------------------------------------------------------------


@lru_cache(maxsize=1 << 16)
def _parsed(uri: str) -> tuple[Gs1Key | None, str | None]:
    """The key of an identifier and, for a malformed EPC URN, why; cached because capture, hashing and
    validation all look at the same identifiers, and documents repeat locations and classes."""
    try:
        return parse_epc_urn(uri) or parse_digital_link(uri), None
    except ValueError as error:
        return None, str(error)


def gs1_key(uri: str) -> Gs1Key | None:
    """The GS1 key an identifier names, in either notation; None for other identifiers and malformed URNs."""
    return _parsed(uri)[0]


def to_digital_link(uri: str) -> str | None:
    """The constrained canonical GS1 Digital Link of a GS1 identifier, or None."""
    key = gs1_key(uri)
    return key.digital_link if key is not None else None


def canonical_key(uri: str) -> str:
    """The key an identifier is stored, matched and hashed by (see the module docstring)."""
    key = gs1_key(uri)
    return key.digital_link if key is not None else uri.strip()


def kind(uri: str) -> Kind:
    """Whether an identifier names an instance, a class or a pattern (OTHER when it is not a GS1 key)."""
    stripped = uri.strip()
    lowered = stripped[:16].lower()
    if lowered.startswith("urn:epc:idpat:"):
        return Kind.PATTERN
    if lowered.startswith("urn:epc:class:"):
        return Kind.CLASS
    key = gs1_key(stripped)
    return key.kind if key is not None else Kind.OTHER


def validate_epc_urn(uri: str) -> str | None:
    """A readable reason why an ``urn:epc:`` URN of a known GS1 scheme is malformed, or None."""
    return _parsed(uri)[1]


# --- Digital Link -> EPC URN --------------------------------------------------------------------------


def to_epc_urn(uri: str, company_prefix_length: int) -> str | None:
    """The EPC URN of a GS1 identifier given the length of its GS1 Company Prefix (6..12), or None.

    None when the key has no EPC URN (e.g. a GTIN without serial or lot) or the length does not fit.
    """
    key = gs1_key(uri)
    if key is None or not 6 <= company_prefix_length <= 12:
        return None
    n = company_prefix_length
    v = key.value
    q = key.qualifier

    def split_gtin(gtin: str) -> str:
        return f"{gtin[1 : 1 + n]}.{gtin[0]}{gtin[1 + n : 13]}"

    if key.ai == "01" and q is not None:
        scheme = {"21": "id:sgtin", "235": "id:upui", "10": "class:lgtin"}[q[0]]
        return f"urn:epc:{scheme}:{split_gtin(v)}.{_urn_encode(q[1])}"
    if key.ai == "00":
        return f"urn:epc:id:sscc:{v[1 : 1 + n]}.{v[0]}{v[1 + n : 17]}"
    if key.ai == "414":
        ext = _urn_encode(q[1]) if q else "0"
        return f"urn:epc:id:sgln:{v[:n]}.{v[n:12]}.{ext}"
    if key.ai == "417":
        return f"urn:epc:id:pgln:{v[:n]}.{v[n:12]}"
    if key.ai in ("8017", "8018"):
        return f"urn:epc:id:{'gsrnp' if key.ai == '8017' else 'gsrn'}:{v[:n]}.{v[n:17]}"
    if key.ai == "402":
        return f"urn:epc:id:gsin:{v[:n]}.{v[n:16]}"
    if key.ai == "8003":
        return f"urn:epc:id:grai:{v[1 : 1 + n]}.{v[1 + n : 13]}.{_urn_encode(v[14:])}"
    if key.ai == "253":
        return f"urn:epc:id:gdti:{v[:n]}.{v[n:12]}.{_urn_encode(v[13:])}"
    if key.ai == "255":
        return f"urn:epc:id:sgcn:{v[:n]}.{v[n:12]}.{v[13:]}"
    if key.ai in ("8004", "401") and len(v) > n:
        return f"urn:epc:id:{'giai' if key.ai == '8004' else 'ginc'}:{v[:n]}.{_urn_encode(v[n:])}"
    if key.ai == "8010" and q is not None and len(v) > n:
        return f"urn:epc:id:cpi:{v[:n]}.{_urn_encode(v[n:])}.{q[1]}"
    if key.ai == "8006" and q is not None and q[0] == "21":
        return f"urn:epc:id:itip:{split_gtin(v[:14])}.{v[14:16]}.{v[16:18]}.{_urn_encode(q[1])}"
    return None


# --- matching -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class KeyMatch:
    """Which canonical keys a query value matches: ``key == prefix`` when `exact`, else keys that start
    with `prefix` and whose remainder fully matches `tail` (any remainder when `tail` is None).

    A literal prefix lets every store answer with an index range; `tail` is a fixed shape built here,
    never from user input.
    """

    prefix: str
    exact: bool = False
    tail: str | None = None

    def matches(self, key: str) -> bool:
        if self.exact:
            return key == self.prefix
        if not key.startswith(self.prefix):
            return False
        return self.tail is None or re.fullmatch(self.tail, key[len(self.prefix) :]) is not None


_ANY_VALUE = r"[^/]+"
_SCHEME_AI = {
    "sgtin": "01", "upui": "01", "sscc": "00", "sgln": "414", "grai": "8003", "giai": "8004", "gsrn": "8018",
    "gsrnp": "8017", "gdti": "253", "cpi": "8010", "sgcn": "255", "ginc": "401", "gsin": "402",
    "itip": "8006", "pgln": "417",
}  # fmt: skip
# Instance keys of the GTIN-based schemes: what follows the GTIN (or ITIP digits) in the key.
_GTIN_INSTANCE = {"sgtin": "/21/", "upui": "/235/", "itip": "/21/"}


def instance_matches(value: str) -> list[KeyMatch]:
    """How a MATCH_epc / MATCH_anyEPC value selects instance identifiers.

    An identifier matches itself in any notation. An EPC pattern URN (``urn:epc:idpat:``) matches every
    identifier it covers, ``*`` standing for any value of that component and of all after it; a GTIN
    without serial (Digital Link ``/01/{gtin}``) is the pattern for every serial of that GTIN.
    Raises ValueError for a malformed pattern.
    """
    stripped = value.strip()
    m = _EPC_URN.fullmatch(stripped)
    if m is not None and m.group(1).lower() == "idpat":
        scheme, parts = m.group(2).lower(), m.group(3).split(".")
        fixed = parts[: parts.index("*")] if "*" in parts else parts
        if any(p != "*" for p in parts[len(fixed) :]) or "*" in fixed:
            raise ValueError(f"{value!r}: the wildcards of an EPC pattern must be its last components")
        if len(fixed) == len(parts):
            return [KeyMatch(canonical_key(f"urn:epc:id:{scheme}:{m.group(3)}"), exact=True)]
        try:
            return _pattern(scheme, fixed, len(parts))
        except _Bad:
            raise ValueError(f"{value!r} is not a valid {scheme} EPC pattern") from None
    key = gs1_key(stripped)
    if key is not None and key.qualifier is None and key.ai in ("01", "8006"):
        return [KeyMatch(key.digital_link, exact=True), KeyMatch(f"{key.digital_link}/21/")]
    return [KeyMatch(canonical_key(stripped), exact=True)]


def _pattern(scheme: str, fixed: list[str], arity: int) -> list[KeyMatch]:
    ai = _SCHEME_AI.get(scheme)
    if ai is None:
        # Not a GS1 scheme with a Digital Link: its keys are the URNs themselves.
        return [KeyMatch(f"urn:epc:id:{scheme}:" + "".join(p + "." for p in fixed))]
    if _ID_SCHEMES[scheme][0] != arity:
        raise _Bad(f"a {scheme} pattern has {_ID_SCHEMES[scheme][0]} components")
    base = f"{DL_ORIGIN}/{ai}/"
    if fixed:
        _company_prefix(fixed[0])
    qualifier = _GTIN_INSTANCE.get(scheme)
    if scheme == "sscc" or qualifier is not None:
        if not fixed:
            digits = 18 if scheme in ("sscc", "itip") else 14
            return [
                KeyMatch(base, tail=rf"\d{{{digits}}}" + (f"{qualifier}{_ANY_VALUE}" if qualifier else ""))
            ]
        cp = fixed[0]
        if len(fixed) == 1:
            # The indicator (or extension) digit precedes the company prefix: one range per digit.
            digits = 17 - len(cp) if scheme in ("sscc", "itip") else 13 - len(cp)
            tail = rf"\d{{{digits}}}" + (f"{qualifier}{_ANY_VALUE}" if qualifier else "")
            return [KeyMatch(f"{base}{d}{cp}", tail=tail) for d in "0123456789"]
        gtin = _gtin(cp, fixed[1])
        if scheme != "itip":
            return [KeyMatch(f"{base}{gtin}{qualifier}")]
        piece_total = "".join(_digits(p, 2) for p in fixed[2:])
        if len(piece_total) == 4:
            return [KeyMatch(f"{base}{gtin}{piece_total}/21/")]
        return [KeyMatch(f"{base}{gtin}{piece_total}", tail=rf"\d{{{4 - len(piece_total)}}}/21/{_ANY_VALUE}")]
    if not fixed:
        return [KeyMatch(base)]
    cp = fixed[0]
    if len(fixed) == 1:
        return [KeyMatch(f"{base}0{cp}" if scheme == "grai" else f"{base}{cp}")]
    if scheme == "sgln":
        # Any extension, including none (extension "0" has no /254/ in a Digital Link).
        return [KeyMatch(f"{base}{_with_check(cp, fixed[1], 13)}", tail=rf"(/254/{_ANY_VALUE})?")]
    if scheme == "grai":
        return [KeyMatch(f"{base}0{_with_check(cp, fixed[1], 13)}")]
    if scheme == "cpi":
        return [KeyMatch(f"{base}{cp}{_dl_encode(_text(fixed[1], 30 - len(cp)))}/8011/")]
    return [KeyMatch(f"{base}{_with_check(cp, fixed[1], 13)}")]  # gdti, sgcn: any serial


def class_matches(value: str) -> list[KeyMatch]:
    """How a MATCH_epcClass value selects class identifiers (the epcClass of quantity elements).

    A class matches itself in any notation. A GTIN without lot (``urn:epc:idpat:sgtin:CP.IR.*`` or the
    Digital Link ``/01/{gtin}``) also matches every lot of that GTIN; ``CP.*.*`` and ``*.*.*`` patterns
    match every GTIN, with or without lot, they cover. Raises ValueError for a malformed pattern.
    """
    stripped = value.strip()
    m = _EPC_URN.fullmatch(stripped)
    if m is not None and m.group(1).lower() == "idpat" and m.group(2).lower() == "sgtin":
        parts = m.group(3).split(".")
        if len(parts) != 3 or parts[-1] != "*":
            raise ValueError(f"{value!r}: an sgtin class pattern ends in '*' and has 3 components")
        if parts[1] == "*":
            if parts[0] == "*":
                return [KeyMatch(f"{DL_ORIGIN}/01/", tail=rf"\d{{14}}(/10/{_ANY_VALUE})?")]
            try:
                cp = _company_prefix(parts[0])
            except _Bad:
                raise ValueError(f"{value!r} is not a valid sgtin pattern") from None
            tail = rf"\d{{{13 - len(cp)}}}(/10/{_ANY_VALUE})?"
            return [KeyMatch(f"{DL_ORIGIN}/01/{d}{cp}", tail=tail) for d in "0123456789"]
    key = gs1_key(stripped)
    if key is not None and key.qualifier is None and key.ai in ("01", "8006"):
        return [KeyMatch(key.digital_link, exact=True), KeyMatch(f"{key.digital_link}/10/")]
    return [KeyMatch(canonical_key(stripped), exact=True)]
