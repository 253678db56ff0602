"""A physician's whole visit, by keyboard, from the schedule to a signed note and an addendum."""

from __future__ import annotations

from datetime import date, datetime, time
from io import BytesIO

from pypdf import PdfReader
from PySide6.QtCore import Qt

from emr.services.auth import login
from emr.services.encounters import get_encounter, list_encounters, verify_note
from emr.services.problems import list_problems
from emr.services.schedule_setup import list_providers, save_appointment_type
from emr.services.scheduling import AppointmentInput, book_appointment
from emr.services.vitals import list_vitals
from tests.ui.conftest import PASSWORDS, answer_message_box, show_active
from ui.main_window import MainWindow

CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier
LEFT = Qt.MouseButton.LeftButton


def test_chart_a_whole_visit_by_keyboard(qtbot, db, operator, users, patients):
    doc_provider = next(p for p in list_providers(operator) if p.username == "doc")
    kind = save_appointment_type(operator, name="Follow-up", default_minutes=15, colour="#4a90d9")
    patient = patients[3]  # Smith, John
    book_appointment(
        operator,
        AppointmentInput(
            patient.id,
            doc_provider.id,
            kind.id,
            datetime.combine(date.today(), time(9)),
            15,
            reason="Thirst",
        ),
        override_reason="test day without working hours",
    )
    doc = login(db, "doc", PASSWORDS["doc"])
    window = MainWindow(doc)
    show_active(qtbot, window)

    schedule = window.schedule
    schedule.show_day(date.today())
    schedule.grid.setCurrentIndex(schedule.model.index_of(schedule.appointments[0].id))
    qtbot.mouseClick(schedule.visit_button, LEFT)
    assert window.tabs.currentWidget() is window.chart
    chart = window.chart.chart
    pane = chart.panes["EncountersPane"]
    editor = pane.editor
    assert editor is not None and "Thirst" in editor.header.text()

    qtbot.mouseClick(editor.vitals_button, LEFT)
    vitals = editor.dialog
    qtbot.waitUntil(vitals.isVisible, timeout=3000)
    vitals.activateWindow()
    qtbot.waitUntil(vitals.isActiveWindow, timeout=3000)
    qtbot.keyClicks(vitals.fields["systolic"], "142")
    qtbot.keyClick(vitals.fields["systolic"], Qt.Key.Key_Tab)
    qtbot.keyClicks(vitals.focusWidget(), "88")
    qtbot.keyClick(vitals.focusWidget(), Qt.Key.Key_S, CTRL)
    qtbot.waitUntil(lambda: not vitals.isVisible(), timeout=3000)

    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=3000)
    editor.sections["subjective"].setFocus()
    for i, text in enumerate(
        (
            "Thirsty, passes water often",
            "BP raised, BMI 31",
            "New type 2 diabetes",
            "Metformin, diet, A1c in 3 months",
        )
    ):
        qtbot.keyClicks(editor.focusWidget(), text)
        if i < 3:
            qtbot.keyClick(editor.focusWidget(), Qt.Key.Key_Tab)

    qtbot.mouseClick(editor.diagnosis_button, LEFT)
    problem = editor.dialog
    qtbot.waitUntil(problem.isVisible, timeout=3000)
    problem.activateWindow()
    qtbot.waitUntil(problem.isActiveWindow, timeout=3000)
    problem.picker.edit.setFocus()
    qtbot.keyClicks(problem.picker.edit, "type 2 diab")
    qtbot.waitUntil(lambda: problem.picker.results.count() > 0, timeout=10_000)
    qtbot.keyClick(problem.picker.edit, Qt.Key.Key_Down)
    while problem.picker.results.currentItem().text().split("\t")[0] != "E11.9":
        qtbot.keyClick(problem.picker.results, Qt.Key.Key_Down)
    qtbot.keyClick(problem.picker.results, Qt.Key.Key_Return)
    qtbot.keyClick(problem.picker.edit, Qt.Key.Key_S, CTRL)
    qtbot.waitUntil(lambda: not problem.isVisible(), timeout=3000)

    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=3000)
    editor.sections["plan"].setFocus()
    answer_message_box(qtbot, "Sign")
    qtbot.keyClick(editor.sections["plan"], Qt.Key.Key_S, CTRL | SHIFT)
    qtbot.waitUntil(lambda: editor.note.signed, timeout=3000)
    signed = editor.current_text()

    qtbot.mouseClick(editor.addendum_button, LEFT)
    addendum = editor.dialog
    qtbot.waitUntil(addendum.isVisible, timeout=3000)
    addendum.activateWindow()
    qtbot.keyClicks(addendum.text, "A1c came back 8.1%")
    qtbot.mouseClick(addendum.ok, LEFT)
    qtbot.waitUntil(lambda: not addendum.isVisible(), timeout=3000)

    (encounter,) = list_encounters(doc, patient.id)
    stored = get_encounter(doc, encounter.id)
    assert (
        stored.note.sections
        == signed
        == (
            "Thirsty, passes water often",
            "BP raised, BMI 31",
            "New type 2 diabetes",
            "Metformin, diet, A1c in 3 months",
        )
    )
    assert [a.text for a in stored.addenda] == ["A1c came back 8.1%"]
    assert verify_note(doc, stored.note.id)
    assert editor.current_text() == signed
    (diabetes,) = list_problems(doc, patient.id)
    assert (diabetes.icd10_code, diabetes.encounter_id) == ("E11.9", encounter.id)
    assert len(list_vitals(doc, patient.id)) == 1
    assert {m.kind for m in stored.made} >= {"vitals", "diagnosis"}
    assert "E11.9" in chart.problems.text()  # the header followed

    qtbot.mouseClick(editor.summary_button, LEFT)  # the patient's visit summary
    summary = editor.dialog
    assert summary is not None and summary.page_count >= 1
    text = "".join(page.extract_text() for page in PdfReader(BytesIO(summary.pdf)).pages)
    assert "New type 2 diabetes" in text and "Metformin, diet, A1c in 3 months" in text
