"""LOINC codes the chart records: vital signs (with UCUM units, impossible-value limits and adult
normal ranges) and common laboratory tests. A small subset of LOINC, shipped in
resources/codes/loinc_vitals.csv and loinc_labs.csv (sources and terms in their README).
"""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass
from typing import Literal

from emr.codes import resources_dir
from emr.errors import NotFound, ValidationError

SYSTEM = "LOINC"
UCUM = "UCUM"


@dataclass(frozen=True)
class VitalSign:
    key: str  # "systolic", "heart_rate" ...: the name the chart and units.py use
    loinc_code: str
    display_name: str
    ucum_unit: str  # the canonical unit values are stored in ("" for the panel)
    min_possible: float | None  # outside [min_possible, max_possible] a value is a typing error
    max_possible: float | None
    normal_low: float | None  # adult normal range, None where it depends on age or has none
    normal_high: float | None
    normal_range_source: str
    system: str = SYSTEM

    @property
    def is_panel(self) -> bool:
        return not self.ucum_unit


@dataclass(frozen=True)
class LabTest:
    key: str
    loinc_code: str
    display_name: str
    ucum_unit: str
    category: str  # "lipids", "kidney", "hematology" ...
    system: str = SYSTEM


def _number(text: str) -> float | None:
    return float(text) if text else None


def _rows(filename: str) -> list[dict[str, str]]:
    with (resources_dir() / filename).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@functools.cache
def _vitals() -> dict[str, VitalSign]:
    return {
        row["key"]: VitalSign(
            key=row["key"],
            loinc_code=row["loinc_code"],
            display_name=row["display_name"],
            ucum_unit=row["ucum_unit"],
            min_possible=_number(row["min_possible"]),
            max_possible=_number(row["max_possible"]),
            normal_low=_number(row["normal_low"]),
            normal_high=_number(row["normal_high"]),
            normal_range_source=row["normal_range_source"],
        )
        for row in _rows("loinc_vitals.csv")
    }


@functools.cache
def _labs() -> dict[str, LabTest]:
    return {
        row["key"]: LabTest(
            key=row["key"],
            loinc_code=row["loinc_code"],
            display_name=row["display_name"],
            ucum_unit=row["ucum_unit"],
            category=row["category"],
        )
        for row in _rows("loinc_labs.csv")
    }


def vital_signs(*, include_panels: bool = False) -> list[VitalSign]:
    """The vital signs in the order the chart shows them."""
    return [v for v in _vitals().values() if include_panels or not v.is_panel]


def vital_sign(key: str) -> VitalSign:
    try:
        return _vitals()[key]
    except KeyError:
        raise NotFound(f"{key!r} is not a vital sign this chart records.") from None


BLOOD_PRESSURE_PANEL = "bp_panel"


def lab_tests() -> list[LabTest]:
    return list(_labs().values())


def lab_test(key: str) -> LabTest:
    try:
        return _labs()[key]
    except KeyError:
        raise NotFound(f"{key!r} is not a laboratory test in the list.") from None


def by_loinc(code: str) -> VitalSign | LabTest:
    """The vital sign or laboratory test with this LOINC code."""
    code = code.strip()
    for item in [*_vitals().values(), *_labs().values()]:
        if item.loinc_code == code:
            return item
    raise NotFound(f"LOINC {code} is not one of the codes this chart knows.")


def loinc_check_digit_ok(code: str) -> bool:
    """LOINC's last digit is a mod-10 check digit over the digits before the dash."""
    body, _, check = code.strip().partition("-")
    if not (body.isdigit() and check.isdigit() and len(check) == 1):
        return False
    total = 0
    for position, digit in enumerate(int(c) for c in reversed(body)):
        if position % 2 == 0:
            digit *= 2
            digit = digit - 9 if digit > 9 else digit
        total += digit
    return (10 - total % 10) % 10 == int(check)


def _format(value: float) -> str:
    return f"{value:g}"


def check_vital(key: str, value: float) -> float:
    """The value (in the vital's canonical unit) if it is possible; a ValidationError naming the
    limits otherwise. Catches typing errors such as a weight of 7500 kg, not abnormal values."""
    vital = vital_sign(key)
    low, high = vital.min_possible, vital.max_possible
    if (low is not None and value < low) or (high is not None and value > high):
        from emr.codes.units import unit_label

        unit = f" {unit_label(vital.ucum_unit)}" if vital.ucum_unit else ""
        raise ValidationError(
            {
                key: f"{_format(value)}{unit} is not a possible {vital.display_name.lower()}: "
                f"enter a value from {_format(low or 0)} to {_format(high or 0)}{unit}."
            }
        )
    return value


Flag = Literal["low", "high"]


def flag_vital(key: str, value: float) -> Flag | None:
    """ "low" or "high" against the adult normal range; None when normal or when the vital has
    no single normal range (weight, height, head circumference, pain)."""
    vital = vital_sign(key)
    if vital.normal_low is not None and value < vital.normal_low:
        return "low"
    if vital.normal_high is not None and value > vital.normal_high:
        return "high"
    return None
