"""CBV 2.0 vocabularies and their three forms.

A standard value can be written as a bare word (JSON: ``shipping``), a URN
(XML, EPCIS 1.x: ``urn:epcglobal:cbv:bizstep:shipping``) or a Web URI
(``https://ref.gs1.org/cbv/BizStep-shipping``). All three mean the same thing.
The repository stores and compares the Web URI (the form the CBV 2.0 event
hash uses too) and renders whichever form a client asks for. Values outside
the vocabulary (custom URIs) are never translated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

GS1_VOC = "https://gs1.org/voc/"
# Other spellings of the GS1 Web Vocabulary namespace met in data.
_GS1_VOC_ALIASES = ("https://ref.gs1.org/voc/", "https://www.gs1.org/voc/", "http://gs1.org/voc/")
CBV_WEB = "https://ref.gs1.org/cbv/"


class Form(StrEnum):
    BARE_WORD = "bare"
    URN = "urn"
    WEB_URI = "web"


@dataclass(frozen=True)
class Vocabulary:
    name: str
    words: tuple[str, ...]
    web_prefix: str
    urn_prefix: str | None = None
    _lookup: dict[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        lookup: dict[str, str] = {}
        for word in self.words:
            lookup[word] = word
            lookup[self.web_prefix + word] = word
            if self.urn_prefix:
                lookup[self.urn_prefix + word] = word
            # CURIEs with the standard context's prefixes (cbv:BizStep-shipping, gs1:Temperature).
            for namespace, prefix in ((CBV_WEB, "cbv:"), (GS1_VOC, "gs1:")):
                if self.web_prefix.startswith(namespace):
                    lookup[prefix + self.web_prefix[len(namespace) :] + word] = word
            if self.web_prefix.startswith(GS1_VOC):
                for alias in _GS1_VOC_ALIASES:
                    lookup[alias + self.web_prefix[len(GS1_VOC) :] + word] = word
        object.__setattr__(self, "_lookup", lookup)

    def word(self, value: str) -> str | None:
        """The bare word of a standard value in any of its forms, or None for a custom value."""
        return self._lookup.get(value.strip())

    def canonical(self, value: str) -> str:
        """The form the repository stores and compares: the Web URI, or the custom value unchanged."""
        word = self.word(value)
        return self.web_prefix + word if word is not None else value.strip()

    def render(self, value: str, form: Form) -> str:
        word = self.word(value)
        if word is None:
            return value
        if form is Form.BARE_WORD:
            return word
        if form is Form.URN and self.urn_prefix:
            return self.urn_prefix + word
        return self.web_prefix + word


BIZ_STEP = Vocabulary(
    "bizStep",
    (
        "accepting", "arriving", "assembling", "collecting", "commissioning", "consigning",
        "creating_class_instance", "cycle_counting", "decommissioning", "departing", "destroying",
        "disassembling", "dispensing", "encoding", "entering_exiting", "holding", "inspecting",
        "installing", "killing", "loading", "other", "packing", "picking", "receiving", "removing",
        "repackaging", "repairing", "replacing", "reserving", "retail_selling", "sampling",
        "sensor_reporting", "shipping", "staging_outbound", "stock_taking", "stocking", "storing",
        "transporting", "unloading", "unpacking", "void_shipping",
    ),
    CBV_WEB + "BizStep-",
    "urn:epcglobal:cbv:bizstep:",
)  # fmt: skip

DISPOSITION = Vocabulary(
    "disposition",
    (
        "active", "available", "completeness_inferred", "completeness_verified", "conformant",
        "container_closed", "container_open", "damaged", "destroyed", "dispensed", "disposed",
        "encoded", "expired", "in_progress", "in_transit", "inactive", "mismatch_class",
        "mismatch_instance", "mismatch_quantity", "needs_replacement", "no_pedigree_match",
        "non_conformant", "non_sellable_other", "partially_dispensed", "recalled", "reserved",
        "retail_sold", "returned", "sellable_accessible", "sellable_not_accessible", "stolen",
        "unavailable", "unknown",
    ),
    CBV_WEB + "Disp-",
    "urn:epcglobal:cbv:disp:",
)  # fmt: skip

BIZ_TRANSACTION_TYPE = Vocabulary(
    "bizTransactionType",
    ("bol", "cert", "desadv", "inv", "pedigree", "po", "poc", "prodorder", "recadv", "rma", "testprd",
     "testres", "upevt"),
    CBV_WEB + "BTT-",
    "urn:epcglobal:cbv:btt:",
)  # fmt: skip

SOURCE_DESTINATION_TYPE = Vocabulary(
    "sourceDestinationType",
    ("owning_party", "possessing_party", "location"),
    CBV_WEB + "SDT-",
    "urn:epcglobal:cbv:sdt:",
)

ERROR_REASON = Vocabulary(
    "errorReason",
    ("did_not_occur", "incorrect_data"),
    CBV_WEB + "ER-",
    "urn:epcglobal:cbv:er:",
)

COMPONENT = Vocabulary(
    "component",
    ("x", "y", "z", "axial_distance", "azimuth", "height", "spherical_radius", "polar_angle",
     "elevation_angle", "easting", "northing", "latitude", "longitude", "altitude"),
    CBV_WEB + "Comp-",
    "urn:epcglobal:cbv:comp:",
)  # fmt: skip

MEASUREMENT_TYPE = Vocabulary(
    "measurementType",
    (
        "AbsoluteHumidity", "AbsorbedDose", "AbsorbedDoseRate", "Acceleration", "Altitude",
        "AmountOfSubstance", "AmountOfSubstancePerUnitVolume", "Angle", "AngularAcceleration",
        "AngularMomentum", "AngularVelocity", "Area", "Capacitance", "Conductance", "Conductivity",
        "Count", "Density", "Dimensionless", "DoseEquivalent", "DoseEquivalentRate", "DynamicViscosity",
        "ElectricCharge", "ElectricCurrent", "ElectricCurrentDensity", "ElectricFieldStrength", "Energy",
        "Exposure", "Force", "Frequency", "Illuminance", "Inductance", "Irradiance", "KinematicViscosity",
        "Length", "LinearMomentum", "Luminance", "LuminousFlux", "LuminousIntensity", "MagneticFlux",
        "MagneticFluxDensity", "MagneticVectorPotential", "Mass", "MassConcentration", "MassFlowRate",
        "MassPerAreaTime", "MemoryCapacity", "MolalityOfSolute", "MolarEnergy", "MolarMass",
        "MolarVolume", "Power", "Pressure", "RadiantFlux", "RadiantIntensity", "Radioactivity",
        "RelativeHumidity", "Resistance", "Resistivity", "SolidAngle", "SpecificVolume", "Speed",
        "SurfaceDensity", "SurfaceTension", "Temperature", "Time", "Torque", "Voltage", "Volume",
        "VolumeFlowRate", "VolumeFraction", "VolumetricFlux", "Wavenumber",
    ),
    GS1_VOC,
)  # fmt: skip

SENSOR_ALERT_TYPE = Vocabulary("sensorAlertType", ("ALARM_CONDITION", "ERROR_CONDITION"), GS1_VOC)

ALL: tuple[Vocabulary, ...] = (
    BIZ_STEP,
    DISPOSITION,
    BIZ_TRANSACTION_TYPE,
    SOURCE_DESTINATION_TYPE,
    ERROR_REASON,
    COMPONENT,
    MEASUREMENT_TYPE,
    SENSOR_ALERT_TYPE,
)

# CBV URN namespaces and their Web URI equivalents, for values whose field is not known.
URN_TO_WEB: tuple[tuple[str, str], ...] = tuple(
    (v.urn_prefix, v.web_prefix) for v in ALL if v.urn_prefix is not None
)


def urn_to_web(value: str) -> str:
    """Rewrite a CBV URN (``urn:epcglobal:cbv:bizstep:x``) as its Web URI; other values unchanged."""
    if value.startswith("urn:epcglobal:cbv:"):
        for urn, web in URN_TO_WEB:
            if value.startswith(urn):
                return web + value[len(urn) :]
    return value
