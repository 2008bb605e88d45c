"""Units of measure (UN/ECE Recommendation 20 codes) and conversion between units of one dimension.

EPCIS quantities and sensor values carry a Rec 20 code (``KGM``, ``CEL`` ...), and queries may ask
in another unit of the same dimension (``GE_value_KEL`` must find a reading in ``CEL``). Every value
is converted to its dimension's base unit: ``base = value * factor + offset``. Codes not listed here
are still compared, but only with values in the very same unit.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Unit:
    code: str
    base: str  # the base unit code of its dimension
    factor: float
    offset: float = 0.0

    def to_base(self, value: float) -> float:
        return value * self.factor + self.offset

    def scale_to_base(self, value: float) -> float:
        """A difference or spread (a standard deviation) converts without the offset."""
        return value * self.factor


def _units(base: str, factors: dict[str, float]) -> dict[str, Unit]:
    return {code: Unit(code, base, factor) for code, factor in {base: 1.0, **factors}.items()}


UNITS: dict[str, Unit] = {
    # temperature
    "KEL": Unit("KEL", "KEL", 1.0),
    "CEL": Unit("CEL", "KEL", 1.0, 273.15),
    "FAH": Unit("FAH", "KEL", 5 / 9, 273.15 - 32 * 5 / 9),
    # mass
    **_units("KGM", {"GRM": 1e-3, "MGM": 1e-6, "MC": 1e-9, "TNE": 1e3, "DTN": 1e2, "LBR": 0.45359237,
                     "ONZ": 0.028349523125, "STN": 907.18474, "LTN": 1016.0469088}),
    # length
    **_units("MTR", {"KMT": 1e3, "DMT": 0.1, "CMT": 1e-2, "MMT": 1e-3, "4H": 1e-6, "INH": 0.0254,
                     "FOT": 0.3048, "YRD": 0.9144, "SMI": 1609.344, "NMI": 1852.0}),
    # area
    **_units("MTK", {"KMK": 1e6, "CMK": 1e-4, "MMK": 1e-6, "HAR": 1e4, "ARE": 1e2, "INK": 0.00064516,
                     "FTK": 0.09290304, "ACR": 4046.8564224}),
    # volume
    **_units("MTQ", {"LTR": 1e-3, "DMQ": 1e-3, "MLT": 1e-6, "CMQ": 1e-6, "CLT": 1e-5, "DLT": 1e-4, "HLT": 0.1,
                     "GLL": 0.003785411784, "GLI": 0.00454609, "INQ": 1.6387064e-5, "FTQ": 0.028316846592}),
    # time
    **_units("SEC", {"MIN": 60.0, "HUR": 3600.0, "DAY": 86400.0, "WEE": 604800.0, "C26": 1e-3}),
    # speed
    **_units("MTS", {"KMH": 1 / 3.6, "HM": 0.44704, "KNT": 1852 / 3600, "FS": 0.3048}),
    # pressure
    **_units("PAL", {"KPA": 1e3, "MPA": 1e6, "HPA": 1e2, "BAR": 1e5, "MBR": 1e2, "ATM": 101325.0,
                     "PS": 6894.757293168}),
    # energy and power
    **_units("JOU", {"KJO": 1e3, "3B": 1e6, "WHR": 3600.0, "KWH": 3.6e6, "D70": 4.1868}),
    **_units("WTT", {"KWT": 1e3, "MAW": 1e6, "C31": 1e-3}),
    # electricity
    **_units("VLT", {"KVT": 1e3, "2Z": 1e-3}),
    **_units("AMP", {"4K": 1e-3, "B84": 1e-6}),
    # frequency, illuminance, fractions
    **_units("HTZ", {"KHZ": 1e3, "MHZ": 1e6}),
    **_units("LUX", {}),
    **_units("P1", {"59": 1e-4, "61": 1e-7}),  # percent; parts per million; parts per billion
    # concentration (mass per volume), e.g. absolute humidity
    **_units("A93", {"GL": 1e3, "23": 1e6, "M1": 1.0}),  # g/m3; g/l; g/cm3; mg/l
}  # fmt: skip


def to_base(value: float, code: str) -> tuple[str, float]:
    """The value in its dimension's base unit, named by that unit's code (unknown codes stay as they are)."""
    unit = UNITS.get(code)
    return (unit.base, unit.to_base(value)) if unit else (code, value)


def spread_to_base(value: float, code: str) -> tuple[str, float]:
    """Like `to_base`, for a spread (standard deviation): scaled, never offset."""
    unit = UNITS.get(code)
    return (unit.base, unit.scale_to_base(value)) if unit else (code, value)
