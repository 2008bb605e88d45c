"""The parts of JSON-LD the repository needs: which namespace each extension prefix stands for.

EPCIS JSON-LD documents name user extensions with CURIEs (``example:myField``) whose prefixes
the document declares in its ``@context``, or with full IRIs. The standard context is never
fetched: its prefixes are known here, and other remote contexts carry no prefixes we rely on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

STANDARD_CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"
STANDARD_CONTEXTS = frozenset(
    {
        STANDARD_CONTEXT,
        "https://ref.gs1.org/standards/epcis/epcis-context.jsonld",
        "https://gs1.github.io/EPCIS/epcis-context.jsonld",
    }
)
STANDARD_PREFIXES: Mapping[str, str] = {
    "epcis": "https://ref.gs1.org/epcis/",
    "cbv": "https://ref.gs1.org/cbv/",
    "cbvmda": "urn:epcglobal:cbv:mda:",
    "gs1": "https://gs1.org/voc/",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "dcterms": "http://purl.org/dc/terms/",
}
RDFS_COMMENT = "http://www.w3.org/2000/01/rdf-schema#comment"


def namespaces(*contexts: Any) -> dict[str, str]:
    """Prefix -> namespace IRI for the standard prefixes and every prefix the given contexts declare.

    Later contexts override earlier ones, as in JSON-LD.
    """
    result = dict(STANDARD_PREFIXES)
    for context in contexts:
        for entry in context if isinstance(context, list) else [context]:
            if not isinstance(entry, dict):
                continue
            for term, definition in entry.items():
                if term.startswith("@"):
                    continue
                iri = definition.get("@id") if isinstance(definition, dict) else definition
                if isinstance(iri, str) and ":" in iri and not iri.startswith("@"):
                    result[term] = iri
    return result


def expand_name(name: str, prefixes: Mapping[str, str]) -> tuple[str, str] | None:
    """(namespace, local name) of an extension key written as a CURIE or a full IRI.

    None for a name that is neither (the standard's own bare keys). A CURIE whose prefix is not
    declared is an IRI with that scheme, split like any other IRI.
    """
    prefix, colon, rest = name.partition(":")
    if not colon:
        return None
    if prefix in prefixes and not rest.startswith("//"):
        return prefixes[prefix], rest
    cut = max(name.rfind("/"), name.rfind("#"))
    if cut < 0:
        cut = name.rfind(":")
    return name[: cut + 1], name[cut + 1 :]


def expanded(name: str, prefixes: Mapping[str, str]) -> str:
    """The full IRI of a key (the key itself when it is a bare standard key)."""
    parts = expand_name(name, prefixes)
    return parts[0] + parts[1] if parts else name


def field_name(namespace: str, local: str) -> str:
    """How the repository names an extension field: ``{namespace}local``, the namespace without its
    trailing ``/``, ``#`` or ``:`` (JSON-LD and XML documents spell the same namespace both ways)."""
    return "{" + namespace.rstrip("/#:") + "}" + local


def extension_name(key: str, prefixes: Mapping[str, str]) -> str | None:
    """The field name of an extension key (a CURIE or an IRI), or None for a standard (bare) key."""
    parts = expand_name(key, prefixes)
    return field_name(*parts) if parts else None
