"""The Allergies tab: its three states shown as words, adding an allergy by keyboard,
"No known allergies" and its refusal while an allergy is active, entered in error."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from emr.services.allergies import add_allergy, allergy_state
from emr.services.auth import login
from emr.services.users import create_user
from ui.chart.allergies_pane import AllergiesPane, AllergyDialog


def _nurse(db, operator):
    create_user(
        operator, username="nina", full_name="Nina Nurse", role="nurse", password="nurse pw 12345"
    )
    return login(db, "nina", "nurse pw 12345")


def _pane(qtbot, actor, patient_id) -> AllergiesPane:
    pane = AllergiesPane(actor, patient_id)
    qtbot.addWidget(pane)
    pane.show()
    return pane


def _open_dialog(qtbot, pane) -> QDialog:
    qtbot.waitUntil(lambda: pane.dialog is not None and pane.dialog.isVisible(), timeout=3000)
    return pane.dialog


def test_not_recorded_then_no_known_then_an_allergy(qtbot, db, operator, users, patients):
    nina = _nurse(db, operator)
    pid = patients[0].id
    pane = _pane(qtbot, nina, pid)
    assert pane.state_label.text() == "Allergies not recorded"
    with qtbot.waitSignal(pane.changed):
        qtbot.mouseClick(pane.no_known_button, Qt.MouseButton.LeftButton)
    assert pane.state_label.text() == "No known allergies"

    qtbot.mouseClick(pane.add_button, Qt.MouseButton.LeftButton)
    dialog = _open_dialog(qtbot, pane)
    assert isinstance(dialog, AllergyDialog)
    qtbot.waitUntil(dialog.substance.hasFocus, timeout=3000)  # typing starts at once
    qtbot.keyClicks(dialog.substance, "Penicillin")
    qtbot.keyClick(dialog.substance, Qt.Key.Key_Tab)
    assert dialog.category.hasFocus()
    qtbot.keyClick(dialog.category, Qt.Key.Key_Down)  # Drug -> Drug class
    qtbot.keyClick(dialog.category, Qt.Key.Key_Tab)
    qtbot.keyClicks(dialog.reaction, "Hives")
    qtbot.keyClick(dialog.reaction, Qt.Key.Key_Tab)
    qtbot.keyClick(dialog.severity, Qt.Key.Key_End)  # Severe
    qtbot.keyClick(dialog.severity, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert (dialog.saved.category, dialog.saved.severity) == ("drug_class", "severe")
    assert pane.state_label.text() == "Allergies: Penicillin (Hives, severe)"
    assert "#b00020" in pane.state_label.styleSheet()  # in red
    assert [a.substance for a in pane.allergies] == ["Penicillin"]
    assert not pane.no_known_button.isEnabled()
    pane.no_known()  # even if asked directly, the service refuses and the pane says why
    assert "active allergies (Penicillin)" in pane.error.text()
    assert allergy_state(nina, pid).kind == "recorded"


def test_a_missing_substance_is_shown_beside_it(qtbot, db, users, patients):
    doc = login(db, "doc", users["doc"])
    dialog = AllergyDialog(doc, patients[0].id)
    qtbot.addWidget(dialog)
    dialog.open()
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert "Name the substance" in dialog.field_errors.labels["substance"].text()
    assert dialog.saved is None and dialog.isVisible()


def test_entered_in_error_returns_to_not_recorded(qtbot, db, users, patients):
    doc = login(db, "doc", users["doc"])
    pid = patients[2].id
    add_allergy(doc, pid, "Peanut", "food", reaction="anaphylaxis", severity="severe")
    pane = _pane(qtbot, doc, pid)
    assert pane.state_label.text().startswith("Allergies: Peanut")
    pane.table.selectRow(0)
    qtbot.mouseClick(pane.error_button, Qt.MouseButton.LeftButton)
    confirm = _open_dialog(qtbot, pane)
    qtbot.keyClicks(confirm.reason_edit, "other patient's")
    qtbot.keyClick(confirm.reason_edit, Qt.Key.Key_Return)
    assert pane.allergies == []
    assert pane.state_label.text() == "Allergies not recorded"
    qtbot.mouseClick(pane.show_errors, Qt.MouseButton.LeftButton)
    assert [a.entered_in_error for a in pane.allergies] == [True]


def test_front_desk_is_refused(qtbot, front_desk, patients):
    pane = _pane(qtbot, front_desk, patients[0].id)
    assert pane.state_label.text() == "" and pane.allergies == []
    assert "emergency access" in pane.error.text()
