"""The Immunizations tab driven by keyboard: give a vaccine found by typing, record a
historical dose and a refusal, see an expired lot refused."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import select

from emr.models.clinical import Immunization
from emr.services.auth import login
from emr.services.immunizations import list_immunizations
from emr.services.users import create_user
from ui.chart.immunization_dialog import ImmunizationDialog
from ui.chart.immunizations_pane import ImmunizationsPane

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


def open_pane(qtbot, actor, patient_id) -> ImmunizationsPane:
    pane = ImmunizationsPane(actor, patient_id)
    qtbot.addWidget(pane)
    pane.show()
    pane.activateWindow()
    qtbot.waitUntil(pane.isActiveWindow, timeout=3000)
    pane.reload()
    return pane


def open_dialog(qtbot, pane, button) -> ImmunizationDialog:
    qtbot.keyClick(button, Qt.Key.Key_Space)
    qtbot.waitUntil(
        lambda: isinstance(pane.dialog, ImmunizationDialog) and pane.dialog.isVisible(),
        timeout=3000,
    )
    dialog = pane.dialog
    qtbot.waitUntil(dialog.isActiveWindow, timeout=3000)
    assert dialog.search.hasFocus()
    return dialog


def test_give_a_vaccine_found_by_typing_influenza(qtbot, nurse, patients, db):
    patient = patients[0]
    pane = open_pane(qtbot, nurse, patient.id)
    dialog = open_dialog(qtbot, pane, pane.give_button)
    assert dialog.administered_by.text() == "Nina Nurse"

    qtbot.keyClicks(dialog.search, "influenza")
    assert dialog.matches.count() > 3
    assert all("influenza" in dialog.matches.item(i).text().lower() for i in range(3))
    qtbot.keyClick(dialog.search, Qt.Key.Key_Down)  # the second match
    chosen = dialog.chosen()
    assert chosen is dialog.matches.item(1).data(Qt.ItemDataRole.UserRole)
    assert chosen.active and chosen.full_name in dialog.chosen_label.text()

    qtbot.keyClick(dialog.search, Qt.Key.Key_Tab)
    assert dialog.given_on.hasFocus()
    qtbot.keyClick(dialog.given_on, Qt.Key.Key_Tab)
    qtbot.keyClicks(dialog.lot_number, "UT7741AA")
    qtbot.keyClick(dialog.lot_number, Qt.Key.Key_Tab)
    qtbot.keyClicks(dialog.expires_on, "06/2099")
    qtbot.keyClicks(dialog.manufacturer.lineEdit(), "Seqirus")
    for _ in range(3):  # none, left arm, right arm, left deltoid
        qtbot.keyClick(dialog.site, Qt.Key.Key_Down)
    qtbot.keyClicks(dialog.route, "Intram")
    qtbot.keyClicks(dialog.dose, "0.5 mL")
    qtbot.keyClick(dialog, Qt.Key.Key_S, CTRL)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=3000)

    with db.read() as s:
        row = s.execute(select(Immunization).where(Immunization.patient_id == patient.id))
        row = row.scalar_one()
        stored = (
            row.cvx_code,
            row.given_on,
            row.lot_number,
            row.expires_on,
            row.manufacturer,
            row.site,
            row.route,
            row.dose,
            row.administered_by,
            row.historical,
            row.refused,
        )
        assert "influenza" in row.vaccine.lower()
    assert stored == (
        chosen.code,
        date.today(),
        "UT7741AA",
        date(2099, 6, 30),
        "Seqirus",
        "LD",
        "IM",
        "0.5 mL",
        "Nina Nurse",
        False,
        False,
    )
    table = pane.table
    assert table.model().rowCount() == 1
    assert table.model().index(0, 2).data() == chosen.code
    assert table.model().index(0, 6).data() == "Left deltoid"


def test_an_expired_lot_is_shown_in_red_and_nothing_saved(qtbot, doc, patients):
    pane = open_pane(qtbot, doc, patients[1].id)
    dialog = open_dialog(qtbot, pane, pane.give_button)
    qtbot.keyClicks(dialog.search, "150")  # by CVX code
    qtbot.keyClicks(dialog.lot_number, "OLD1")
    qtbot.keyClicks(dialog.expires_on, "01/31/2001")
    qtbot.keyClick(dialog, Qt.Key.Key_S, CTRL)
    assert dialog.isVisible()
    assert "This lot expired on 01/31/2001" in dialog.error.text()
    assert dialog.expires_on.hasFocus()
    assert list_immunizations(doc, patients[1].id) == []


def test_historical_dose_and_refusal_are_marked(qtbot, doc, patients):
    patient = patients[3]
    pane = open_pane(qtbot, doc, patient.id)
    dialog = open_dialog(qtbot, pane, pane.historical_button)
    assert dialog.administered_by.text() == ""
    qtbot.keyClicks(dialog.search, "tetanus diphtheria")
    dialog.given_on.clear()
    qtbot.keyClicks(dialog.given_on, "05/01/1990")
    qtbot.keyClick(dialog, Qt.Key.Key_S, CTRL)
    assert "source" in dialog.error.text() and dialog.source.hasFocus()
    qtbot.keyClicks(dialog.source, "Vaccination card")
    qtbot.keyClick(dialog, Qt.Key.Key_S, CTRL)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=3000)

    refusal = open_dialog(qtbot, pane, pane.refusal_button)
    qtbot.keyClicks(refusal.search, "MMR")
    qtbot.keyClicks(refusal.reason.lineEdit(), "Patient decision")
    qtbot.keyClick(refusal, Qt.Key.Key_S, CTRL)
    qtbot.waitUntil(lambda: not refusal.isVisible(), timeout=3000)

    model = pane.model
    assert model.rowCount() == 2
    assert (model.index(0, 1).data(), model.index(0, 9).data()) == (
        "MMR",
        "Refused: Patient decision",
    )
    assert model.index(1, 0).data() == "05/01/1990"
    assert model.index(1, 9).data() == "Historical (Vaccination card)"
    kinds = [i.kind for i in list_immunizations(doc, patient.id)]
    assert kinds == ["refused", "historical"]


def test_front_desk_cannot_record(qtbot, front_desk, patients):
    pane = open_pane(qtbot, front_desk, patients[0].id)
    assert pane.message.text()
    assert not pane.give_button.isEnabled() and not pane.refusal_button.isEnabled()
