"""Output control: company prefix lengths, identifier translation and extension prefixes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from epcis_repo.epcis.context import namespaces
from epcis_repo.epcis.hashing import event_hash
from epcis_repo.epcis.identifiers import canonical_key, gs1_key, to_digital_link
from epcis_repo.epcis.rendering import (
    CompanyPrefixes,
    EpcFormat,
    ExtensionPrefixes,
    OutputControl,
    Renderer,
    company_prefix_digits,
    rename_extensions,
    stated_company_prefixes,
    translate_identifiers,
)
from tests.epcis.test_identifiers import PAIRS

EX = "https://example.org/ns/"
CONTEXT = [{"ex": EX}]

# Captured as EPC URNs, in every field GS1-EPC-Format rewrites, beside fields it does not.
URN_EVENT: dict[str, Any] = {
    "type": "ObjectEvent",
    "eventID": "urn:uuid:00000000-0000-4000-8000-000000000001",
    "eventTime": "2024-05-01T10:00:00Z",
    "eventTimeZoneOffset": "+00:00",
    "action": "OBSERVE",
    "epcList": ["urn:epc:id:sgtin:8934567.012345.1", "urn:example:private:7"],
    "quantityList": [{"epcClass": "urn:epc:class:lgtin:8934567.012345.LOT-7", "quantity": 2}],
    "readPoint": {"id": "urn:epc:id:sgln:8934567.00001.0"},
    "bizLocation": {"id": "urn:epc:id:sgln:8934567.00002.12"},
    "bizTransactionList": [{"type": "po", "bizTransaction": "urn:epcglobal:cbv:bt:8934567000017:P1"}],
    "sourceList": [{"type": "owning_party", "source": "urn:epc:id:pgln:8934567.00001"}],
    "destinationList": [{"type": "location", "destination": "urn:epc:id:sgln:8934567.00003.0"}],
    "sensorElementList": [
        {"sensorMetadata": {"deviceID": "urn:epc:id:giai:8934567.DEV1"}, "sensorReport": [{"value": 1}]}
    ],
}
DL_FIELDS = {
    "epcList": ["https://id.gs1.org/01/08934567123457/21/1", "urn:example:private:7"],
    "quantityList": [{"epcClass": "https://id.gs1.org/01/08934567123457/10/LOT-7", "quantity": 2}],
    "readPoint": {"id": "https://id.gs1.org/414/8934567000017"},
    "bizLocation": {"id": "https://id.gs1.org/414/8934567000024/254/12"},
    "sourceList": [{"type": "owning_party", "source": "https://id.gs1.org/417/8934567000017"}],
    "destinationList": [{"type": "location", "destination": "https://id.gs1.org/414/8934567000031"}],
}


def render(
    event: dict[str, Any],
    epc_format: EpcFormat = EpcFormat.ALWAYS_GS1_DIGITAL_LINK,
    prefixes: CompanyPrefixes | None = None,
    extensions: str = "",
) -> tuple[dict[str, Any], dict[str, str]]:
    output = OutputControl(epc_format, ExtensionPrefixes.parse(extensions))
    renderer = Renderer(output, CompanyPrefixes() if prefixes is None else prefixes)
    (body,) = renderer.render_many([orjson.dumps(event)])
    rendered: dict[str, Any] = orjson.loads(body)
    return rendered, renderer.headers


def same_hash(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return event_hash(a, namespaces(a.get("@context"))) == event_hash(b, namespaces(b.get("@context")))


# --- CompanyPrefixes --------------------------------------------------------------------------------


def test_an_unknown_prefix_has_no_length() -> None:
    assert CompanyPrefixes().length("8934567123457") is None


def test_a_urn_states_its_company_prefix() -> None:
    body = orjson.dumps(
        {"epcList": ["urn:epc:id:sgtin:8934567.012345.1", "urn:epc:id:sscc:8934567.1000000017"]}
    )
    assert stated_company_prefixes(body) == {"8934567"}
    prefixes = CompanyPrefixes()
    prefixes.add_stated(stated_company_prefixes(body))
    assert prefixes.length("8934567000017") == 7
    assert prefixes.length("8934568000017") is None


@pytest.mark.parametrize(
    "urn",
    [
        "urn:epc:id:gid:95100000.12345.400",  # not a GS1 scheme: no company prefix
        "urn:epc:id:sgtin:0614141.10734.2017",  # malformed
        "urn:epc:id:sgtin:06141.1073464.1",  # a prefix is 6 to 12 digits
        "https://id.gs1.org/01/10614141073464/21/2017",
        "urn:example:0614141.1",
    ],
)
def test_only_well_formed_gs1_urns_state_a_prefix(urn: str) -> None:
    assert stated_company_prefixes(orjson.dumps({"epcList": [urn], "ex:note": urn})) == set()


def test_a_pattern_a_class_and_an_extension_field_state_one_too() -> None:
    body = orjson.dumps(
        {
            "quantityList": [{"epcClass": "URN:EPC:CLASS:LGTIN:4012345.012345.998877", "quantity": 1}],
            "ex:pattern": "urn:epc:idpat:sgtin:0614141.*.*",
            "ex:nested": {"ex:pallet": "urn:epc:id:sscc:893456712.12345678"},
        }
    )
    assert stated_company_prefixes(body) == {"0614141", "4012345", "893456712"}


def test_the_longest_known_prefix_wins() -> None:
    prefixes = CompanyPrefixes({"061": 7, "0614141": 9, "06141412": 8})
    assert prefixes.length("0614141999999") == 9
    assert prefixes.length("0614141234567") == 8
    assert prefixes.length("0619999999999") == 7
    assert prefixes.length("07") is None


def test_a_table_is_loaded_from_text(tmp_path: Path) -> None:
    table = tmp_path / "gcp.txt"
    table.write_text("# GS1 Company Prefix lengths\n\n0614141 7\n893456712\t9  # a comment\n402,6\n")
    prefixes = CompanyPrefixes()
    assert prefixes.load(table) == 3
    assert prefixes.length("0614141073467") == 7
    assert prefixes.length("8934567122341") == 9
    assert prefixes.length("4021234567890") == 6


def test_gs1s_published_json_table_is_loaded(tmp_path: Path) -> None:
    table = tmp_path / "gcpprefixformatlist.json"
    entries = [{"prefix": "0614141", "gcpLength": 7}, {"prefix": "893", "gcpLength": "9"}]
    table.write_bytes(orjson.dumps({"GCPPrefixFormatList": {"date": "2026-11-30", "entry": entries}}))
    prefixes = CompanyPrefixes()
    assert prefixes.load(table) == 2
    assert prefixes.length("0614141073467") == 7
    assert prefixes.length("8934567122341") == 9


@pytest.mark.parametrize(
    "content",
    [
        b"{",
        b'{"GCPPrefixFormatList": {}}',
        b'{"GCPPrefixFormatList": {"entry": {"prefix": "0614141"}}}',
        b'{"GCPPrefixFormatList": {"entry": [{"prefix": "0614141"}]}}',
        b'{"GCPPrefixFormatList": {"entry": [{"prefix": 614141, "gcpLength": 7}]}}',
        b'{"GCPPrefixFormatList": {"entry": [{"prefix": "0614141", "gcpLength": true}]}}',
        b'{"GCPPrefixFormatList": {"entry": [{"prefix": "06a4141", "gcpLength": 7}]}}',
    ],
)
def test_a_malformed_json_table_is_refused_with_its_name(tmp_path: Path, content: bytes) -> None:
    table = tmp_path / "gcp.json"
    table.write_bytes(content)
    with pytest.raises(ValueError, match=r"gcp.json"):
        CompanyPrefixes().load(table)


@pytest.mark.parametrize("line", ["0614141", "0614141 seven", "06141a1 7", "0614141 7 8", "0614141 13"])
def test_a_malformed_table_line_is_named(tmp_path: Path, line: str) -> None:
    table = tmp_path / "gcp.txt"
    table.write_text(f"0614142 7\n{line}\n")
    with pytest.raises(ValueError, match=r"gcp.txt:2:"):
        CompanyPrefixes().load(table)


@pytest.mark.parametrize(
    ("uri", "digits"),
    [
        ("https://id.gs1.org/01/10614141073464/21/2017", "0614141073464"),
        ("https://id.gs1.org/00/106141412345678908", "06141412345678908"),
        ("https://id.gs1.org/414/0614141073467", "0614141073467"),
        ("https://id.gs1.org/8003/00614141123452400", "0614141123452400"),
        ("https://id.gs1.org/8006/040123451234560102/21/987", "40123451234560102"),
        ("https://id.gs1.org/8004/061414112345400", "061414112345400"),
    ],
)
def test_company_prefix_digits(uri: str, digits: str) -> None:
    key = gs1_key(uri)
    assert key is not None and company_prefix_digits(key) == digits


# --- GS1-Extensions ---------------------------------------------------------------------------------


def test_declared_prefixes_are_read() -> None:
    declared = ExtensionPrefixes.parse(
        " ex1=https://ns.example.com/epcis/ ,ex2 = urn:x:, cbv=https://ref.gs1.org/cbv/,"
    )
    assert declared.by_prefix == {
        "ex1": "https://ns.example.com/epcis/",
        "ex2": "urn:x:",
        "cbv": "https://ref.gs1.org/cbv/",
    }
    assert not ExtensionPrefixes.parse("")


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("ex1", "not prefix=namespace"),
        ("ex1=", "not prefix=namespace"),
        ("=https://ns.example.com/", "not prefix=namespace"),
        ("1ex=https://ns.example.com/", "not prefix=namespace"),
        ("ex=no namespace", "not prefix=namespace"),
        ("ex=relative/path", "not prefix=namespace"),
        ("urn=urn:x:", "reserved"),
        ("type=https://ns.example.com/", "reserved"),
        ("epcList=https://ns.example.com/", "reserved"),
        ("gs1=https://ns.example.com/", "EPCIS context"),
        ("ex=https://a.example/, ex=https://b.example/", "declared twice"),
        ("a=https://a.example/, b=https://a.example/", "declared twice"),
    ],
)
def test_malformed_declarations_are_refused(value: str, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        ExtensionPrefixes.parse(value)


# --- GS1-EPC-Format ---------------------------------------------------------------------------------


def test_translation_touches_only_the_identifier_fields() -> None:
    event = orjson.loads(orjson.dumps(URN_EVENT))
    translate_identifiers(event, lambda uri: to_digital_link(uri) or uri)
    assert event == {**URN_EVENT, **DL_FIELDS}


def test_digital_link_is_the_default_and_keeps_the_hash() -> None:
    rendered, headers = render(URN_EVENT)
    assert rendered == {**URN_EVENT, **DL_FIELDS} and headers == {}
    assert same_hash(rendered, URN_EVENT)


def test_digital_links_come_out_canonical() -> None:
    event = {**URN_EVENT, "epcList": ["http://example.com/gtin/8934567123457/ser/1?x=y"]}
    assert render(event)[0]["epcList"] == ["https://id.gs1.org/01/08934567123457/21/1"]


def test_urn_output_needs_the_company_prefix_length() -> None:
    # (Without the sensor's device URN, which would state the company prefix.)
    urn_event = {k: v for k, v in URN_EVENT.items() if k != "sensorElementList"}
    captured_as_dl = {**urn_event, **DL_FIELDS}
    unknown, _ = render(captured_as_dl, EpcFormat.ALWAYS_EPC_URN)
    assert unknown == captured_as_dl
    known, _ = render(captured_as_dl, EpcFormat.ALWAYS_EPC_URN, CompanyPrefixes({"8934567": 7}))
    assert known == urn_event
    assert same_hash(known, urn_event)


def test_a_gtin_class_becomes_an_epc_pattern() -> None:
    event = {
        **URN_EVENT,
        "quantityList": [{"epcClass": "https://id.gs1.org/01/08934567123457", "quantity": 1}],
    }
    rendered, _ = render(event, EpcFormat.ALWAYS_EPC_URN, CompanyPrefixes({"8934567": 7}))
    assert rendered["quantityList"][0]["epcClass"] == "urn:epc:idpat:sgtin:8934567.012345.*"
    assert same_hash(rendered, event)


def test_a_digital_link_that_no_urn_names_stays() -> None:
    # A GLN whose check digit is wrong: the URN would name another location.
    event = {**URN_EVENT, "readPoint": {"id": "https://id.gs1.org/414/8934567000018"}}
    rendered, _ = render(event, EpcFormat.ALWAYS_EPC_URN, CompanyPrefixes({"8934567": 7}))
    assert rendered["readPoint"] == event["readPoint"]


@pytest.mark.parametrize(("urn", "link", "cp_length"), PAIRS, ids=[p[0].split(":")[3] for p in PAIRS])
def test_every_scheme_goes_round_the_two_notations(urn: str, link: str | None, cp_length: int) -> None:
    field = "quantityList" if ":class:" in urn else "epcList"
    # Only this identifier: 893456712 (sgtin2) and 8934567 cannot both be company prefixes.
    event = {
        **{k: v for k, v in URN_EVENT.items() if k not in DL_FIELDS and k != "sensorElementList"},
        field: [{"epcClass": urn, "quantity": 1}] if field == "quantityList" else [urn],
    }
    prefixes = CompanyPrefixes()
    prefixes.add_stated(stated_company_prefixes(orjson.dumps(event)))  # as capture does
    as_link, _ = render(event, EpcFormat.ALWAYS_GS1_DIGITAL_LINK, prefixes)
    value = as_link[field][0]["epcClass"] if field == "quantityList" else as_link[field][0]
    assert value == (link or canonical_key(urn))
    # The URN stated the prefix length, so the Digital Link turns back into the same URN.
    back, _ = render(as_link, EpcFormat.ALWAYS_EPC_URN, prefixes)
    assert back == event
    assert prefixes.length(company_prefix_digits(gs1_key(urn))) == cp_length  # type: ignore[arg-type]


@pytest.mark.parametrize("epc_format", [EpcFormat.NEVER_TRANSLATES, EpcFormat.NO_PREFERENCE])
def test_as_captured_returns_the_stored_bytes(epc_format: EpcFormat) -> None:
    body = orjson.dumps({**URN_EVENT, **DL_FIELDS, "epcList": ["http://example.com/01/8934567123457/21/1"]})
    renderer = Renderer(OutputControl(epc_format), CompanyPrefixes())
    assert renderer.render_many([body])[0] is body


# --- extension keys ---------------------------------------------------------------------------------

EXTENDED: dict[str, Any] = {
    **URN_EVENT,
    "action": "ADD",
    "ex:lot": {"ex:grade": "A", "other:note": "x", "ex:tags": [{"ex:tag": "washed"}]},
    "https://example.org/ns/full": 1,
    "ilmd": {"ex:bestBefore": "2025-01-01"},
    "other:flag": True,
    "@context": [{"ex": EX}, {"other": "https://other.example/"}],
}


def test_extension_keys_take_the_clients_prefix() -> None:
    rendered, headers = render(EXTENDED, EpcFormat.NEVER_TRANSLATES, extensions=f"mine={EX}")
    assert rendered["mine:lot"] == {
        "mine:grade": "A",
        "other:note": "x",
        "mine:tags": [{"mine:tag": "washed"}],
    }
    assert rendered["mine:full"] == 1 and rendered["ilmd"] == {"mine:bestBefore": "2025-01-01"}
    assert rendered["other:flag"] is True
    assert rendered["@context"] == [*EXTENDED["@context"], {"mine": EX}]
    assert headers == {"GS1-Extensions": f"mine={EX}, other=https://other.example/"}
    assert same_hash(rendered, EXTENDED)


def test_a_prefix_the_event_already_uses_is_kept() -> None:
    rendered, headers = render(EXTENDED, EpcFormat.NEVER_TRANSLATES, extensions=f"ex={EX}")
    assert rendered["ex:full"] == 1 and rendered["ex:lot"] == EXTENDED["ex:lot"]
    assert rendered["@context"] == EXTENDED["@context"]
    assert headers == {"GS1-Extensions": f"ex={EX}, other=https://other.example/"}


def test_a_clients_prefix_that_the_event_uses_otherwise_is_freed() -> None:
    rendered, headers = render(EXTENDED, EpcFormat.NEVER_TRANSLATES, extensions="ex=https://other.example/")
    assert rendered["ex:flag"] is True
    assert rendered[EX + "lot"] == {EX + "grade": "A", "ex:note": "x", EX + "tags": [{EX + "tag": "washed"}]}
    assert rendered["@context"] == [*EXTENDED["@context"], {"ex": "https://other.example/"}]
    assert headers == {"GS1-Extensions": "ex=https://other.example/"}
    assert same_hash(rendered, EXTENDED)


def test_without_declarations_the_event_is_untouched_but_its_prefixes_are_listed() -> None:
    body = orjson.dumps(EXTENDED)
    renderer = Renderer(OutputControl(EpcFormat.NEVER_TRANSLATES), CompanyPrefixes())
    assert renderer.render_many([body])[0] is body
    assert renderer.headers == {"GS1-Extensions": f"ex={EX}, other=https://other.example/"}


def test_an_iri_key_whose_scheme_is_a_clients_prefix_blocks_that_prefix() -> None:
    event = {**EXTENDED, "mine:raw": 1}  # "mine" is undefined here: the key is the IRI mine:raw
    rendered, _ = rename_extensions(event, ExtensionPrefixes.parse(f"mine={EX}"))
    assert rendered is event


def test_standard_prefixes_are_not_listed() -> None:
    event = {**URN_EVENT, "gs1:netWeight": 1}
    assert render(event)[1] == {}
