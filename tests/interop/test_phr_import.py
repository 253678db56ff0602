"""PHR import: patient-kept measurements from a FHIR file or a phone app's CSV, stored as
vital signs marked "phr" with the app's name; canonical units, impossible values skipped with
the reason, no duplicates, and bad files refused with nothing changed."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from emr.errors import NotFound, PermissionDenied, ValidationError
from emr.interop.phr import parse_time
from emr.interop.phr.csv_import import ColumnMap, guess_map, measurement_type
from emr.localtime import to_local
from emr.models.audit import AuditEvent
from emr.models.observations import Observation
from emr.services.phr import MAX_BYTES, import_phr, preview_csv
from emr.services.vitals import list_vitals, record_vitals

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
WHEN = datetime(2024, 3, 1, 7, 30, tzinfo=UTC)


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def observation(code: str, value=None, unit="", when=WHEN, oid="", device="HomeCuff", **more):
    resource = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": code}]},
        "effectiveDateTime": stamp(when),
        "device": {"display": device},
    }
    if oid:
        resource["id"] = oid
    if value is not None:
        resource["valueQuantity"] = {"value": value, "unit": unit, "system": UCUM, "code": unit}
    return resource | more


def bp_panel(systolic, diastolic, when=WHEN, oid="bp1"):
    return observation(
        "85354-9",
        when=when,
        oid=oid,
        component=[
            {
                "code": {"coding": [{"system": LOINC, "code": code}]},
                "valueQuantity": {"value": v, "unit": "mmHg", "system": UCUM, "code": "mm[Hg]"},
            }
            for code, v in (("8480-6", systolic), ("8462-4", diastolic))
        ],
    )


def rows_of(db, patient_id: int) -> list[Observation]:
    with db.read() as s:
        rows = list(
            s.scalars(
                select(Observation)
                .where(Observation.patient_id == patient_id)
                .order_by(Observation.observed_at, Observation.loinc_code)
            )
        )
        s.expunge_all()
    return rows


def count(db, patient_id: int) -> int:
    with db.read() as s:
        return s.scalar(
            select(func.count())
            .select_from(Observation)
            .where(Observation.patient_id == patient_id)
        )


def import_events(db, patient_id: int) -> list[str]:
    with db.read() as s:
        return list(
            s.scalars(
                select(AuditEvent.detail).where(
                    AuditEvent.action == "import", AuditEvent.patient_id == patient_id
                )
            )
        )


FHIR_LIST = [
    bp_panel(128, 82),
    observation("8867-4", 64, "/min", oid="hr1"),
    observation("29463-7", 165, "[lb_av]", oid="wt1", when=WHEN + timedelta(hours=1)),
    observation("41653-7", 6.1, "mmol/L", oid="glu1", device="GlucoMeter 3"),
    observation("2708-6", 96, "%", oid="sat1"),
    observation("41950-7", 9120, "/d", oid="steps1"),
    observation("8867-4", 400, "/min", oid="hr-bad"),
    observation("8867-4", 70, "/min", oid="hr-future", when=datetime.now(UTC) + timedelta(days=2)),
    observation("8867-4", 70, "kg", oid="hr-unit"),
    observation("1234-5", 1, "mg", oid="odd"),
    observation("8867-4", 61, "/min", oid="hr-err", status="entered-in-error"),
]


def test_fhir_observations_are_stored_as_patient_reported_vitals(db, nurse, patient):
    report = import_phr(nurse, patient.id, json.dumps(FHIR_LIST).encode())
    assert report.imported == 6  # systolic, diastolic, heart rate, weight, glucose, SpO2
    assert report.duplicates == 0
    reasons = dict(report.skipped)
    assert set(reasons) == {
        "Observation steps1",
        "Observation hr-bad",
        "Observation hr-future",
        "Observation hr-unit",
        "Observation odd",
        "Observation hr-err",
    }
    assert "step counts are not kept" in reasons["Observation steps1"]
    assert reasons["Observation hr-bad"] == (
        "400 /min is not a possible heart rate (possible: 20 to 300 /min)"
    )
    assert reasons["Observation hr-future"] == "its time is in the future"
    assert reasons["Observation hr-unit"].startswith("'kg' is not a unit for heart rate")
    assert reasons["Observation odd"] == "LOINC 1234-5 is not a measurement this chart keeps"
    assert reasons["Observation hr-err"] == "the app marked it entered-in-error"

    rows = {r.loinc_code: r for r in rows_of(db, patient.id)}
    assert set(rows) == {"8480-6", "8462-4", "8867-4", "29463-7", "41653-7", "59408-5"}
    assert all(r.source == "phr" and r.category == "vital-signs" for r in rows.values())
    assert rows["8480-6"].value_num == 128 and rows["8480-6"].unit == "mm[Hg]"
    assert rows["8480-6"].flag == "H"
    assert rows["8462-4"].value_num == 82
    assert rows["29463-7"].value_num == 74.84 and rows["29463-7"].unit == "kg"
    assert rows["41653-7"].value_num == 109.9 and rows["41653-7"].unit == "mg/dL"
    assert rows["41653-7"].source_name == "GlucoMeter 3"
    assert rows["59408-5"].value_num == 96  # 2708-6 is kept as the chart's SpO2
    assert rows["8867-4"].source_name == "HomeCuff"
    assert rows["8867-4"].observed_at == WHEN
    assert rows["29463-7"].observed_at == WHEN + timedelta(hours=1)
    # One group per measurement time and app: the 7:30 cuff readings together.
    cuff = {rows[c].group_id for c in ("8480-6", "8462-4", "8867-4", "59408-5")}
    assert len(cuff) == 1
    assert rows["29463-7"].group_id not in cuff
    assert rows["41653-7"].group_id not in cuff

    (detail,) = import_events(db, patient.id)
    assert detail.startswith("PHR import (fhir): 6 value(s) from GlucoMeter 3, HomeCuff")
    entries = list_vitals(nurse, patient.id)
    assert {e.measured_at for e in entries} == {to_local(WHEN), to_local(WHEN + timedelta(hours=1))}


def test_a_bundle_and_duplicates_are_not_imported_twice(db, nurse, patient):
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"resource": {"resourceType": "Patient", "id": "p"}},
            {"resource": bp_panel(120, 80)},
            {"resource": observation("8867-4", 72, "/min", oid="hr")},
        ],
    }
    data = json.dumps(bundle).encode()
    first = import_phr(nurse, patient.id, data)
    assert (first.imported, first.duplicates, first.skipped) == (3, 0, [])
    again = import_phr(nurse, patient.id, data)
    assert (again.imported, again.duplicates) == (0, 3)
    assert count(db, patient.id) == 3

    # A value the clinic recorded at the same time is the same measurement.
    record_vitals(
        nurse, patient.id, to_local(WHEN + timedelta(days=1)), {"heart_rate": (66, "/min")}
    )
    later = import_phr(
        nurse,
        patient.id,
        json.dumps([observation("8867-4", 66, "/min", when=WHEN + timedelta(days=1))]).encode(),
    )
    assert (later.imported, later.duplicates) == (0, 1)
    # The same reading twice in one file is stored once.
    twice = [
        observation("8867-4", 90, "/min", oid=f"x{n}", when=WHEN + timedelta(days=3))
        for n in (1, 2)
    ]
    report = import_phr(nurse, patient.id, json.dumps(twice).encode())
    assert (report.imported, report.duplicates) == (1, 1)


def test_a_blood_pressure_whose_diastolic_is_higher_is_skipped_whole(db, nurse, patient):
    report = import_phr(nurse, patient.id, json.dumps([bp_panel(70, 90)]).encode())
    assert report.imported == 0
    assert report.skipped == [
        ("Observation bp1", "the diastolic pressure is not lower than the systolic")
    ]
    report = import_phr(nurse, patient.id, json.dumps([bp_panel(400, 90, oid="bp2")]).encode())
    assert report.imported == 0  # one impossible half takes the pair along
    assert [ref for ref, _ in report.skipped] == ["Observation bp2"]
    assert count(db, patient.id) == 0


APPLE_CSV = """sourceName,type,unit,startDate,value
Health,HKQuantityTypeIdentifierBodyMass,lb,2024-03-01 07:30:00 -0500,180
Health,HKQuantityTypeIdentifierHeartRate,count/min,2024-03-01 07:30:00 -0500,58
Health,HKQuantityTypeIdentifierOxygenSaturation,%,2024-03-01 07:30:00 -0500,0.97
Health,HKQuantityTypeIdentifierStepCount,count,2024-03-01 07:30:00 -0500,4012
Health,HKQuantityTypeIdentifierBodyTemperature,degF,2024-03-01 08:00:00 -0500,99.1
Health,HKQuantityTypeIdentifierHeartRate,count/min,not a date,60
"""


def test_an_apple_health_csv_with_guessed_columns(db, nurse, patient):
    preview = preview_csv(APPLE_CSV.encode(), rows=2)
    assert preview.headers == ["sourceName", "type", "unit", "startDate", "value"]
    assert preview.guess == ColumnMap("startDate", "type", "value", "unit", "sourceName")
    assert len(preview.rows) == 2 and preview.row_count == 6

    report = import_phr(nurse, patient.id, APPLE_CSV.encode(), kind="csv")
    assert report.imported == 4
    assert dict(report.skipped) == {
        "row 5": "step counts are not kept in this chart (it keeps vital signs only); not imported",
        "row 7": "'not a date' is not a date and time",
    }
    rows = {r.loinc_code: r for r in rows_of(db, patient.id)}
    assert rows["29463-7"].value_num == 81.65
    assert rows["59408-5"].value_num == 97  # Apple's fraction as a percentage
    assert rows["8310-5"].value_num == 37.28
    assert rows["29463-7"].observed_at == datetime(2024, 3, 1, 12, 30, tzinfo=UTC)
    assert {r.source_name for r in rows.values()} == {"Health"}


def test_a_csv_with_a_chosen_column_map(db, nurse, patient):
    data = (
        b"Taken;What;Number;U;Notes\n"
        b"03/01/2024 07:30;Blood Pressure;132/86;mmHg;morning\n"
        b"03/01/2024 07:30;Pulse;71;bpm;\n"
        b"03/01/2024 19:00;Blood glucose;5,4;mmol/L;after dinner\n"
    )
    with pytest.raises(ValidationError) as refused:
        import_phr(nurse, patient.id, data, kind="csv")
    assert "Choose the column that holds the date/time" in str(refused.value)
    columns = {"time": "Taken", "type": "What", "value": "Number", "unit": "U"}
    report = import_phr(nurse, patient.id, data, column_map=columns, source_name="Omron app")
    assert (report.imported, report.skipped) == (4, [])
    rows = {r.loinc_code: r for r in rows_of(db, patient.id)}
    assert (rows["8480-6"].value_num, rows["8462-4"].value_num) == (132, 86)
    assert rows["8867-4"].value_num == 71
    assert rows["2339-0"].value_num == 97.29
    assert rows["8480-6"].source_name == "Omron app"
    assert rows["8480-6"].group_id == rows["8867-4"].group_id != rows["2339-0"].group_id


def test_measurement_types_and_times_as_apps_write_them():
    assert measurement_type("HKQuantityTypeIdentifierBloodPressureSystolic") == "systolic"
    assert measurement_type("Heart Rate") == "heart_rate"
    assert measurement_type("29463-7") == "weight"
    assert measurement_type("weight") == "weight"
    assert measurement_type("Mood") is None
    assert guess_map(["Date/Time", "Type", "Value", "Unit"]) == ColumnMap(
        "Date/Time", "Type", "Value", "Unit"
    )
    assert parse_time("2024-03-01T07:30:00Z") == WHEN
    assert parse_time("2024-03-01 02:30:00 -0500") == WHEN
    assert parse_time("yesterday") is None


# --- bad files: a clear error, nothing changed --------------------------------------------------


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'{"resourceType": "Bundle", ', "not valid JSON (line 1"),
        (b'{"resourceType": "Patient", "id": "x"}', "The file is a Patient resource"),
        (b'[{"resourceType": "Condition"}]', "Item 1 of the list is a Condition"),
        (
            b'{"resourceType": "Bundle", "entry": [{"resource": {"resourceType": "Patient"}}]}',
            "The Bundle holds no Observation (it holds Patient)",
        ),
        (json.dumps([observation("8867-4", 70, "")]).encode(), "1 value(s) have no unit"),
        (
            json.dumps([bp_panel(120, 80), observation("29463-7", 80, "", oid="w")]).encode(),
            "have no unit (Observation w)",
        ),
        (b"Date,Type,Value,Unit\n2024-03-01 07:30,Weight,80,\n", "have no unit (row 2)"),
        (b"Date,Type,Value,Unit\n", "needs a header row and at least one measurement"),
        (b"   \n", "The file is empty"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "not a CSV text file"),
    ],
)
def test_bad_files_are_refused_and_change_nothing(db, nurse, patient, data, message):
    with pytest.raises(ValidationError) as refused:
        import_phr(nurse, patient.id, data)
    assert message in str(refused.value)
    assert count(db, patient.id) == 0
    assert import_events(db, patient.id) == []


def test_a_huge_file_is_refused_before_it_is_read(db, nurse, patient, tmp_path):
    huge = tmp_path / "export.json"
    with huge.open("wb") as f:
        f.truncate(MAX_BYTES + 1)
    with pytest.raises(ValidationError) as refused:
        import_phr(nurse, patient.id, huge)
    assert "the import takes files up to 20 MB" in str(refused.value)
    with pytest.raises(ValidationError):
        import_phr(nurse, patient.id, b"[" + b" " * MAX_BYTES + b"]")
    with pytest.raises(ValidationError, match="There is no file"):
        import_phr(nurse, patient.id, tmp_path / "missing.csv")
    assert count(db, patient.id) == 0


def test_a_file_on_disk_is_named_by_its_file_name(db, nurse, patient, tmp_path):
    path = tmp_path / "withings-export.csv"
    path.write_text("Date,Type,Value,Unit\n2024-03-01 07:30,Weight,80.5,kg\n", encoding="utf-8")
    report = import_phr(nurse, patient.id, path)
    assert report.imported == 1
    assert report.source_names == ("withings-export.csv",)


def test_who_may_import(db, front_desk_user, admin_user, physician, patient):
    data = json.dumps([observation("8867-4", 70, "/min")]).encode()
    for actor in (front_desk_user, admin_user):
        with pytest.raises(PermissionDenied):
            import_phr(actor, patient.id, data)
    with pytest.raises(NotFound):
        import_phr(physician, 99999, data)
    assert import_phr(physician, patient.id, data).imported == 1
