"""Unit conversions for entering vitals in the user's units."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emr.codes.loinc import vital_signs
from emr.codes.units import (
    canonical_unit,
    from_canonical,
    to_canonical,
    ucum,
    unit_label,
    units_for,
)
from emr.errors import NotFound, ValidationError


@pytest.mark.parametrize(
    ("vital", "value", "unit", "expected"),
    [
        ("weight", 1, "lb", 0.45359237),
        ("weight", 150, "lbs", 68.0388555),
        ("weight", 16, "oz", 0.45359237),
        ("weight", 3500, "g", 3.5),
        ("weight", 70, "kg", 70),
        ("height", 1, "in", 2.54),
        ("height", 70, "[in_i]", 177.8),
        ("height", 1.8, "m", 180),
        ("head_circumference", 450, "mm", 45),
        ("temperature", 32, "°F", 0),
        ("temperature", 212, "F", 100),
        ("temperature", 98.6, "[degF]", 37),
        ("temperature", 37, "°C", 37),
        ("glucose", 1, "mmol/L", 18.016),
        ("glucose", 5.5, "mmol/l", 99.088),
        ("glucose_capillary", 100, "mg/dL", 100),
        ("systolic", 120, "mmHg", 120),
        ("heart_rate", 72, "bpm", 72),
    ],
)
def test_to_canonical(vital: str, value: float, unit: str, expected: float) -> None:
    assert to_canonical(vital, value, unit) == pytest.approx(expected, rel=1e-12, abs=1e-12)


def test_from_canonical_shows_stored_values_in_other_units() -> None:
    assert from_canonical("temperature", 37, "°F") == pytest.approx(98.6)
    assert from_canonical("weight", 0.45359237, "lb") == pytest.approx(1)
    assert from_canonical("glucose", 18.016, "mmol/L") == pytest.approx(1)
    assert from_canonical("height", 2.54, "in") == pytest.approx(1)


def test_every_vital_accepts_its_canonical_unit_first() -> None:
    for vital in vital_signs():
        assert units_for(vital.key)[0] == vital.ucum_unit == canonical_unit(vital.key)
        assert to_canonical(vital.key, 12.5, vital.ucum_unit) == 12.5


def test_unknown_unit_is_a_validation_error_naming_the_accepted_units() -> None:
    with pytest.raises(ValidationError) as raised:
        to_canonical("weight", 11, "stone")
    assert raised.value.field_errors == {
        "weight": "'stone' is not a unit for body weight: use kg, g, lb, oz."
    }
    with pytest.raises(ValidationError):
        to_canonical("glucose", 5, "g/L")
    with pytest.raises(ValidationError):
        to_canonical("temperature", 300, "K")


def test_unknown_vital() -> None:
    with pytest.raises(NotFound):
        to_canonical("shoe_size", 42, "cm")


def test_typed_units_map_to_ucum_and_back_to_labels() -> None:
    assert ucum(" LBS ") == "[lb_av]"
    assert ucum("°f") == "[degF]"
    assert ucum("mm Hg") == "mm[Hg]"
    assert unit_label("[lb_av]") == "lb"
    assert unit_label("Cel") == "°C"
    assert unit_label("kg") == "kg"


CONVERTIBLE = [
    ("weight", "[lb_av]"),
    ("weight", "[oz_av]"),
    ("weight", "g"),
    ("height", "[in_i]"),
    ("height", "m"),
    ("head_circumference", "mm"),
    ("temperature", "[degF]"),
    ("glucose", "mmol/L"),
    ("glucose_capillary", "mmol/L"),
]


@given(
    pair=st.sampled_from(CONVERTIBLE),
    value=st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False),
)
def test_round_trip(pair: tuple[str, str], value: float) -> None:
    vital, unit = pair
    back = from_canonical(vital, to_canonical(vital, value, unit), unit)
    assert math.isclose(back, value, rel_tol=1e-12, abs_tol=1e-9)


@given(value=st.floats(min_value=-100, max_value=300, allow_nan=False))
def test_fahrenheit_conversion_is_monotonic_and_exact_at_the_fixed_point(value: float) -> None:
    assert to_canonical("temperature", -40, "°F") == pytest.approx(-40)
    assert to_canonical("temperature", value + 1, "°F") > to_canonical("temperature", value, "°F")
