"""Entering vitals in the user's units and storing them in one canonical UCUM unit per vital.

Conversions use exact definitions: 1 lb = 0.45359237 kg, 1 oz = 28.349523125 g,
1 in = 2.54 cm, °C = (°F - 32) x 5/9. Glucose: 1 mmol/L = 18.016 mg/dL (molar mass of glucose,
180.16 g/mol). A unit is written in UCUM ("[lb_av]", "Cel") or as people type it ("lb", "°F").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from emr.codes.loinc import vital_sign
from emr.errors import ValidationError

KG_PER_LB = 0.45359237
G_PER_OZ = 28.349523125
CM_PER_IN = 2.54
GLUCOSE_MG_DL_PER_MMOL_L = 18.016


@dataclass(frozen=True)
class _Unit:
    name: str  # the UCUM code
    to_canonical: Callable[[float], float]
    from_canonical: Callable[[float], float]


def _same() -> tuple[Callable[[float], float], Callable[[float], float]]:
    return (lambda v: v), (lambda v: v)


def _scale(factor: float) -> tuple[Callable[[float], float], Callable[[float], float]]:
    return (lambda v: v * factor), (lambda v: v / factor)


def _unit(name: str, conversions: tuple[Callable[[float], float], Callable[[float], float]]):
    return _Unit(name, *conversions)


_MASS = {
    "kg": _unit("kg", _same()),
    "g": _unit("g", _scale(0.001)),
    "[lb_av]": _unit("[lb_av]", _scale(KG_PER_LB)),
    "[oz_av]": _unit("[oz_av]", _scale(G_PER_OZ / 1000)),
}
_LENGTH = {
    "cm": _unit("cm", _same()),
    "mm": _unit("mm", _scale(0.1)),
    "m": _unit("m", _scale(100.0)),
    "[in_i]": _unit("[in_i]", _scale(CM_PER_IN)),
}
_TEMPERATURE = {
    "Cel": _unit("Cel", _same()),
    "[degF]": _Unit("[degF]", lambda f: (f - 32) * 5 / 9, lambda c: c * 9 / 5 + 32),
}
_GLUCOSE = {
    "mg/dL": _unit("mg/dL", _same()),
    "mmol/L": _unit("mmol/L", _scale(GLUCOSE_MG_DL_PER_MMOL_L)),
}


def _only(name: str) -> dict[str, _Unit]:
    return {name: _unit(name, _same())}


_UNITS_BY_VITAL: dict[str, dict[str, _Unit]] = {
    "systolic": _only("mm[Hg]"),
    "diastolic": _only("mm[Hg]"),
    "heart_rate": _only("/min"),
    "respiratory_rate": _only("/min"),
    "temperature": _TEMPERATURE,
    "spo2": _only("%"),
    "weight": _MASS,
    "height": _LENGTH,
    "bmi": _only("kg/m2"),
    "head_circumference": _LENGTH,
    "pain": _only("{score}"),
    "glucose": _GLUCOSE,
    "glucose_capillary": _GLUCOSE,
}

# How people type units, folded to lower case without spaces, mapped to UCUM.
_ALIASES = {
    "kg": "kg",
    "kgs": "kg",
    "kilogram": "kg",
    "kilograms": "kg",
    "g": "g",
    "gram": "g",
    "grams": "g",
    "lb": "[lb_av]",
    "lbs": "[lb_av]",
    "pound": "[lb_av]",
    "pounds": "[lb_av]",
    "[lb_av]": "[lb_av]",
    "oz": "[oz_av]",
    "ounce": "[oz_av]",
    "ounces": "[oz_av]",
    "[oz_av]": "[oz_av]",
    "cm": "cm",
    "mm": "mm",
    "m": "m",
    "in": "[in_i]",
    "inch": "[in_i]",
    "inches": "[in_i]",
    '"': "[in_i]",
    "[in_i]": "[in_i]",
    "cel": "Cel",
    "c": "Cel",
    "°c": "Cel",
    "degc": "Cel",
    "f": "[degF]",
    "°f": "[degF]",
    "degf": "[degF]",
    "[degf]": "[degF]",
    "mg/dl": "mg/dL",
    "mmol/l": "mmol/L",
    "mm[hg]": "mm[Hg]",
    "mmhg": "mm[Hg]",
    "/min": "/min",
    "bpm": "/min",
    "beats/min": "/min",
    "count/min": "/min",  # Apple Health's heart rate
    "breaths/min": "/min",
    "%": "%",
    "kg/m2": "kg/m2",
    "kg/m²": "kg/m2",
    "{score}": "{score}",
}


_LABELS = {
    "[lb_av]": "lb",
    "[oz_av]": "oz",
    "[in_i]": "in",
    "Cel": "°C",
    "[degF]": "°F",
    "mm[Hg]": "mmHg",
    "{score}": "(0-10)",
}


def unit_label(unit: str) -> str:
    """How a UCUM unit is shown to people: "[lb_av]" -> "lb", "Cel" -> "°C"."""
    return _LABELS.get(unit, unit)


def ucum(unit: str) -> str:
    """The UCUM code of a unit as typed ("lbs" -> "[lb_av]"); the text itself if unknown."""
    typed = "".join(unit.split()).lower()
    return _ALIASES.get(typed, unit.strip())


def units_for(vital_key: str) -> list[str]:
    """The UCUM units a vital can be entered in, its canonical unit first."""
    vital_sign(vital_key)  # NotFound for an unknown vital
    return list(_UNITS_BY_VITAL.get(vital_key, {}))


def _lookup(vital_key: str, unit: str) -> _Unit:
    vital = vital_sign(vital_key)
    units = _UNITS_BY_VITAL.get(vital_key, {})
    found = units.get(ucum(unit))
    if found is None:
        accepted = ", ".join(map(unit_label, units)) or "none (it has no value of its own)"
        raise ValidationError(
            {vital_key: f"{unit!r} is not a unit for {vital.display_name.lower()}: use {accepted}."}
        )
    return found


def to_canonical(vital_key: str, value: float, unit: str) -> float:
    """The value in the vital's canonical unit (kg, cm, Cel, mg/dL ...)."""
    return _lookup(vital_key, unit).to_canonical(float(value))


def from_canonical(vital_key: str, value: float, unit: str) -> float:
    """A stored (canonical) value shown in another unit."""
    return _lookup(vital_key, unit).from_canonical(float(value))


def canonical_unit(vital_key: str) -> str:
    return vital_sign(vital_key).ucum_unit
