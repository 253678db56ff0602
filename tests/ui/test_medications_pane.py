"""The Medications tab driven by keyboard: add a medication, stop it with a reason."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import Qt

from emr.services.auth import login
from emr.services.medications import add_medication, list_medications
from emr.services.users import create_user
from ui.chart.medication_dialog import MedicationDialog, StopMedicationDialog
from ui.chart.medications_pane import MedicationsPane
from ui.widgets.date_field import parse_typed_date as parse_date

from .conftest import PASSWORDS

CTRL = Qt.KeyboardModifier.ControlModifier


@pytest.fixture
def doc(db, users):
    return login(db, "doc", PASSWORDS["doc"])


@pytest.fixture
def nurse(db, operator, users):
    create_user(
        operator, username="nina", full_name="Nina Nurse", role="nurse", password="nurse pw 12345"
    )
    return login(db, "nina", "nurse pw 12345")


def open_pane(qtbot, actor, patient_id) -> MedicationsPane:
    pane = MedicationsPane(actor, patient_id)
    qtbot.addWidget(pane)
    pane.show()
    pane.activateWindow()
    qtbot.waitUntil(pane.isActiveWindow, timeout=3000)
    pane.reload()
    return pane


def active_dialog(qtbot, pane, kind):
    qtbot.waitUntil(lambda: isinstance(pane.dialog, kind) and pane.dialog.isVisible(), timeout=3000)
    dialog = pane.dialog
    qtbot.waitUntil(dialog.isActiveWindow, timeout=3000)
    return dialog


def cell(table, row: int, column: int) -> str:
    return table.model().index(row, column).data()


def test_add_a_medication_and_stop_it_with_a_reason(qtbot, doc, patients):
    patient = patients[0]
    pane = open_pane(qtbot, doc, patient.id)
    changes = []
    pane.changed.connect(lambda: changes.append(1))

    qtbot.keyClick(pane.add_button, Qt.Key.Key_Space)
    dialog = active_dialog(qtbot, pane, MedicationDialog)
    assert dialog.name.hasFocus()
    qtbot.keyClicks(dialog.name, "Metformin 500 mg tablet")
    qtbot.keyClick(dialog.name, Qt.Key.Key_Tab)
    qtbot.keyClicks(dialog.dose, "1 tablet")
    qtbot.keyClick(dialog.dose, Qt.Key.Key_Tab)
    qtbot.keyClicks(dialog.route.lineEdit(), "by mouth")
    qtbot.keyClick(dialog.route, Qt.Key.Key_Tab)
    qtbot.keyClicks(dialog.frequency.lineEdit(), "twice daily")
    qtbot.keyClicks(dialog.reason, "type 2 diabetes")
    qtbot.keyClicks(dialog.started_on, "01/15/2020")
    qtbot.keyClick(dialog, Qt.Key.Key_S, CTRL)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=3000)

    assert dialog.saved is not None and changes == [1]
    table = pane.current_table
    assert table.model().rowCount() == 1
    assert cell(table, 0, 0) == "Metformin 500 mg tablet"
    assert cell(table, 0, 1) == "1 tablet by mouth twice daily"
    assert cell(table, 0, 3) == "01/15/2020"

    table.setFocus()
    qtbot.keyClick(table, Qt.Key.Key_Down)  # onto the first row
    qtbot.waitUntil(lambda: pane.selected() is not None, timeout=3000)
    assert pane.stop_button.isEnabled()
    qtbot.keyClick(pane.stop_button, Qt.Key.Key_Space)
    stop = active_dialog(qtbot, pane, StopMedicationDialog)
    assert stop.stop_reason.hasFocus()
    qtbot.keyClicks(stop.stop_reason.lineEdit(), "Stomach upset")
    qtbot.keyClick(stop, Qt.Key.Key_S, CTRL)
    qtbot.waitUntil(lambda: not stop.isVisible(), timeout=3000)

    assert pane.current_model.rowCount() == 0
    assert cell(pane.past_table, 0, 0) == "Metformin 500 mg tablet"
    assert cell(pane.past_table, 0, 4) == f"{date.today():%m/%d/%Y}"
    assert cell(pane.past_table, 0, 5) == "Stomach upset"
    [med] = list_medications(doc, patient.id)
    assert (med.stopped_on, med.stop_reason, med.current) == (date.today(), "Stomach upset", False)
    assert (med.dose, med.route, med.frequency) == ("1 tablet", "by mouth", "twice daily")


def test_refusals_are_shown_beside_the_form_not_as_a_crash(qtbot, nurse, patients):
    pane = open_pane(qtbot, nurse, patients[1].id)
    qtbot.keyClick(pane.add_button, Qt.Key.Key_Space)
    dialog = active_dialog(qtbot, pane, MedicationDialog)
    qtbot.keyClicks(dialog.dose, "5 mg")
    qtbot.keyClicks(dialog.started_on, "31/31/2020")
    qtbot.keyClick(dialog, Qt.Key.Key_S, CTRL)
    assert dialog.isVisible()
    assert "not a date" in dialog.error.text()
    assert dialog.started_on.hasFocus()
    dialog.started_on.clear()
    qtbot.keyClick(dialog, Qt.Key.Key_S, CTRL)
    assert dialog.error.text() == "name: Give the medication's name."
    assert dialog.name.hasFocus()
    qtbot.keyClicks(dialog.name, "Amlodipine")
    qtbot.keyClick(dialog.name, Qt.Key.Key_Return)  # Enter saves from a line
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=3000)
    assert [m.name for m in list_medications(nurse, patients[1].id)] == ["Amlodipine"]


def test_entered_in_error_is_struck_and_hidden(qtbot, doc, patients):
    patient = patients[2]
    add_medication(doc, patient.id, "Warfarin")
    pane = open_pane(qtbot, doc, patient.id)
    pane.current_table.selectRow(0)
    qtbot.keyClick(pane.error_button, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: pane.dialog is not None and pane.dialog.isVisible(), timeout=3000)
    reason_dialog = pane.dialog
    qtbot.keyClicks(reason_dialog.reason, "wrong patient")
    qtbot.keyClick(reason_dialog.reason, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: pane.current_model.rowCount() == 0, timeout=3000)
    qtbot.keyClick(pane.show_errors, Qt.Key.Key_Space)
    assert pane.current_model.rowCount() == 1
    index = pane.current_model.index(0, 0)
    assert index.data(Qt.ItemDataRole.FontRole).strikeOut()
    assert index.data(Qt.ItemDataRole.ToolTipRole) == "Entered in error: wrong patient"


def test_front_desk_sees_the_refusal_and_cannot_add(qtbot, front_desk, patients):
    pane = open_pane(qtbot, front_desk, patients[0].id)
    assert "may not" in pane.message.text() or "does not open charts" in pane.message.text()
    assert not pane.add_button.isEnabled()
    assert pane.current_model.rowCount() == 0


def test_dates_are_typed_in_the_clinics_ways():
    assert parse_date("3/4/2024") == date(2024, 3, 4)
    assert parse_date("2024-03-04") == date(2024, 3, 4)
    assert parse_date("t") == date.today()
    assert parse_date("02/2028", month_end=True) == date(2028, 2, 29)
    assert parse_date("") is None
    with pytest.raises(ValueError):
        parse_date("02/2028")
