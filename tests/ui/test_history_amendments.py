"""The History tab (an entry of each kind, validation shown beside the field) and the
Amendments tab (a request recorded, accepted as an addendum, denied with a disagreement)."""

from __future__ import annotations

import hashlib
from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from emr.models.base import utcnow
from emr.models.chart import Encounter, Note
from emr.services.amendments import list_requests, record_request
from emr.services.auth import login
from emr.services.history import list_history
from emr.services.users import create_user
from ui.chart.amendments_pane import AcceptDialog, AmendmentsPane, RecordRequestDialog
from ui.chart.history_pane import HistoryDialog, HistoryPane

SIGNED_PLAN = "Metformin 500 mg twice daily."


def _doc(db, users):
    return login(db, "doc", users["doc"])


def _show(qtbot, pane):
    qtbot.addWidget(pane)
    pane.show()
    return pane


def _dialog(qtbot, pane) -> QDialog:
    qtbot.waitUntil(lambda: pane.dialog is not None and pane.dialog.isVisible(), timeout=3000)
    return pane.dialog


def _signed_note(db, doc, patient_id: int) -> int:
    with db.write(doc.user_id) as s:
        encounter = Encounter(
            patient_id=patient_id,
            provider_id=doc.user_id,
            occurred_at=utcnow(),
            encounter_type="office visit",
        )
        s.add(encounter)
        s.flush()
        note = Note(
            encounter_id=encounter.id,
            patient_id=patient_id,
            plan=SIGNED_PLAN,
            status="signed",
            signed_by=doc.user_id,
            signed_at=utcnow(),
            signed_hash=hashlib.sha256(SIGNED_PLAN.encode()).hexdigest(),
        )
        s.add(note)
        s.flush()
        return note.id


def test_a_family_history_entry_by_keyboard(qtbot, db, users, patients):
    doc = _doc(db, users)
    pid = patients[0].id
    pane = _show(qtbot, HistoryPane(doc, pid))
    assert set(pane.sections) == {"medical", "surgical", "family", "social"}
    family = pane.sections["family"]
    qtbot.mouseClick(family.add_button, Qt.MouseButton.LeftButton)
    dialog = _dialog(qtbot, pane)
    assert isinstance(dialog, HistoryDialog) and dialog.kind == "family"
    qtbot.waitUntil(dialog.relative.hasFocus, timeout=3000)
    qtbot.keyClick(dialog.relative, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert "Name the relative" in dialog.field_errors.labels["relative"].text()
    assert dialog.isVisible()
    qtbot.keyClicks(dialog.relative, "Mother")
    qtbot.keyClick(dialog.relative, Qt.Key.Key_Tab)
    qtbot.keyClicks(dialog.description, "Breast cancer")
    qtbot.keyClick(dialog.description, Qt.Key.Key_Tab)
    qtbot.keyClicks(dialog.icd10_code, "C50.919")
    qtbot.keyClick(dialog.icd10_code, Qt.Key.Key_Tab)
    qtbot.keyClicks(dialog.when_text, "at 52")
    with qtbot.waitSignal(pane.changed):
        qtbot.keyClick(dialog.when_text, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert [
        (h.relative, h.description, h.icd10_code, h.when_text) for h in pane.entries("family")
    ] == [("Mother", "Breast cancer", "C50.919", "at 52")]
    assert pane.entries("medical") == []
    assert family.model.index(0, 0).data() == "Mother"


def test_a_social_history_entry_and_entered_in_error(qtbot, db, users, patients):
    doc = _doc(db, users)
    pid = patients[1].id
    pane = _show(qtbot, HistoryPane(doc, pid))
    social = pane.sections["social"]
    qtbot.mouseClick(social.add_button, Qt.MouseButton.LeftButton)
    dialog = _dialog(qtbot, pane)
    qtbot.waitUntil(dialog.category.hasFocus, timeout=3000)
    qtbot.keyClick(dialog.category, Qt.Key.Key_Down)  # Tobacco -> Alcohol
    qtbot.keyClick(dialog.category, Qt.Key.Key_Tab)
    qtbot.keyClicks(dialog.description, "2 drinks a week")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert [h.display for h in pane.entries("social")] == ["Alcohol: 2 drinks a week"]
    social.table.selectRow(0)
    qtbot.mouseClick(social.error_button, Qt.MouseButton.LeftButton)
    confirm = _dialog(qtbot, pane)
    qtbot.keyClicks(confirm.reason_edit, "asked the wrong patient")
    qtbot.keyClick(confirm.reason_edit, Qt.Key.Key_Return)
    assert pane.entries("social") == []
    assert [h.entered_in_error for h in list_history(doc, pid, include_errors=True)] == [True]


def test_a_request_recorded_by_a_nurse_accepted_as_an_addendum(
    qtbot, db, operator, users, patients
):
    create_user(
        operator, username="nina", full_name="Nina Nurse", role="nurse", password="nurse pw 12345"
    )
    nina = login(db, "nina", "nurse pw 12345")
    doc = _doc(db, users)
    pid = patients[0].id
    note_id = _signed_note(db, doc, pid)

    nurse_pane = _show(qtbot, AmendmentsPane(nina, pid))
    assert not nurse_pane.accept_button.isVisible()  # only a physician decides
    qtbot.mouseClick(nurse_pane.record_button, Qt.MouseButton.LeftButton)
    dialog = _dialog(qtbot, nurse_pane)
    assert isinstance(dialog, RecordRequestDialog)
    qtbot.waitUntil(dialog.what.hasFocus, timeout=3000)
    qtbot.keyClicks(dialog.what, "Plan of my last visit")
    qtbot.keyClick(dialog.what, Qt.Key.Key_Tab)
    qtbot.keyClicks(dialog.why, "I never took metformin")
    qtbot.keyClick(dialog.why, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert [(r.what, r.status_label) for r in nurse_pane.requests] == [
        ("Plan of my last visit", "Pending")
    ]

    pane = _show(qtbot, AmendmentsPane(doc, pid))
    pane.table.selectRow(0)
    assert pane.accept_button.isEnabled()
    qtbot.mouseClick(pane.accept_button, Qt.MouseButton.LeftButton)
    accept = _dialog(qtbot, pane)
    assert isinstance(accept, AcceptDialog)
    assert accept.note.currentData() == note_id
    qtbot.waitUntil(accept.correction.hasFocus, timeout=3000)
    accept.addendum_text.setFocus()
    qtbot.keyClicks(accept.addendum_text, "Patient never took metformin.")
    with qtbot.waitSignal(pane.changed):
        qtbot.keyClick(accept.addendum_text, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    shown = pane.requests[0]
    assert (shown.status, shown.correction, shown.decided_by) == (
        "accepted",
        "addendum",
        "Doc Tester",
    )
    assert pane.model.index(0, 3).data() == "Accepted"
    assert (
        pane.model.index(0, 6).data()
        == f"Addendum to note {note_id}: Patient never took metformin."
    )
    with db.read() as s:
        assert s.get(Note, note_id).plan == SIGNED_PLAN  # the signed note itself is unchanged
    nurse_pane.reload()
    assert nurse_pane.requests[0].addendum_text == "Patient never took metformin."


def test_denied_then_the_disagreement_attached(qtbot, db, users, patients):
    doc = _doc(db, users)
    pid = patients[3].id
    record_request(doc, pid, date.today(), "Smoking status", "I never smoked")
    pane = _show(qtbot, AmendmentsPane(doc, pid))
    pane.table.selectRow(0)
    assert not pane.disagreement_button.isEnabled()
    qtbot.mouseClick(pane.deny_button, Qt.MouseButton.LeftButton)
    deny = _dialog(qtbot, pane)
    qtbot.mouseClick(deny.save_button, Qt.MouseButton.LeftButton)
    assert "reason" in deny.field_errors.labels["reason"].text()
    deny.reason.setFocus()
    qtbot.keyClicks(deny.reason, "Recorded as you told us on 3/4.")
    qtbot.mouseClick(deny.save_button, Qt.MouseButton.LeftButton)
    assert pane.requests[0].status == "denied"
    pane.table.selectRow(0)
    assert pane.disagreement_button.isEnabled() and not pane.accept_button.isEnabled()
    qtbot.mouseClick(pane.disagreement_button, Qt.MouseButton.LeftButton)
    statement = _dialog(qtbot, pane)
    statement.statement.setFocus()
    qtbot.keyClicks(statement.statement, "I have never smoked.")
    qtbot.mouseClick(statement.save_button, Qt.MouseButton.LeftButton)
    request = list_requests(doc, pid)[0]
    assert (request.disagreement, request.disagreement_received_on) == (
        "I have never smoked.",
        date.today(),
    )
    assert pane.model.index(0, 7).data().endswith("I have never smoked.")


def test_front_desk_is_refused(qtbot, front_desk, patients):
    pane = _show(qtbot, AmendmentsPane(front_desk, patients[0].id))
    assert pane.requests == [] and "emergency access" in pane.error.text()
    history = _show(qtbot, HistoryPane(front_desk, patients[0].id))
    assert "emergency access" in history.error.text()
