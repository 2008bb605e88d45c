"""GS1 identifiers: every EPC URN scheme <-> GS1 Digital Link, one canonical key, patterns."""

from __future__ import annotations

import pytest

from epcis_repo.epcis.identifiers import (
    Kind,
    canonical_key,
    check_digit,
    instance_matches,
    kind,
    to_digital_link,
    to_epc_urn,
    validate_epc_urn,
)

# (EPC URN, canonical Digital Link, company prefix length)
PAIRS = [
    ("urn:epc:id:sgtin:0614141.107346.2017", "https://id.gs1.org/01/10614141073464/21/2017", 7),
    ("urn:epc:id:sgtin:8934567.012345.L%2F7!", "https://id.gs1.org/01/08934567123457/21/L%2F7%21", 7),
    ("urn:epc:id:sscc:0614141.1234567890", "https://id.gs1.org/00/106141412345678908", 7),
    ("urn:epc:id:sgln:0614141.07346.1234", "https://id.gs1.org/414/0614141073467/254/1234", 7),
    ("urn:epc:id:sgln:0614141.07346.0", "https://id.gs1.org/414/0614141073467", 7),
    ("urn:epc:id:pgln:8934567.00001", "https://id.gs1.org/417/8934567000017", 7),
    ("urn:epc:id:grai:0614141.12345.400", "https://id.gs1.org/8003/00614141123452400", 7),
    ("urn:epc:id:giai:0614141.12345400", "https://id.gs1.org/8004/061414112345400", 7),
    ("urn:epc:id:gsrn:0614141.1234567890", "https://id.gs1.org/8018/061414112345678902", 7),
    ("urn:epc:id:gsrnp:0614141.1234567890", "https://id.gs1.org/8017/061414112345678902", 7),
    ("urn:epc:id:gdti:0614141.12345.400", "https://id.gs1.org/253/0614141123452400", 7),
    ("urn:epc:id:cpi:0614141.123ABC.123456789", "https://id.gs1.org/8010/0614141123ABC/8011/123456789", 7),
    ("urn:epc:id:sgcn:4012345.67890.04711", "https://id.gs1.org/255/401234567890104711", 7),
    ("urn:epc:id:ginc:0614141.xyz3311cba", "https://id.gs1.org/401/0614141xyz3311cba", 7),
    ("urn:epc:id:gsin:0614141.123456789", "https://id.gs1.org/402/06141411234567890", 7),
    ("urn:epc:id:itip:4012345.012345.01.02.987", "https://id.gs1.org/8006/040123451234560102/21/987", 7),
    ("urn:epc:id:upui:1234567.089456.51qIgY)%3C%26Jp3*j7'SDB", None, 7),
    ("urn:epc:class:lgtin:4012345.012345.998877", "https://id.gs1.org/01/04012345123456/10/998877", 7),
    ("urn:epc:id:sgtin:893456712.1234.X", "https://id.gs1.org/01/18934567122341/21/X", 9),
]


@pytest.mark.parametrize(("urn", "link", "cp_length"), PAIRS, ids=[p[0].split(":")[3] for p in PAIRS])
def test_every_scheme_maps_to_its_digital_link_and_back(urn: str, link: str | None, cp_length: int) -> None:
    dl = to_digital_link(urn)
    assert dl is not None
    if link is not None:
        assert dl == link
    assert canonical_key(urn) == canonical_key(dl) == dl
    back = to_epc_urn(dl, cp_length)
    assert back is not None and canonical_key(back) == dl


@pytest.mark.parametrize(
    "variant",
    [
        "https://id.gs1.org/01/10614141073464/21/2017",
        "http://example.com/01/10614141073464/21/2017",
        "https://resolver.example.vn/some/prefix/01/10614141073464/21/2017?linkType=all#frag",
        "https://example.com/gtin/10614141073464/ser/2017",
        "https://id.gs1.org/01/10614141073464/10/LOT1/21/2017",
        "https://id.gs1.org/01/10614141073464/22/CPV/21/2017",
        " urn:epc:id:sgtin:0614141.107346.2017 ",
        "URN:EPC:ID:SGTIN:0614141.107346.2017",
    ],
)
def test_all_notations_of_one_object_share_one_key(variant: str) -> None:
    assert canonical_key(variant) == "https://id.gs1.org/01/10614141073464/21/2017"


def test_short_gtins_are_padded_to_14_digits() -> None:
    assert (
        canonical_key("https://id.gs1.org/01/614141073467/21/1")
        == "https://id.gs1.org/01/00614141073467/21/1"
    )
    assert canonical_key("https://id.gs1.org/gtin/96385074") == "https://id.gs1.org/01/00000096385074"


@pytest.mark.parametrize(
    "other",
    [
        "urn:epcglobal:cbv:bt:0614141073467:1152",
        "geo:47.506694,11.104301",
        "https://example.com/products/42",
        "urn:uuid:6d3b05b0-2a8f-4c3d-9a39-b5b7f8f1ad41",
        "urn:epc:id:gid:95100000.12345.400",
    ],
)
def test_identifiers_that_are_not_gs1_keys_are_their_own_key(other: str) -> None:
    assert canonical_key(other) == other
    assert to_digital_link(other) is None
    assert kind(other) is Kind.OTHER


@pytest.mark.parametrize(
    ("urn", "problem"),
    [
        ("urn:epc:id:sgtin:0614141.10734.2017", "component '10734'"),
        ("urn:epc:id:sgtin:0614141.107346", "3 components"),
        ("urn:epc:id:sgtin:061414.1073460.", "component ''"),
        ("urn:epc:id:sscc:0614141.12345", "component '12345'"),
        ("urn:epc:id:sgtin:0614141.107346.with space", "component 'with space'"),
        ("urn:epc:id:sgtin:0614141.107346.123456789012345678901", "component"),
    ],
)
def test_malformed_urns_of_known_schemes_say_what_is_wrong(urn: str, problem: str) -> None:
    reason = validate_epc_urn(urn)
    assert reason is not None and problem in reason
    assert canonical_key(urn) == urn  # still a key, just never a Digital Link


def test_kinds() -> None:
    assert kind("urn:epc:id:sgtin:0614141.107346.2017") is Kind.INSTANCE
    assert kind("https://id.gs1.org/01/10614141073464") is Kind.CLASS
    assert kind("https://id.gs1.org/01/10614141073464/10/L1") is Kind.CLASS
    assert kind("urn:epc:class:lgtin:0614141.107346.L1") is Kind.CLASS
    assert kind("urn:epc:idpat:sgtin:0614141.107346.*") is Kind.PATTERN
    assert kind("https://id.gs1.org/00/106141412345678908") is Kind.INSTANCE


def test_check_digits() -> None:
    assert check_digit("1061414107346") == "4"  # GTIN-14 of the CBV example
    assert check_digit("061414107346") == "7"
    assert check_digit("10614141234567890") == "8"  # SSCC


def keys_matched(value: str, keys: list[str]) -> list[str]:
    matches = instance_matches(value)
    return [k for k in keys if any(m.matches(k) for m in matches)]


KEYS = [
    canonical_key("urn:epc:id:sgtin:0614141.107346.2017"),
    canonical_key("urn:epc:id:sgtin:0614141.107346.2018"),
    canonical_key("urn:epc:id:sgtin:0614141.812345.1"),
    canonical_key("urn:epc:id:sgtin:0614142.107346.2017"),
    canonical_key("urn:epc:id:sgtin:06141410.07346.1"),
    canonical_key("urn:epc:id:sscc:0614141.1234567890"),
    canonical_key("urn:epc:id:sgln:0614141.07346.1234"),
    canonical_key("urn:epc:id:sgln:0614141.07346.0"),
    canonical_key("urn:epc:class:lgtin:0614141.107346.L1"),
    canonical_key("urn:epc:id:grai:0614141.12345.400"),
]


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("urn:epc:id:sgtin:0614141.107346.2017", [0]),
        ("https://id.gs1.org/01/10614141073464/21/2017", [0]),
        ("urn:epc:idpat:sgtin:0614141.107346.*", [0, 1]),
        ("https://id.gs1.org/01/10614141073464", [0, 1]),
        ("urn:epc:idpat:sgtin:0614141.*.*", [0, 1, 2, 4]),  # company prefixes are prefix-free
        ("urn:epc:idpat:sgtin:*.*.*", [0, 1, 2, 3, 4]),
        ("urn:epc:idpat:sscc:0614141.*", [5]),
        ("urn:epc:idpat:sgln:0614141.07346.*", [6, 7]),
        ("urn:epc:idpat:sgln:0614141.*.*", [6, 7]),
        ("urn:epc:idpat:grai:0614141.12345.*", [9]),
        ("urn:epc:idpat:grai:0614142.*.*", []),
    ],
)
def test_patterns_match_exactly_the_identifiers_they_cover(pattern: str, expected: list[int]) -> None:
    assert keys_matched(pattern, KEYS) == [KEYS[i] for i in expected]


@pytest.mark.parametrize(
    "bad",
    ["urn:epc:idpat:sgtin:*.107346.*", "urn:epc:idpat:sgtin:0614141.*", "urn:epc:idpat:sgtin:061.*.*"],
)
def test_malformed_patterns_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        instance_matches(bad)


def test_pattern_prefixes_are_literals() -> None:
    (match,) = instance_matches("https://id.gs1.org/01/.*")
    assert match.exact and match.prefix == "https://id.gs1.org/01/.*"
