"""The Referrals tab, driven by keys and clicks: a physician makes a referral with a merged
and edited letter, previews it, and moves it on; a nurse drafts one for the physician; the
front desk sees no referrals."""

from __future__ import annotations

from io import BytesIO

from pypdf import PdfReader
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from emr.services.problems import add_problem
from emr.services.referrals import list_referrals
from tests.conftest import add_staff, log_in
from ui.chart.referral_dialog import ReferralDialog, ReferralStatusDialog
from ui.chart.referrals_pane import ReferralsPane
from ui.widgets.pdf_preview import PdfPreviewDialog


def make_pane(qtbot, actor, patient_id: int) -> ReferralsPane:
    pane = ReferralsPane(actor, patient_id)
    qtbot.addWidget(pane)
    pane.show()
    pane.activateWindow()
    qtbot.waitUntil(pane.isActiveWindow)
    return pane


def opened(qtbot, pane, kind):
    qtbot.waitUntil(lambda: isinstance(pane.dialog, kind) and pane.dialog.isVisible())
    dialog = pane.dialog
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)
    return dialog


def type_into(qtbot, widget, text: str) -> None:
    widget.setFocus()
    qtbot.keyClicks(widget, text)


def test_physician_makes_edits_previews_and_sends_a_referral(qtbot, db, users, patients):
    doctor = log_in(db, "doc")
    patient = patients[0]  # Müller
    add_problem(doctor, patient.id, "E11.9")
    pane = make_pane(qtbot, doctor, patient.id)
    assert pane.referrals == [] and pane.new_button.isEnabled()

    qtbot.mouseClick(pane.new_button, Qt.MouseButton.LeftButton)
    dialog = opened(qtbot, pane, ReferralDialog)
    type_into(qtbot, dialog.to_name, "Dr Grace Lee")
    type_into(qtbot, dialog.to_specialty, "Cardiology")
    type_into(qtbot, dialog.reason, "exertional chest pain")
    type_into(qtbot, dialog.diagnoses, "I20.9")
    dialog.urgency.setFocus()
    qtbot.keyClick(dialog.urgency, Qt.Key.Key_Down)  # Urgent
    general = dialog.template.findText("General referral")
    dialog.template.setCurrentIndex(general)
    qtbot.mouseClick(dialog.merge_button, Qt.MouseButton.LeftButton)
    letter = dialog.letter.toPlainText()
    assert "Dear Dr Grace Lee," in letter
    assert "Anna Müller" in letter and "E11.9" in letter and "exertional chest pain" in letter

    # The physician edits the merged letter before saving.
    dialog.letter.setFocus()
    qtbot.keyClick(dialog.letter, Qt.Key.Key_End, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(dialog.letter, "P.S. She prefers morning appointments.")
    qtbot.keyClick(dialog, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: len(pane.referrals) == 1)

    [referral] = list_referrals(doctor, patient.id)
    assert referral.urgency == "urgent" and referral.diagnosis_codes == ("I20.9",)
    assert referral.letter_text.endswith("P.S. She prefers morning appointments.")
    assert pane.model.data(pane.model.index(0, 3)) == "Draft"

    # Preview: the letter as printed, its pages in the preview.
    pane.table.selectRow(0)
    qtbot.mouseClick(pane.preview_button, Qt.MouseButton.LeftButton)
    preview = pane.dialog
    assert isinstance(preview, PdfPreviewDialog) and preview.isVisible()
    assert preview.page_count >= 1
    text = " ".join(p.extract_text() for p in PdfReader(BytesIO(preview.pdf)).pages)
    assert "P.S. She prefers morning appointments." in text
    preview.reject()

    # Sent, by the status dialog and the keyboard.
    pane.table.selectRow(0)
    qtbot.mouseClick(pane.status_button, Qt.MouseButton.LeftButton)
    status = opened(qtbot, pane, ReferralStatusDialog)
    assert status.status.currentData() == "sent"
    type_into(qtbot, status.note, "faxed to the clinic")
    qtbot.keyClick(status, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: pane.referrals[0].status == "sent")
    assert "faxed to the clinic" in pane.referrals[0].status_note
    assert not pane.edit_button.isEnabled()  # a sent letter is not edited


def test_errors_are_shown_beside_the_fields(qtbot, db, users, patients):
    doctor = log_in(db, "doc")
    pane = make_pane(qtbot, doctor, patients[1].id)
    qtbot.mouseClick(pane.new_button, Qt.MouseButton.LeftButton)
    dialog = opened(qtbot, pane, ReferralDialog)
    type_into(qtbot, dialog.diagnoses, "E11")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert dialog.isVisible()
    assert "Name the provider" in dialog.errors.labels["to_name"].text()
    assert "Give the reason" in dialog.errors.labels["reason"].text()
    assert "not a billable code" in dialog.errors.labels["diagnosis_codes"].text()
    assert pane.referrals == []


def test_a_nurse_drafts_for_the_physician_and_front_desk_sees_nothing(
    qtbot, db, operator, users, patients, front_desk
):
    add_staff(operator, "nina")
    nurse = log_in(db, "nina")
    pane = make_pane(qtbot, nurse, patients[3].id)
    qtbot.mouseClick(pane.new_button, Qt.MouseButton.LeftButton)
    dialog = opened(qtbot, pane, ReferralDialog)
    assert dialog.referring.currentData() is None  # the nurse must choose the physician
    dialog.referring.setCurrentIndex(dialog.referring.findText("Doc Tester"))
    type_into(qtbot, dialog.to_name, "Dr Kim")
    type_into(qtbot, dialog.reason, "rash")
    qtbot.keyClick(dialog, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: len(pane.referrals) == 1)
    assert pane.referrals[0].referring_provider_name == "Doc Tester"

    desk = ReferralsPane(front_desk, patients[3].id)
    qtbot.addWidget(desk)
    assert desk.referrals == []
    assert "may not" in desk.error.text()
    assert not desk.new_button.isEnabled()
    assert QApplication.activeModalWidget() is None
