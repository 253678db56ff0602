"""The PHR import dialog driven by the keyboard: a CSV mapped column by column with the first
rows shown, a FHIR file imported straight away, errors in the red label; and "Export for
patient…" saving the FHIR record where the user says."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QFileDialog, QLineEdit
from sqlalchemy import select

from emr.models.observations import Observation
from tests.conftest import log_in
from ui.chart.fhir_export_action import export_for_patient
from ui.chart.phr_import_dialog import MAP, REPORT, PhrImportDialog

CSV = (
    "Taken,What,Reading,Units,Note\n"
    "2024-03-01 07:30,Blood Pressure,128/82,mmHg,morning\n"
    "2024-03-01 07:30,Pulse,66,bpm,\n"
    "2024-03-01 07:31,Pulse,500,bpm,\n"
    "2024-03-02 07:30,Weight,170,lb,\n"
)


@pytest.fixture
def nurse(db, operator):
    from tests.conftest import add_staff

    add_staff(operator, "nina")
    return log_in(db, "nina")


def show(qtbot, dialog: PhrImportDialog) -> PhrImportDialog:
    qtbot.addWidget(dialog)
    dialog.open()
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow, timeout=3000)
    return dialog


def stored(db, patient_id: int) -> list[tuple[str, float, str, str]]:
    with db.read() as s:
        return sorted(
            s.execute(
                select(
                    Observation.loinc_code,
                    Observation.value_num,
                    Observation.source,
                    Observation.source_name,
                ).where(Observation.patient_id == patient_id)
            ).all()
        )


def alt(qtbot, widget, key) -> None:
    qtbot.keyClick(widget, key, Qt.KeyboardModifier.AltModifier)


def test_a_csv_is_mapped_by_keyboard_and_imported(qtbot, db, nurse, patient, tmp_path):
    path = tmp_path / "bp-app.csv"
    path.write_text(CSV, encoding="utf-8")
    dialog = show(qtbot, PhrImportDialog(nurse, patient.id))
    reports = []
    dialog.imported.connect(reports.append)

    qtbot.keyClick(dialog.file_edit, Qt.Key.Key_Return)  # nothing typed yet
    assert dialog.error.text() == "Choose the file to import."
    qtbot.keyClicks(dialog.file_edit, str(path))
    alt(qtbot, dialog, Qt.Key.Key_A)  # the app or device
    assert dialog.source_edit.hasFocus()
    qtbot.keyClicks(dialog.source_edit, "BP Tracker")
    qtbot.keyClick(dialog.source_edit, Qt.Key.Key_Return)

    assert dialog.pages.currentIndex() == MAP
    assert dialog.error.isHidden()
    table = dialog.table
    assert [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())] == [
        "Taken",
        "What",
        "Reading",
        "Units",
        "Note",
    ]
    assert table.rowCount() == 4
    assert table.item(0, 2).text() == "128/82"
    assert dialog.rows_label.text() == "4 row(s) in the file."
    # Reading and Units are recognised; the date/time and type columns are not.
    assert dialog.column_map().value == "Reading" and dialog.column_map().unit == "Units"
    assert dialog.combos["time"].hasFocus()

    qtbot.keyClick(dialog, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert "Choose the column that holds the date/time" in dialog.error.text()
    assert stored(db, patient.id) == []

    qtbot.keyClick(dialog.combos["time"], Qt.Key.Key_Down)  # Taken
    alt(qtbot, dialog, Qt.Key.Key_T)
    assert dialog.combos["type"].hasFocus()
    qtbot.keyClick(dialog.combos["type"], Qt.Key.Key_Down)
    qtbot.keyClick(dialog.combos["type"], Qt.Key.Key_Down)  # What
    assert dialog.column_map().time == "Taken" and dialog.column_map().type == "What"
    alt(qtbot, dialog, Qt.Key.Key_I)  # a button's mnemonic clicks it after a moment
    qtbot.waitUntil(lambda: dialog.pages.currentIndex() == REPORT, timeout=3000)
    assert dialog.summary.text() == "4 value(s) imported, 1 skipped."
    assert dialog.skipped.rowCount() == 1
    assert dialog.skipped.item(0, 0).text() == "row 4"
    assert "500 bpm is not a possible heart rate" in dialog.skipped.item(0, 1).text()
    assert len(reports) == 1 and reports[0].imported == 4
    assert stored(db, patient.id) == [
        ("29463-7", 77.11, "phr", "BP Tracker"),
        ("8462-4", 82.0, "phr", "BP Tracker"),
        ("8480-6", 128.0, "phr", "BP Tracker"),
        ("8867-4", 66.0, "phr", "BP Tracker"),
    ]
    qtbot.keyClick(dialog.close_button, Qt.Key.Key_Return)
    assert dialog.result() == PhrImportDialog.DialogCode.Accepted


def test_a_fhir_file_is_imported_straight_away(qtbot, db, physician, patient, tmp_path):
    path = tmp_path / "export.json"
    path.write_text(
        json.dumps(
            [
                {
                    "resourceType": "Observation",
                    "status": "final",
                    "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]},
                    "effectiveDateTime": "2024-03-01T07:30:00Z",
                    "valueQuantity": {"value": 61, "unit": "beats/min", "code": "/min"},
                    "device": {"display": "Watch"},
                }
            ]
        ),
        encoding="utf-8",
    )
    dialog = show(qtbot, PhrImportDialog(physician, patient.id))
    qtbot.keyClicks(dialog.file_edit, str(path))
    qtbot.keyClick(dialog, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert dialog.pages.currentIndex() == REPORT
    assert dialog.summary.text() == "1 value(s) imported."
    assert dialog.skipped.isHidden()
    assert stored(db, patient.id) == [("8867-4", 61.0, "phr", "Watch")]


def test_bad_files_and_users_without_chart_access_are_told_why(
    qtbot, db, nurse, front_desk, patient, tmp_path
):
    bad = tmp_path / "bad.json"
    bad.write_text('{"resourceType": "Patient"}', encoding="utf-8")
    dialog = show(qtbot, PhrImportDialog(nurse, patient.id))
    qtbot.keyClicks(dialog.file_edit, str(bad))
    qtbot.keyClick(dialog.file_edit, Qt.Key.Key_Return)
    assert dialog.pages.currentIndex() == 0
    assert "a Patient resource" in dialog.error.text()

    good = tmp_path / "good.csv"
    good.write_text(CSV.replace("Taken", "Date").replace("What", "Type"), encoding="utf-8")
    desk = show(qtbot, PhrImportDialog(front_desk, patient.id))
    qtbot.keyClicks(desk.file_edit, str(good))
    qtbot.keyClick(desk.file_edit, Qt.Key.Key_Return)
    assert desk.pages.currentIndex() == MAP  # the columns were all recognised
    alt(qtbot, desk, Qt.Key.Key_I)
    qtbot.waitUntil(lambda: "may not" in desk.error.text(), timeout=3000)
    assert desk.pages.currentIndex() == MAP
    assert stored(db, patient.id) == []


def test_export_for_patient_saves_the_fhir_record(qtbot, db, physician, patient, tmp_path):
    target = tmp_path / "for-ada.json"
    seen: list[str] = []

    def answer() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, QFileDialog):
            QTimer.singleShot(20, answer)
            return
        seen.append(dialog.selectedFiles()[0])
        name = dialog.findChild(QLineEdit, "fileNameEdit")  # typed, as a person would
        name.setText(str(target))
        dialog.accept()

    QTimer.singleShot(20, answer)
    path = export_for_patient(None, physician, patient.id)
    assert path == target
    assert seen[0].endswith(f"health-record-{patient.mrn}.json")
    bundle = json.loads(target.read_text(encoding="utf-8"))
    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "collection"
    (resource,) = [
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient"
    ]
    assert resource["identifier"][0]["value"] == patient.mrn
