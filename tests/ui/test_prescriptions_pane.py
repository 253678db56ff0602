"""The Prescriptions tab driven as a physician would: a patient on warfarin is prescribed
ibuprofen, the interaction alert is overridden with a reason, the prescription is signed and
printed on a (PDF) printer; what a nurse and the front desk may do."""

from __future__ import annotations

from datetime import date
from io import BytesIO
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtCore import Qt
from PySide6.QtPrintSupport import QPrintDialog
from PySide6.QtWidgets import QLineEdit

from emr.services.auth import login
from emr.services.medications import add_medication, list_medications
from emr.services.patients import PatientInput, register_patient
from emr.services.prescriptions import get_prescription, list_prescriptions
from emr.services.users import create_user
from tests.conftest import add_staff, log_in
from tests.ui.test_printing import click_button, pdf_printer, when_modal
from ui.chart.prescription_dialog import PrescriptionDialog
from ui.chart.prescriptions_pane import PrescriptionsPane

PASSWORD = "prescriber pw 1"


@pytest.fixture
def doctor(db, operator):
    create_user(
        operator,
        username="rxdoc",
        full_name="Rita Prescriber",
        role="physician",
        password=PASSWORD,
        npi="1234567893",
        dea_number="AB1234563",
    )
    return login(db, "rxdoc", PASSWORD)


@pytest.fixture
def on_warfarin(operator, doctor):
    patient = register_patient(
        operator,
        PatientInput(
            family_name="O'Brien", given_name="Sean", date_of_birth=date(1950, 12, 1), sex="M"
        ),
    )
    add_medication(doctor, patient.id, "warfarin 5 mg tablet", dose="1 tablet", route="by mouth")
    return patient


def make_pane(qtbot, actor, patient_id: int) -> PrescriptionsPane:
    pane = PrescriptionsPane(actor, patient_id)
    qtbot.addWidget(pane)
    pane.resize(1100, 600)
    pane.show()
    pane.activateWindow()
    qtbot.waitUntil(pane.isActiveWindow, timeout=3000)
    return pane


def click(qtbot, widget) -> None:
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def write_ibuprofen(qtbot, pane: PrescriptionsPane) -> None:
    click(qtbot, pane.new_button)
    dialog = pane.dialog
    assert isinstance(dialog, PrescriptionDialog)
    qtbot.waitUntil(dialog.isActiveWindow, timeout=3000)
    qtbot.keyClicks(dialog.search, "ibupro")
    assert dialog.results.count() >= 1
    assert dialog.results.item(0).text().startswith("ibuprofen")
    assert dialog.choice is not None and dialog.choice.generic_name == "ibuprofen"
    dialog.strength.setCurrentText("400 mg")
    assert dialog.dose_unit.currentText() == "tablet"  # from the tablet form
    dialog.frequency.lineEdit().clear()
    qtbot.keyClicks(dialog.frequency.lineEdit(), "every 8 hours")
    click(qtbot, dialog.as_needed)
    dialog.as_needed_reason.lineEdit().clear()
    qtbot.keyClicks(dialog.as_needed_reason.lineEdit(), "pain")
    assert dialog.sig_preview.text() == "Take 1 tablet by mouth every 8 hours as needed for pain"
    qtbot.keyClicks(dialog.quantity, "20")
    qtbot.keyClick(dialog, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert not dialog.isVisible(), dialog.error.text()


def test_prescribe_override_the_interaction_sign_and_print(
    qtbot, doctor, on_warfarin, tmp_path: Path
):
    pane = make_pane(qtbot, doctor, on_warfarin.id)
    write_ibuprofen(qtbot, pane)
    [draft] = list_prescriptions(doctor, on_warfarin.id)
    assert pane.selected().id == draft.id and draft.status == "draft"

    click(qtbot, pane.check_button)
    labels = [w.text() for w in pane.alerts.findChildren(type(pane.message)) if w.isVisible()]
    assert any("Major — Interaction" in t and "warfarin" in t for t in labels), labels
    assert len(pane.alerts.findChildren(QLineEdit, "overrideReason")) == 1

    click(qtbot, pane.sign_button)  # no reason given yet
    assert "reason" in pane.message.text()
    assert get_prescription(doctor, draft.id).status == "draft"

    qtbot.keyClicks(pane.alerts.findChildren(QLineEdit, "overrideReason")[0], "INR stable, 3 days")
    click(qtbot, pane.sign_button)
    signed = get_prescription(doctor, draft.id)
    assert signed.status == "signed", pane.message.text()
    assert [o.reason for o in signed.overridden] == ["INR stable, 3 days"]
    assert pane.selected().status == "signed" and not pane.alerts.isVisible()
    assert any(m.prescription_id == signed.id for m in list_medications(doctor, on_warfarin.id))

    out = tmp_path / "printed prescription.pdf"
    pane.printer = pdf_printer(out)
    when_modal(qtbot, QPrintDialog, lambda d: click_button(qtbot, d, "Print"))
    click(qtbot, pane.print_button)
    assert len(PdfReader(out).pages) == 1  # what reached the printer
    text = " ".join(PdfReader(BytesIO(pane.last_pdf)).pages[0].extract_text().split())
    for expected in (
        "Rita Prescriber",
        "Sean O'Brien",
        "ibuprofen 400 mg tablet",
        "Sig: Take 1 tablet by mouth every 8 hours as needed for pain",
        "Dispense: 20 tablets",
        f"Rx #{signed.id}",
    ):
        assert expected in text, expected
    assert "COPY" not in text
    assert get_prescription(doctor, signed.id).times_printed == 1


def test_renew_and_discontinue_from_the_pane(qtbot, doctor, on_warfarin):
    pane = make_pane(qtbot, doctor, on_warfarin.id)
    write_ibuprofen(qtbot, pane)
    click(qtbot, pane.sign_button)  # the alert appears with its reason field
    qtbot.keyClicks(pane.alerts.findChildren(QLineEdit, "overrideReason")[0], "short course")
    click(qtbot, pane.sign_button)
    signed = pane.selected()
    assert signed.status == "signed"

    click(qtbot, pane.renew_button)
    renewal = pane.selected()
    assert renewal.status == "draft" and renewal.renewed_from_id == signed.id

    pane.select(signed.id)
    click(qtbot, pane.discontinue_button)
    qtbot.keyClicks(pane.dialog.reason, "Side effects")
    click(qtbot, pane.dialog.ok)
    assert get_prescription(doctor, signed.id).status == "discontinued"
    assert not [
        m for m in list_medications(doctor, on_warfarin.id) if m.current and "ibuprofen" in m.name
    ]


def test_a_nurse_drafts_but_does_not_sign_and_the_front_desk_sees_nothing(
    qtbot, db, operator, doctor, on_warfarin
):
    add_staff(operator, "nina", "fran")
    nurse = log_in(db, "nina")
    pane = make_pane(qtbot, nurse, on_warfarin.id)
    write_ibuprofen(qtbot, pane)
    assert pane.selected().status == "draft"
    assert pane.check_button.isEnabled() and not pane.sign_button.isEnabled()

    desk = make_pane(qtbot, log_in(db, "fran"), on_warfarin.id)
    assert desk.model.rowCount() == 0
    assert desk.message.text()
    assert not desk.new_button.isEnabled()
