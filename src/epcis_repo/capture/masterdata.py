"""Master data declared in a document's header (``epcisHeader.epcisMasterData.vocabularyList``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from epcis_repo.capture.facts import number_text
from epcis_repo.capture.records import exact_bytes
from epcis_repo.epcis import identifiers
from epcis_repo.epcis.context import extension_name
from epcis_repo.storage.port import VocabularyRecord


def vocabulary_records(document: Mapping[str, Any], prefixes: Mapping[str, str]) -> list[VocabularyRecord]:
    """One record per vocabulary element, its attributes named like extension fields (``{namespace}name``)
    and their values as text (identifiers as canonical keys), its children as canonical keys."""
    header = document.get("epcisHeader") or {}
    master_data = header.get("epcisMasterData") or {}
    records: list[VocabularyRecord] = []
    for vocabulary in master_data.get("vocabularyList") or ():
        for element in vocabulary.get("vocabularyElementList") or ():
            attributes = []
            for attribute in element.get("attributes") or ():
                name = extension_name(attribute["id"], prefixes) or attribute["id"]
                attributes.append((name, attribute_text(attribute.get("attribute"))))
            records.append(
                VocabularyRecord(
                    type=vocabulary["type"],
                    key=identifiers.canonical_key(element["id"]),
                    element=exact_bytes(orjson.dumps(element)),
                    attributes=tuple(dict.fromkeys(attributes)),
                    children=tuple(
                        dict.fromkeys(identifiers.canonical_key(c) for c in element.get("children") or ())
                    ),
                )
            )
    return records


def attribute_text(value: Any) -> str:
    """How an attribute value is compared by EQ_ATTR_ (structured values only exist)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return number_text(value)
    if isinstance(value, str):
        return identifiers.canonical_key(value)
    return ""
