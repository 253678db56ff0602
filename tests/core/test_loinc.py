"""LOINC vital signs and laboratory tests: the shipped subset, limits and normal ranges."""

from __future__ import annotations

import pytest

from emr.codes.loinc import (
    BLOOD_PRESSURE_PANEL,
    LabTest,
    VitalSign,
    by_loinc,
    check_vital,
    flag_vital,
    lab_test,
    lab_tests,
    loinc_check_digit_ok,
    vital_sign,
    vital_signs,
)
from emr.errors import NotFound, ValidationError

EXPECTED_VITALS = {
    "systolic": ("8480-6", "mm[Hg]"),
    "diastolic": ("8462-4", "mm[Hg]"),
    "heart_rate": ("8867-4", "/min"),
    "respiratory_rate": ("9279-1", "/min"),
    "temperature": ("8310-5", "Cel"),
    "spo2": ("59408-5", "%"),
    "weight": ("29463-7", "kg"),
    "height": ("8302-2", "cm"),
    "bmi": ("39156-5", "kg/m2"),
    "head_circumference": ("9843-4", "cm"),
    "pain": ("72514-3", "{score}"),
    "glucose": ("2339-0", "mg/dL"),
    "glucose_capillary": ("41653-7", "mg/dL"),
}


def test_vital_signs_have_their_loinc_code_and_ucum_unit() -> None:
    found = {v.key: (v.loinc_code, v.ucum_unit) for v in vital_signs()}
    assert found == EXPECTED_VITALS
    assert all(v.system == "LOINC" for v in vital_signs())


def test_blood_pressure_panel() -> None:
    panel = vital_sign(BLOOD_PRESSURE_PANEL)
    assert panel.loinc_code == "85354-9" and panel.is_panel
    assert panel not in vital_signs()
    assert panel in vital_signs(include_panels=True)


def test_every_code_has_a_valid_check_digit() -> None:
    codes = [v.loinc_code for v in vital_signs(include_panels=True)]
    codes += [t.loinc_code for t in lab_tests()]
    assert len(codes) == len(set(codes))
    assert all(loinc_check_digit_ok(code) for code in codes)


def test_check_digit_rejects_typos() -> None:
    assert loinc_check_digit_ok("8480-6")
    assert not loinc_check_digit_ok("8480-5")
    assert not loinc_check_digit_ok("8408-6")
    assert not loinc_check_digit_ok("abc")


def test_limits_and_normal_ranges_are_consistent() -> None:
    for v in vital_signs():
        assert v.min_possible is not None and v.max_possible is not None
        assert v.min_possible < v.max_possible
        if v.normal_low is not None:
            assert v.normal_high is not None and v.normal_range_source
            assert v.min_possible <= v.normal_low < v.normal_high <= v.max_possible


def test_common_labs() -> None:
    expected = {
        "hba1c": "4548-4",
        "ldl_calculated": "13457-7",
        "ldl_direct": "18262-6",
        "hdl": "2085-9",
        "cholesterol_total": "2093-3",
        "triglycerides": "2571-8",
        "creatinine": "2160-0",
        "egfr_ckd_epi_2021": "98979-8",
        "potassium": "2823-3",
        "sodium": "2951-2",
        "tsh": "3016-3",
        "hemoglobin": "718-7",
        "wbc": "6690-2",
        "platelets": "777-3",
        "alt": "1742-6",
        "ast": "1920-8",
    }
    assert {key: lab_test(key).loinc_code for key in expected} == expected
    assert lab_test("hba1c").ucum_unit == "%"
    assert all(t.ucum_unit and t.category for t in lab_tests())


def test_lookup_by_loinc_code() -> None:
    assert isinstance(by_loinc("8867-4"), VitalSign)
    assert by_loinc(" 4548-4 ") == lab_test("hba1c")
    assert isinstance(by_loinc("718-7"), LabTest)
    with pytest.raises(NotFound):
        by_loinc("0000-0")


def test_unknown_keys() -> None:
    with pytest.raises(NotFound):
        vital_sign("blood_sugar")
    with pytest.raises(NotFound):
        lab_test("unobtainium")


def test_impossible_values_are_refused_with_the_limits() -> None:
    assert check_vital("weight", 72.5) == 72.5
    with pytest.raises(ValidationError) as raised:
        check_vital("weight", 7500)
    assert raised.value.field_errors["weight"] == (
        "7500 kg is not a possible body weight: enter a value from 0.2 to 500 kg."
    )
    with pytest.raises(ValidationError, match="°C"):
        check_vital("temperature", 98.6)  # Fahrenheit typed where Celsius is expected
    with pytest.raises(ValidationError):
        check_vital("spo2", 101)
    assert check_vital("pain", 0) == 0


def test_flags_against_adult_normal_ranges() -> None:
    assert flag_vital("systolic", 150) == "high"
    assert flag_vital("systolic", 118) is None
    assert flag_vital("diastolic", 55) == "low"
    assert flag_vital("spo2", 92) == "low"
    assert flag_vital("heart_rate", 72) is None
    assert flag_vital("temperature", 38.4) == "high"
    assert flag_vital("bmi", 31.2) == "high"
    assert flag_vital("weight", 3.2) is None  # no single normal range
