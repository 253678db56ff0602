"""Vital signs: entered in the user's units and stored canonically with LOINC and UCUM,
impossible values refused naming the field, abnormal ones flagged, BMI computed, series in
display units, entries marked entered in error, permissions and audit."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from emr.errors import PermissionDenied, ValidationError
from emr.models import AuditEvent
from emr.models.observations import Observation
from emr.services.vitals import (
    latest_value,
    list_vitals,
    mark_vital_in_error,
    mark_vitals_entry_in_error,
    normal_band,
    record_vitals,
    vital_series,
)

WHEN = datetime(2024, 3, 5, 9, 30)


def stored(db, patient_id: int) -> dict[str, tuple[float, str, str]]:
    with db.read() as s:
        rows = s.execute(
            select(
                Observation.loinc_code, Observation.value_num, Observation.unit, Observation.flag
            )
            .where(Observation.patient_id == patient_id)
            .order_by(Observation.id)
        ).all()
    return {code: (value, unit, flag) for code, value, unit, flag in rows}


def test_values_are_stored_in_canonical_units_with_loinc_and_ucum(db, nurse, patient):
    saved = record_vitals(
        nurse,
        patient.id,
        WHEN,
        {"weight": (150, "lb"), "temperature": (98.6, "°F"), "height": (65, "in")},
    )
    rows = stored(db, patient.id)
    assert rows["29463-7"][:2] == (68.04, "kg")
    assert rows["8310-5"][:2] == (37.0, "Cel")
    assert rows["8302-2"][:2] == (165.1, "cm")
    assert {r.group_id for r in saved} and len({r.group_id for r in saved}) == 1
    assert all(r.observed_at == WHEN for r in saved)


def test_bmi_computed_from_weight_and_height_of_the_entry(db, nurse, patient):
    saved = record_vitals(nurse, patient.id, WHEN, {"weight": (80, "kg"), "height": (180, "cm")})
    bmi = next(r for r in saved if r.key == "bmi")
    assert bmi.value_num == 24.7
    assert bmi.loinc_code == "39156-5" and bmi.unit == "kg/m2"
    assert bmi.flag == ""


def test_bmi_uses_the_latest_height_when_only_weight_is_given(db, nurse, patient):
    record_vitals(nurse, patient.id, WHEN - timedelta(days=400), {"height": (160, "cm")})
    record_vitals(nurse, patient.id, WHEN - timedelta(days=30), {"height": (170, "cm")})
    saved = record_vitals(nurse, patient.id, WHEN, {"weight": (95, "kg")})
    bmi = next(r for r in saved if r.key == "bmi")
    assert bmi.value_num == round(95 / 1.7**2, 1) == 32.9
    assert bmi.flag == "H"


def test_impossible_value_refuses_the_whole_entry_naming_the_field(db, nurse, patient):
    with pytest.raises(ValidationError) as caught:
        record_vitals(nurse, patient.id, WHEN, {"heart_rate": (72, "/min"), "weight": (7500, "kg")})
    assert set(caught.value.field_errors) == {"weight"}
    assert (
        "7500 kg is not a possible weight: enter a value from 0.2 to 500 kg"
        in caught.value.field_errors["weight"]
    )
    assert stored(db, patient.id) == {}


def test_every_bad_field_is_named_at_once(nurse, patient):
    with pytest.raises(ValidationError) as caught:
        record_vitals(
            nurse,
            patient.id,
            WHEN,
            {"temperature": (150, "°F"), "spo2": (101, "%"), "weight": (70, "stone")},
        )
    assert set(caught.value.field_errors) == {"temperature", "spo2", "weight"}
    assert "not a unit" in caught.value.field_errors["weight"]


def test_blood_pressure_needs_both_numbers_the_right_way_round(nurse, patient):
    with pytest.raises(ValidationError) as caught:
        record_vitals(nurse, patient.id, WHEN, {"systolic": (120, "mmHg")})
    assert "diastolic" in caught.value.field_errors
    with pytest.raises(ValidationError) as caught:
        record_vitals(
            nurse, patient.id, WHEN, {"systolic": (80, "mmHg"), "diastolic": (120, "mmHg")}
        )
    assert "lower than the systolic" in caught.value.field_errors["diastolic"]


def test_future_time_refused(nurse, patient):
    with pytest.raises(ValidationError) as caught:
        record_vitals(nurse, patient.id, datetime.now() + timedelta(days=1), {"pain": (3, "")})
    assert "measured_at" in caught.value.field_errors


def test_abnormal_values_are_flagged(db, nurse, patient):
    record_vitals(
        nurse,
        patient.id,
        WHEN,
        {
            "systolic": (165, "mmHg"),
            "diastolic": (70, "mmHg"),
            "heart_rate": (48, "bpm"),
            "spo2": (97, "%"),
            "temperature": (101.3, "F"),
        },
    )
    rows = stored(db, patient.id)
    assert rows["8480-6"][2] == "H"
    assert rows["8462-4"][2] == ""
    assert rows["8867-4"][2] == "L"
    assert rows["59408-5"][2] == ""
    assert rows["8310-5"][2] == "H"


def test_list_groups_entries_newest_first(nurse, patient):
    record_vitals(nurse, patient.id, WHEN - timedelta(days=1), {"heart_rate": (80, "/min")})
    record_vitals(nurse, patient.id, WHEN, {"systolic": (118, "mmHg"), "diastolic": (76, "mmHg")})
    entries = list_vitals(nurse, patient.id)
    assert [e.measured_at for e in entries] == [WHEN, WHEN - timedelta(days=1)]
    assert entries[0].get("systolic").value_num == 118
    assert entries[0].get("diastolic").value_num == 76
    assert entries[0].get("heart_rate") is None
    assert entries[1].get("heart_rate").value_num == 80


def test_series_in_display_units_oldest_first(nurse, patient):
    for days, pounds in ((30, 160), (10, 155), (0, 150)):
        record_vitals(nurse, patient.id, WHEN - timedelta(days=days), {"weight": (pounds, "lb")})
    series = vital_series(nurse, patient.id, "weight", unit="lb")
    assert [when for when, _, _ in series] == [WHEN - timedelta(days=d) for d in (30, 10, 0)]
    assert [round(v, 1) for _, v, _ in series] == [160.0, 155.0, 150.0]
    assert {source for _, _, source in series} == {"manual"}
    in_kg = vital_series(nurse, patient.id, "weight")
    assert in_kg[-1][1] == 68.04


def test_normal_band_in_display_units():
    assert normal_band("heart_rate") == (60, 100)
    low, high = normal_band("temperature", "[degF]")
    assert round(low, 1) == 97.0 and round(high, 1) == 99.0
    assert normal_band("weight") is None


def test_whole_entry_entered_in_error_in_one_go(db, nurse, patient):
    saved = record_vitals(
        nurse, patient.id, WHEN, {"weight": (70, "kg"), "height": (170, "cm"), "pain": (2, "")}
    )
    other = record_vitals(nurse, patient.id, WHEN + timedelta(hours=1), {"pain": (1, "")})
    marked = mark_vitals_entry_in_error(nurse, patient.id, saved[0].group_id, "wrong patient")
    assert len(marked) == 4 and all(r.entered_in_error for r in marked)
    assert [e.group_id for e in list_vitals(nurse, patient.id)] == [other[0].group_id]
    with_errors = list_vitals(nurse, patient.id, include_errors=True)
    assert len(with_errors) == 2 and with_errors[1].entered_in_error
    with db.read() as s:
        deletes = s.execute(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "delete", AuditEvent.detail.contains("wrong patient"))
        ).scalar_one()
    assert deletes == 4
    assert vital_series(nurse, patient.id, "weight") == []


def test_wrong_weight_takes_its_bmi_along(nurse, patient):
    saved = record_vitals(nurse, patient.id, WHEN, {"weight": (70, "kg"), "height": (170, "cm")})
    weight = next(r for r in saved if r.key == "weight")
    marked = mark_vital_in_error(nurse, weight.id, weight.version, "typed in the wrong field")
    assert {r.key for r in marked} == {"weight", "bmi"}
    (entry,) = list_vitals(nurse, patient.id)
    assert [o.key for o in entry.observations] == ["height"]


def test_reason_needed_for_entered_in_error(nurse, patient):
    saved = record_vitals(nurse, patient.id, WHEN, {"pain": (4, "")})
    with pytest.raises(ValidationError) as caught:
        mark_vital_in_error(nurse, saved[0].id, saved[0].version, "  ")
    assert "reason" in caught.value.field_errors


def test_front_desk_may_neither_record_nor_read(front_desk_user, nurse, patient):
    with pytest.raises(PermissionDenied):
        record_vitals(front_desk_user, patient.id, WHEN, {"heart_rate": (70, "/min")})
    record_vitals(nurse, patient.id, WHEN, {"heart_rate": (70, "/min")})
    with pytest.raises(PermissionDenied):
        list_vitals(front_desk_user, patient.id)
    with pytest.raises(PermissionDenied):
        vital_series(front_desk_user, patient.id, "heart_rate")


def test_recording_and_reading_are_audited(db, nurse, patient):
    saved = record_vitals(nurse, patient.id, WHEN, {"heart_rate": (70, "/min")})
    vital_series(nurse, patient.id, "heart_rate")
    with db.read() as s:
        events = s.execute(
            select(AuditEvent.action, AuditEvent.entity, AuditEvent.entity_id, AuditEvent.user_id)
            .where(AuditEvent.patient_id == patient.id, AuditEvent.action != "create")
            .order_by(AuditEvent.id)
        ).all()
        created = s.execute(
            select(AuditEvent.entity_id).where(
                AuditEvent.action == "create", AuditEvent.entity == "observations"
            )
        ).scalars()
        assert list(created) == [saved[0].id]
    assert events[-1] == ("view", "vitals", None, nurse.user_id)


def test_series_of_many_observations_comes_back_whole(db, nurse, patient):
    start = datetime(2010, 1, 1, 9)
    with db.write() as s:
        s.add_all(
            Observation(
                patient_id=patient.id,
                category="vital-signs",
                loinc_code="8867-4",
                name="Heart rate",
                value_num=60 + i % 30,
                unit="/min",
                observed_at=(start + timedelta(days=i)).astimezone(),
            )
            for i in range(5000)
        )
    series = vital_series(nurse, patient.id, "heart_rate")
    assert len(series) == 5000
    assert series[0][:2] == (start, 60) and series[-1][0] == start + timedelta(days=4999)


def test_a_blood_pressure_is_marked_in_error_as_a_pair(nurse, patient):
    saved = record_vitals(
        nurse,
        patient.id,
        WHEN,
        {"systolic": (210, "mmHg"), "diastolic": (80, "mmHg"), "heart_rate": (70, "/min")},
    )
    systolic = next(r for r in saved if r.key == "systolic")
    marked = mark_vital_in_error(nurse, systolic.id, systolic.version, "cuff too small")
    assert {r.key for r in marked} == {"systolic", "diastolic"}
    assert latest_value(nurse, patient.id, "systolic") is None
    assert latest_value(nurse, patient.id, "heart_rate") == (WHEN, 70)
