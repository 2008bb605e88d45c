"""CBV 2.0 event hash: the reference vectors (C-H-1..C-H-4) and the canonical forms behind them."""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from epcis_repo.epcis.context import expanded, namespaces
from epcis_repo.epcis.hashing import canonical_value, event_hash, hash_id, pre_hash
from tests.standard import HASH_VECTORS, requires_standard

pytestmark = requires_standard

IGNORE_FIELDS = "https://repository-x.example.com/ignoreFields"
# Pre-hash lines that do not belong to their vector's input; the .hashes file is what counts.
STALE_PRE_HASHES = {
    "epcisDocWithAllGS1Keys": "the file is garbled (interleaved text)",
    "epcisDocWithCustomSchemaInContext": "line 2 describes an event that is not in the input",
    "epcisDocWithDefaultSchemaInContext": "line 2 describes an event that is not in the input",
}


def _events(doc: dict[str, Any]) -> tuple[list[dict[str, Any]], list[str]]:
    """The events of a vector document and the fields its reference-generator convention says to ignore."""
    body = doc["epcisBody"]
    results = body.get("queryResults", {})
    events = results["resultsBody"]["eventList"] if results else body["eventList"]
    prefixes = namespaces(doc.get("@context"))
    ignore = next(
        (v for k, v in [*doc.items(), *results.items()] if expanded(k, prefixes) == IGNORE_FIELDS), []
    )
    # JSON lists the ignored field names; XML (read into JSON) gives them as empty elements.
    return events, list(ignore)


def _read(path: Path) -> dict[str, Any]:
    if path.suffix == ".xml":
        from epcis_repo.epcis.xml import read_xml_document

        return read_xml_document(path.read_bytes())
    loaded: dict[str, Any] = json.loads(path.read_text())
    return loaded


def _hashes_of(path: Path) -> tuple[list[str], list[str]]:
    doc = _read(path)
    events, ignore = _events(doc)
    pre = [pre_hash(e, namespaces(doc.get("@context"), e.get("@context")), ignore) for e in events]
    return pre, [hash_id(p) for p in pre]


def _vector_inputs() -> list[Path]:
    folder = HASH_VECTORS / "examples"
    if not folder.is_dir():
        return []
    return sorted(
        p
        for p in folder.iterdir()
        if p.suffix in (".json", ".jsonld", ".xml") and p.with_suffix(".hashes").exists()
    )


@pytest.mark.parametrize("path", _vector_inputs(), ids=lambda p: p.name)
def test_C_H_1_every_vector_reproduces_its_hashes(path: Path) -> None:
    expected = path.with_suffix(".hashes").read_text().split()
    pre, hashes = _hashes_of(path)
    stale = STALE_PRE_HASHES.get(path.stem)
    pre_file = path.with_suffix(".prehashes")
    if pre_file.exists():
        for line, (ours, theirs, want) in enumerate(
            zip(pre, [p for p in pre_file.read_text().splitlines() if p], expected, strict=True)
        ):
            consistent = hash_id(theirs) == want
            assert consistent or stale, f"{path.name} line {line + 1}: .prehashes and .hashes disagree"
            if consistent:
                assert ours == theirs, f"{path.name} event {line + 1}"
    assert hashes == expected


def test_C_H_1_vector_count_covers_both_syntaxes() -> None:
    inputs = _vector_inputs()
    assert sum(p.suffix == ".xml" for p in inputs) >= 15
    assert sum(p.suffix != ".xml" for p in inputs) >= 20


def _expected_equal_files() -> list[Path]:
    folder = HASH_VECTORS / "expected_equal"
    return sorted(folder.iterdir()) if folder.is_dir() else []


@pytest.mark.parametrize("path", _expected_equal_files(), ids=lambda p: p.name)
def test_C_H_2_renderings_of_one_event_hash_identically(path: Path) -> None:
    _, hashes = _hashes_of(path)
    assert len(hashes) >= 2
    assert len(set(hashes)) == 1, f"{path.name}: {len(set(hashes))} distinct hashes"


def _json_vector_events() -> list[tuple[str, dict[str, Any], dict[str, str]]]:
    cases = []
    for path in _vector_inputs():
        if path.suffix == ".xml":
            continue
        doc = json.loads(path.read_text())
        events, _ = _events(doc)
        for i, event in enumerate(events):
            cases.append((f"{path.stem}#{i}", event, namespaces(doc.get("@context"), event.get("@context"))))
    return cases


def test_C_H_3_distinct_events_get_distinct_hashes() -> None:
    by_hash: dict[str, str] = {}
    for name, event, prefixes in _json_vector_events():
        text = pre_hash(event, prefixes)
        digest = hash_id(text)
        assert by_hash.setdefault(digest, text) == text, f"{name} collides with another event"
    assert len(by_hash) >= 35


def _mutate(value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value + 1
    if isinstance(value, str):
        return value + "7" if value[-1:].isdigit() else value + "X"
    if isinstance(value, list):
        return value[1:] if len(value) > 1 else [_mutate(value[0])] if value else ["urn:example:x"]
    if isinstance(value, dict):
        key = sorted(value)[0]
        return {**value, key: _mutate(value[key])}
    raise TypeError(value)


@pytest.mark.parametrize("case", _json_vector_events(), ids=lambda c: c[0])
def test_C_H_3_every_field_takes_part_in_the_hash(case: tuple[str, dict[str, Any], dict[str, str]]) -> None:
    _, event, prefixes = case
    original = event_hash(event, prefixes)
    left_out = {"eventID", "recordTime", "errorDeclaration", "@context", "rdfs:comment"}
    for key in event:
        if key in left_out or expanded(key, prefixes).startswith("https://repository-x.example.com/"):
            continue
        changed = copy.deepcopy(event)
        changed[key] = "2000-01-01T00:00:00Z" if key == "eventTime" else _mutate(event[key])
        assert event_hash(changed, prefixes) != original, f"changing {key} did not change the hash"


@pytest.mark.parametrize("case", _json_vector_events()[:12], ids=lambda c: c[0])
def test_C_H_4_error_declaration_hashes_like_its_original(
    case: tuple[str, dict[str, Any], dict[str, str]],
) -> None:
    _, event, prefixes = case
    declared = {
        **event,
        "eventID": "urn:uuid:6d3b05b0-2a8f-4c3d-9a39-b5b7f8f1ad41",
        "recordTime": "2031-01-01T00:00:00Z",
        "errorDeclaration": {"declarationTime": "2031-01-01T00:00:00Z", "reason": "incorrect_data"},
    }
    assert event_hash(declared, prefixes) == event_hash(event, prefixes)


def test_C_H_4_error_declaration_vector() -> None:
    path = HASH_VECTORS / "examples" / "epcisDocWithXMLstartTagAndErrorDeclaration.jsonld"
    doc = json.loads(path.read_text())
    (event,) = doc["epcisBody"]["eventList"]
    assert "errorDeclaration" in event
    without = {k: v for k, v in event.items() if k != "errorDeclaration"}
    prefixes = namespaces(doc["@context"])
    assert event_hash(event, prefixes) == event_hash(without, prefixes)


def test_reference_file_format() -> None:
    pre = (HASH_VECTORS / "examples" / "epcisDocWithSingleEvent.prehashes").read_text().strip()
    assert hashlib.sha256(pre.encode()).hexdigest() == (
        "ffa491b16867e34a7791a8d5389d826afc24e63a121026b6a4004ace38631b4b"
    )


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        (" 12.50 ", "12.5"),
        ("200.0", "200"),
        ("1e3", "1000"),
        ("+01:00", "+01:00"),
        ("2023-10-09", "2023-10-09"),
        ("urn:epcglobal:cbv:bizstep:shipping", "https://ref.gs1.org/cbv/BizStep-shipping"),
        ("urn:epcglobal:cbv:disp:in_transit", "https://ref.gs1.org/cbv/Disp-in_transit"),
        ("gs1:Temperature", "https://gs1.org/voc/Temperature"),
        ("urn:epc:id:sgtin:0614141.107346.2017", "https://id.gs1.org/01/10614141073464/21/2017"),
        (
            "https://example.com/gtin/614141073467/ser/2017?x=1",
            "https://id.gs1.org/01/00614141073467/21/2017",
        ),
        ("urn:epcglobal:cbv:bt:0614141073467:1152", "urn:epcglobal:cbv:bt:0614141073467:1152"),
        ("geo:47.506694,11.104301", "geo:47.506694,11.104301"),
    ],
)
def test_canonical_values(raw: str, canonical: str) -> None:
    assert canonical_value(raw) == canonical
