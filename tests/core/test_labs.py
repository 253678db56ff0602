"""Laboratory results: panels entered by hand or imported from CSV, flags computed from the
reference ranges, LOINC check digits, the flowsheet (tests by date), series, entered in error,
permissions and audit."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from emr.errors import PermissionDenied, ValidationError
from emr.models import AuditEvent
from emr.models.observations import LabPanel, Observation
from emr.services.labs import (
    LabResultInput,
    compute_flag,
    flowsheet,
    import_lab_panel_csv,
    lab_series,
    list_panels,
    mark_panel_in_error,
    record_lab_panel,
    row_field,
)

WHEN = datetime(2024, 3, 5, 8, 15)


def bmp(when: datetime = WHEN, potassium: float = 4.1) -> dict:
    return dict(
        name="Basic metabolic panel",
        collected_at=when,
        performing_lab="Quest Diagnostics",
        results=[
            LabResultInput("Sodium", "2951-2", 139, "mmol/L", 135, 145),
            LabResultInput("Potassium", "2823-3", potassium, "mmol/L", 3.5, 5.1, critical_high=6.0),
            LabResultInput("Glucose", "2345-7", "128", "mg/dL", 70, 99),
        ],
    )


def count(db, model) -> int:
    with db.read() as s:
        return s.execute(select(func.count()).select_from(model)).scalar_one()


def test_flags_are_computed_from_the_ranges():
    assert compute_flag(3.0, "", 3.5, 5.1) == "L"
    assert compute_flag(5.5, "", 3.5, 5.1) == "H"
    assert compute_flag(4.0, "", 3.5, 5.1) == ""
    assert compute_flag(6.5, "", 3.5, 5.1, critical_high=6.0) == "HH"
    assert compute_flag(2.0, "", 3.5, 5.1, critical_low=2.5) == "LL"
    assert compute_flag(None, "Positive", None, None, "Negative") == "A"
    assert compute_flag(None, "negative", None, None, "Negative") == ""


def test_panel_saved_with_flags_loinc_and_units(db, physician, patient):
    panel = record_lab_panel(physician, patient.id, **bmp(potassium=6.4))
    assert panel.name == "Basic metabolic panel" and panel.collected_at == WHEN
    flags = {r.name: r.flag for r in panel.results}
    assert flags == {"Sodium": "", "Potassium": "HH", "Glucose": "H"}
    glucose = panel.results[2]
    assert glucose.value_num == 128 and glucose.unit == "mg/dL" and glucose.loinc_code == "2345-7"
    assert all(
        r.performing_lab == "Quest Diagnostics" and r.panel_id == panel.id for r in panel.results
    )
    with db.read() as s:
        categories = set(s.execute(select(Observation.category)).scalars())
    assert categories == {"laboratory"}


def test_given_flag_is_kept_and_text_results_are_text(physician, patient):
    panel = record_lab_panel(
        physician,
        patient.id,
        name="Urinalysis",
        collected_at=WHEN,
        results=[
            LabResultInput("Protein", "", "Positive", ref_text="Negative"),
            LabResultInput("Ketones", "", "Negative", ref_text="Negative"),
            LabResultInput("Specific gravity", "", 1.030, "", 1.005, 1.030, flag="h"),
        ],
    )
    assert [(r.value_text, r.flag) for r in panel.results[:2]] == [
        ("Positive", "A"),
        ("Negative", ""),
    ]
    assert panel.results[2].flag == "H" and panel.results[2].value_num == 1.03


def test_wrong_loinc_check_digit_refused_naming_the_row(db, physician, patient):
    data = bmp()
    data["results"][1] = LabResultInput("Potassium", "2823-4", 4.0, "mmol/L")
    with pytest.raises(ValidationError) as caught:
        record_lab_panel(physician, patient.id, **data)
    assert set(caught.value.field_errors) == {row_field(2, "loinc_code")}
    assert "check digit" in caught.value.field_errors[row_field(2, "loinc_code")]
    assert count(db, LabPanel) == 0 and count(db, Observation) == 0


def test_missing_values_name_refused(physician, patient):
    with pytest.raises(ValidationError) as caught:
        record_lab_panel(
            physician,
            patient.id,
            name=" ",
            collected_at=WHEN,
            results=[LabResultInput("", "", 5), LabResultInput("HDL", "2085-9", "")],
        )
    assert set(caught.value.field_errors) == {"name", row_field(1, "test"), row_field(2, "value")}


def test_known_loinc_gives_the_name_when_none_typed(physician, patient):
    panel = record_lab_panel(
        physician,
        patient.id,
        name="A1c",
        collected_at=WHEN,
        results=[LabResultInput("", "4548-4", 7.2, "%")],
    )
    assert panel.results[0].name == "Hemoglobin A1c/Hemoglobin.total in Blood"


CSV = """test,loinc,value,unit,low,high,flag,collected_at,lab
Hemoglobin A1c,4548-4,7.4,%,4.0,5.6,,2024-02-01 08:00,City Lab
LDL cholesterol,13457-7,92,mg/dL,,100,,2024-02-01 08:00,City Lab
HDL cholesterol,2085-9,38,mg/dL,40,,L,2024-02-01 08:00,City Lab
"""


def test_csv_import_makes_one_panel(tmp_path: Path, physician, patient):
    path = tmp_path / "Diabetes_follow-up.csv"
    path.write_text(CSV, encoding="utf-8")
    panel = import_lab_panel_csv(physician, patient.id, path)
    assert panel.name == "Diabetes follow-up" and panel.source == "import"
    assert panel.collected_at == datetime(2024, 2, 1, 8, 0) and panel.performing_lab == "City Lab"
    assert [(r.name, r.value_num, r.flag) for r in panel.results] == [
        ("Hemoglobin A1c", 7.4, "H"),
        ("LDL cholesterol", 92, ""),
        ("HDL cholesterol", 38, "L"),
    ]


def test_csv_with_a_bad_row_is_refused_whole(tmp_path: Path, db, physician, patient):
    bad = CSV.replace("13457-7,92", "13457-3,92").replace("38,mg/dL,40", "38,mg/dL,forty")
    path = tmp_path / "lipids.csv"
    path.write_text(bad, encoding="utf-8")
    with pytest.raises(ValidationError) as caught:
        import_lab_panel_csv(physician, patient.id, path)
    assert "line 4" in caught.value.field_errors
    path.write_text(CSV.replace("13457-7,92", "13457-3,92"), encoding="utf-8")
    with pytest.raises(ValidationError) as caught:
        import_lab_panel_csv(physician, patient.id, path)
    assert set(caught.value.field_errors) == {"line 3"}
    assert "13457-3" in caught.value.field_errors["line 3"]
    assert count(db, LabPanel) == 0 and count(db, Observation) == 0


def test_csv_header_and_collection_time_checked(tmp_path: Path, physician, patient):
    path = tmp_path / "x.csv"
    path.write_text("name,result\nA1c,7\n", encoding="utf-8")
    with pytest.raises(ValidationError) as caught:
        import_lab_panel_csv(physician, patient.id, path)
    assert "test, value, collected_at" in caught.value.field_errors["file"]
    path.write_text(CSV.replace("2024-02-01 08:00,City Lab\nHDL", "2024-02-02 08:00,City Lab\nHDL"))
    with pytest.raises(ValidationError) as caught:
        import_lab_panel_csv(physician, patient.id, path)
    assert "collected_at" in caught.value.field_errors


def test_flowsheet_tests_by_date_with_flags(physician, patient):
    record_lab_panel(physician, patient.id, **bmp(WHEN - timedelta(days=90), potassium=3.2))
    record_lab_panel(physician, patient.id, **bmp(WHEN, potassium=4.4))
    record_lab_panel(
        physician,
        patient.id,
        name="A1c",
        collected_at=WHEN,
        results=[LabResultInput("HbA1c", "4548-4", 7.2, "%", 4, 5.6)],
    )
    sheet = flowsheet(physician, patient.id)
    assert sheet.dates == (WHEN, WHEN - timedelta(days=90))
    names = [t.name for t in sheet.tests]
    assert names == ["Sodium", "Potassium", "Glucose", "HbA1c"]
    potassium = names.index("Potassium")
    assert sheet.cell(potassium, 0).value == "4.4" and sheet.cell(potassium, 0).flag == ""
    assert sheet.cell(potassium, 1).value == "3.2" and sheet.cell(potassium, 1).flag == "L"
    assert sheet.cell(names.index("HbA1c"), 0).flag == "H"
    assert sheet.cell(names.index("HbA1c"), 1) is None
    recent = flowsheet(physician, patient.id, since=WHEN - timedelta(days=1))
    assert recent.dates == (WHEN,)


def test_series_and_panel_entered_in_error(physician, patient):
    old = record_lab_panel(physician, patient.id, **bmp(WHEN - timedelta(days=90), potassium=3.2))
    record_lab_panel(physician, patient.id, **bmp(WHEN, potassium=4.4))
    assert lab_series(physician, patient.id, "2823-3") == [
        (WHEN - timedelta(days=90), 3.2),
        (WHEN, 4.4),
    ]
    marked = mark_panel_in_error(physician, old.id, old.version, "another patient's report")
    assert marked.entered_in_error and all(r.entered_in_error for r in marked.results)
    assert lab_series(physician, patient.id, "2823-3") == [(WHEN, 4.4)]
    assert [p.collected_at for p in list_panels(physician, patient.id)] == [WHEN]
    assert len(list_panels(physician, patient.id, include_errors=True)) == 2
    assert flowsheet(physician, patient.id).dates == (WHEN,)


def test_front_desk_refused(tmp_path: Path, front_desk_user, physician, patient):
    with pytest.raises(PermissionDenied):
        record_lab_panel(front_desk_user, patient.id, **bmp())
    path = tmp_path / "p.csv"
    path.write_text(CSV, encoding="utf-8")
    with pytest.raises(PermissionDenied):
        import_lab_panel_csv(front_desk_user, patient.id, path)
    record_lab_panel(physician, patient.id, **bmp())
    with pytest.raises(PermissionDenied):
        flowsheet(front_desk_user, patient.id)
    with pytest.raises(PermissionDenied):
        lab_series(front_desk_user, patient.id, "2823-3")


def test_entry_and_views_audited(db, physician, patient):
    panel = record_lab_panel(physician, patient.id, **bmp())
    flowsheet(physician, patient.id)
    with db.read() as s:
        events = s.execute(
            select(AuditEvent.action, AuditEvent.entity, AuditEvent.entity_id)
            .where(AuditEvent.patient_id == patient.id, AuditEvent.user_id == physician.user_id)
            .order_by(AuditEvent.id)
        ).all()
    assert events == [("create", "lab_panels", panel.id), ("view", "lab_results", None)]
