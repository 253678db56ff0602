"""The Problems tab and its dialog, driven by keys and clicks: a problem added by searching
"type 2 diab" and choosing E11.9; a category refused with its message; resolve; entered in
error; a nurse may add problems."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QDialog

from emr.services.auth import login
from emr.services.problems import add_problem, list_problems
from emr.services.users import create_user
from ui.chart.icd10_picker import NOT_BILLABLE_MARK, Icd10Picker
from ui.chart.problem_dialog import ProblemDialog
from ui.chart.problems_pane import ProblemsPane


def _doc(db, users):
    return login(db, "doc", users["doc"])


def _pane(qtbot, actor, patient_id) -> ProblemsPane:
    pane = ProblemsPane(actor, patient_id)
    qtbot.addWidget(pane)
    pane.show()
    return pane


def _dialog(qtbot, pane: ProblemsPane) -> ProblemDialog:
    qtbot.waitUntil(lambda: pane.dialog is not None and pane.dialog.isVisible(), timeout=3000)
    dialog = pane.dialog
    assert isinstance(dialog, ProblemDialog)
    return dialog


def _result_codes(picker: Icd10Picker) -> list[str]:
    return [picker.results.item(i).text().split("\t")[0] for i in range(picker.results.count())]


def _search(qtbot, picker: Icd10Picker, text: str) -> None:
    picker.edit.setFocus()
    qtbot.keyClicks(picker.edit, text)
    qtbot.waitUntil(lambda: picker.results.count() > 0, timeout=10000)


def test_add_a_problem_by_keyboard_from_a_word_search(qtbot, db, users, patients):
    doc = _doc(db, users)
    pid = patients[0].id
    pane = _pane(qtbot, doc, pid)
    assert pane.model.rowCount() == 0
    with qtbot.waitSignal(pane.changed, timeout=5000):
        qtbot.mouseClick(pane.add_button, Qt.MouseButton.LeftButton)
        dialog = _dialog(qtbot, pane)
        picker = dialog.picker
        _search(qtbot, picker, "type 2 diab")
        codes = _result_codes(picker)
        assert "E11.9" in codes and all(c.startswith("E11") for c in codes[:5])
        qtbot.keyClick(picker.edit, Qt.Key.Key_Down)
        assert picker.results.hasFocus()
        while picker.results.currentItem().text().split("\t")[0] != "E11.9":
            qtbot.keyClick(picker.results, Qt.Key.Key_Down)
        qtbot.keyClick(picker.results, Qt.Key.Key_Return)
        assert picker.code == "E11.9"
        assert dialog.isVisible()  # Enter chose the code; it did not save yet
        qtbot.keyClick(picker.edit, Qt.Key.Key_Tab)
        assert dialog.onset.hasFocus()
        qtbot.keyClicks(dialog.onset, "05/01/2019")
        dialog.notes.setFocus()
        qtbot.keyClicks(dialog.notes, "Diet and metformin")
        qtbot.keyClick(dialog.notes, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.saved is not None and dialog.saved.icd10_code == "E11.9"
    shown = pane.problems
    assert [(p.icd10_code, p.onset.isoformat(), p.notes) for p in shown] == [
        ("E11.9", "2019-05-01", "Diet and metformin")
    ]
    assert pane.model.index(0, 1).data() == "Type 2 diabetes mellitus without complications"


def test_a_category_cannot_be_chosen_and_says_why(qtbot, db, users, patients):
    doc = _doc(db, users)
    dialog = ProblemDialog(doc, patients[0].id)
    qtbot.addWidget(dialog)
    dialog.open()
    _search(qtbot, dialog.picker, "E11")
    first = dialog.picker.results.item(0)
    assert first.text().startswith("E11\t") and NOT_BILLABLE_MARK in first.text()
    qtbot.keyClick(dialog.picker.edit, Qt.Key.Key_Return)  # choose the first: the category
    assert dialog.picker.code is None
    message = dialog.picker.message.text()
    assert "E11 is a category, not a billable code" in message
    assert dialog.isVisible()
    qtbot.keyClick(dialog.picker.edit, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert dialog.isVisible() and dialog.saved is None
    assert "not a billable code" in dialog.field_errors.labels["icd10_code"].text()
    assert list_problems(doc, patients[0].id) == []


def test_a_bad_onset_is_shown_beside_it(qtbot, db, users, patients):
    doc = _doc(db, users)
    dialog = ProblemDialog(doc, patients[0].id)
    qtbot.addWidget(dialog)
    dialog.open()
    _search(qtbot, dialog.picker, "I10")
    qtbot.keyClick(dialog.picker.edit, Qt.Key.Key_Return)
    assert dialog.picker.code == "I10"
    qtbot.keyClicks(dialog.onset, "31/31/2020")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert "not a" in dialog.field_errors.labels["onset"].text()
    assert dialog.saved is None


def test_resolve_then_entered_in_error_struck_through(qtbot, db, users, patients):
    doc = _doc(db, users)
    pid = patients[0].id
    flu = add_problem(doc, pid, "J10.1")
    htn = add_problem(doc, pid, "I10")
    pane = _pane(qtbot, doc, pid)
    pane.table.selectRow(1)
    assert pane.selected().id == flu.id
    qtbot.mouseClick(pane.resolve_button, Qt.MouseButton.LeftButton)
    assert [(p.id, p.status) for p in pane.problems] == [(htn.id, "active"), (flu.id, "resolved")]
    pane.table.selectRow(0)
    qtbot.mouseClick(pane.error_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: pane.dialog is not None and pane.dialog.isVisible(), timeout=3000)
    confirm = pane.dialog
    assert not confirm.ok.isEnabled()
    qtbot.keyClicks(confirm.reason_edit, "wrong chart")
    qtbot.mouseClick(confirm.ok, Qt.MouseButton.LeftButton)
    assert [p.id for p in pane.problems] == [flu.id]
    qtbot.mouseClick(pane.show_errors, Qt.MouseButton.LeftButton)
    struck = [i for i, p in enumerate(pane.problems) if p.entered_in_error]
    assert len(struck) == 1
    font = pane.model.index(struck[0], 0).data(Qt.ItemDataRole.FontRole)
    assert isinstance(font, QFont) and font.strikeOut()


def test_a_nurse_adds_a_problem(qtbot, db, operator, users, patients):
    create_user(
        operator, username="nina", full_name="Nina Nurse", role="nurse", password="nurse pw 12345"
    )
    nina = login(db, "nina", "nurse pw 12345")
    dialog = ProblemDialog(nina, patients[1].id)
    qtbot.addWidget(dialog)
    dialog.open()
    _search(qtbot, dialog.picker, "essential hypertension")
    qtbot.keyClick(dialog.picker.edit, Qt.Key.Key_Return)
    assert dialog.picker.code == "I10"
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert [p.icd10_code for p in list_problems(nina, patients[1].id)] == ["I10"]


def test_front_desk_sees_the_refusal_not_the_problems(qtbot, db, users, patients, front_desk):
    add_problem(_doc(db, users), patients[0].id, "I10")
    pane = _pane(qtbot, front_desk, patients[0].id)
    assert pane.model.rowCount() == 0
    assert "emergency access" in pane.error.text()


def test_edit_keeps_the_code_and_changes_the_status(qtbot, db, users, patients):
    doc = _doc(db, users)
    pid = patients[0].id
    add_problem(doc, pid, "I10")
    pane = _pane(qtbot, doc, pid)
    pane.table.selectRow(0)
    qtbot.mouseClick(pane.edit_button, Qt.MouseButton.LeftButton)
    dialog = _dialog(qtbot, pane)
    assert dialog.picker.code == "I10" and dialog.picker.edit.text().startswith("I10 ")
    qtbot.waitUntil(dialog.picker.edit.hasFocus, timeout=3000)
    dialog.status.setFocus()
    qtbot.keyClicks(dialog.status, "Inactive")
    with qtbot.waitSignal(pane.changed):
        qtbot.keyClick(dialog.status, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert [(p.icd10_code, p.status) for p in pane.problems] == [("I10", "inactive")]
