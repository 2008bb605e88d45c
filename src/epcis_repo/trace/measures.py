"""Quantities in comparable units: every amount a trace adds or splits is a `Measure` in its
dimension's base unit (kilograms for mass). A count of a class (a quantity without unit, or in
pieces) becomes a mass through the net weight per unit its master data gives."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from epcis_repo.epcis import identifiers, units
from epcis_repo.storage.port import VocabularyRecord

NET_WEIGHT = "{urn:epcglobal:cbv:mda}netWeight"
# Units that count pieces (UN/ECE Rec 20): each, piece, one.
COUNTS = frozenset({"EA", "H87", "C62"})


@dataclass(frozen=True, slots=True)
class Measure:
    value: float
    unit: str  # a base unit code (KGM, MTQ ...) or, for an unknown code, that code

    def __add__(self, other: Measure) -> Measure:
        if other.unit != self.unit:
            raise ValueError(f"cannot add {other.unit} to {self.unit}")
        return Measure(self.value + other.value, self.unit)

    def times(self, factor: float) -> Measure:
        return Measure(self.value * factor, self.unit)


def measure(value: float, uom: str) -> Measure:
    unit, base = units.to_base(value, uom)
    return Measure(base, unit)


def total(measures: Iterable[Measure | None]) -> Measure | None:
    """The sum of measures of one unit; None when any is unknown or units differ."""
    result: Measure | None = None
    for m in measures:
        if m is None or (result is not None and m.unit != result.unit):
            return None
        result = m if result is None else result + m
    return result


def class_of(key: str) -> list[str]:
    """The keys whose master data may give a unit's net weight: the class itself, then its GTIN."""
    keys = [key]
    parsed = identifiers.gs1_key(key)
    if parsed is not None and parsed.ai == "01" and parsed.qualifier is not None:
        keys.append(f"{identifiers.DL_ORIGIN}/01/{parsed.value}")
    return keys


class UnitMasses:
    """Net weight per unit of classes, from master data (loaded in batches, then read)."""

    def __init__(self) -> None:
        self._known: dict[str, Measure | None] = {}

    def missing(self, keys: Iterable[str]) -> set[str]:
        return {k for key in keys for k in class_of(key) if k not in self._known}

    def learn(self, asked: Iterable[str], elements: Iterable[VocabularyRecord]) -> None:
        for key in asked:
            self._known.setdefault(key, None)
        for element in elements:
            weight = _net_weight(element)
            if weight is not None:
                self._known[element.key] = weight

    def of(self, key: str) -> Measure | None:
        for k in class_of(key):
            found = self._known.get(k)
            if found is not None:
                return found
        return None

    def amount(self, key: str, quantity: float | None, uom: str | None) -> Measure | None:
        """A quantity of `key` (None: one instance) as a measure, or None when it cannot be converted."""
        if uom is not None and uom not in COUNTS:
            return measure(quantity if quantity is not None else 1.0, uom)
        unit = self.of(key)
        return unit.times(quantity if quantity is not None else 1.0) if unit is not None else None


def _net_weight(element: VocabularyRecord) -> Measure | None:
    """netWeight as a number (kilograms) or as a measurement ({"value", "unitCode" or "uom"})."""
    for name, text in element.attributes:
        if name == NET_WEIGHT:
            try:
                return Measure(float(text), "KGM") if text else _structured(element)
            except ValueError:
                return None
    return None


def _structured(element: VocabularyRecord) -> Measure | None:
    body: Mapping[str, Any] = orjson.loads(element.element)
    for attribute in body.get("attributes") or ():
        value = attribute.get("attribute")
        name = str(attribute.get("id", ""))
        if isinstance(value, dict) and name.replace("#", ":").rsplit(":", 1)[-1] == "netWeight":
            number, code = value.get("value"), value.get("unitCode") or value.get("uom") or "KGM"
            if not isinstance(number, int | float | str) or isinstance(number, bool):
                return None
            try:
                return measure(float(number), str(code))
            except ValueError:
                return None
    return None
