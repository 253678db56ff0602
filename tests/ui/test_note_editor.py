"""The note editor and the Encounters pane, driven by keyboard and mouse as a person would:
write a SOAP note, save, sign, add an addendum; quick phrases, templates, autosave, conflicts,
who may sign, and what was recorded in the visit."""

from __future__ import annotations

from datetime import datetime

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from emr.errors import PermissionDenied
from emr.models import Problem
from emr.services.auth import login
from emr.services.encounters import get_encounter, save_draft, start_encounter, verify_note
from emr.services.note_templates import save_note_template, save_quick_phrase
from emr.services.users import create_user
from tests.ui.conftest import PASSWORDS, answer_message_box
from ui.chart.encounters_pane import EncountersPane
from ui.chart.note_editor import NoteEditor

CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier
LEFT = Qt.MouseButton.LeftButton


@pytest.fixture
def doc(db, users):
    return login(db, "doc", PASSWORDS["doc"])


@pytest.fixture
def nurse(db, operator, users):
    create_user(
        operator, username="nina", full_name="Nina Nurse", role="nurse", password="nurse pw 12345"
    )
    return login(db, "nina", "nurse pw 12345")


@pytest.fixture
def encounter(doc, patients):
    return start_encounter(
        doc,
        patients[0].id,
        provider_id=doc.user_id,
        occurred_at=datetime(2024, 3, 5, 14, 0),
        encounter_type="Office visit",
        reason="Cough",
    )


def show(qtbot, widget) -> None:
    qtbot.addWidget(widget)
    widget.show()
    widget.activateWindow()
    qtbot.waitUntil(widget.isActiveWindow, timeout=3000)


def open_editor(qtbot, actor, encounter_id: int, autosave_ms: int = 600_000) -> NoteEditor:
    editor = NoteEditor(actor, encounter_id)
    editor.autosave_ms = autosave_ms
    show(qtbot, editor)
    editor.sections["subjective"].setFocus()
    return editor


def type_soap(qtbot, editor: NoteEditor, texts: tuple[str, str, str, str]) -> None:
    """Each section typed, Tab to the next, as a person fills the note."""
    for i, text in enumerate(texts):
        focused = QApplication.focusWidget()
        assert focused is list(editor.sections.values())[i]
        qtbot.keyClicks(focused, text)
        if i < 3:
            qtbot.keyClick(focused, Qt.Key.Key_Tab)


SOAP = ("Cough for two weeks", "Lungs clear", "Acute bronchitis", "Fluids and rest")


def test_write_save_sign_and_add_an_addendum(qtbot, doc, encounter):
    editor = open_editor(qtbot, doc, encounter.id)
    assert "Office visit" in editor.header.text() and "Draft" in editor.header.text()
    type_soap(qtbot, editor, SOAP)
    qtbot.keyClick(editor.sections["plan"], Qt.Key.Key_S, CTRL)
    assert editor.status.text().startswith("Saved ")
    assert get_encounter(doc, encounter.id).note.sections == SOAP

    answer_message_box(qtbot, "Sign")
    qtbot.keyClick(editor.sections["plan"], Qt.Key.Key_S, CTRL | SHIFT)
    qtbot.waitUntil(lambda: editor.note.signed, timeout=3000)
    assert "Signed" in editor.header.text()
    assert "signed by Doc Tester" in editor.people.text()
    assert all(edit.isReadOnly() for edit in editor.sections.values())
    assert editor.addendum_button.isVisible() and not editor.sign_button.isVisible()

    qtbot.mouseClick(editor.addendum_button, LEFT)
    dialog = editor.dialog
    qtbot.waitUntil(dialog.isVisible, timeout=3000)
    qtbot.keyClicks(dialog.text, "Chest X-ray normal")
    qtbot.mouseClick(dialog.ok, LEFT)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=3000)

    assert "Chest X-ray normal" in editor.addenda.text()
    assert "Addendum by Doc Tester" in editor.addenda.text()
    assert "amended by Doc Tester" in editor.people.text()
    assert editor.current_text() == SOAP  # the signed text on screen is unchanged
    stored = get_encounter(doc, encounter.id)
    assert stored.note.sections == SOAP
    assert [a.text for a in stored.addenda] == ["Chest X-ray normal"]
    assert verify_note(doc, stored.note.id)


def test_a_quick_phrase_expands_as_it_is_typed(qtbot, doc, encounter):
    save_quick_phrase(doc, abbreviation=".nad", text="No acute distress.", personal=False)
    editor = open_editor(qtbot, doc, encounter.id)
    objective = editor.sections["objective"]
    objective.setFocus()
    qtbot.keyClicks(objective, "Patient .nad today, x.nad stays")
    assert objective.toPlainText() == "Patient No acute distress. today, x.nad stays"


def test_a_template_fills_empty_sections_and_asks_before_replacing(qtbot, doc, encounter):
    save_note_template(
        doc, name="Cough", subjective="Cough since …", plan="Return if worse.", objective=""
    )
    editor = open_editor(qtbot, doc, encounter.id)
    qtbot.keyClicks(editor.sections["plan"], "My own plan")
    seen: list[str] = []
    answer_message_box(qtbot, "Fill empty sections only", seen)
    editor.template.setFocus()
    qtbot.keyClick(editor.template, Qt.Key.Key_Down)
    qtbot.waitUntil(lambda: editor.sections["subjective"].toPlainText() != "", timeout=3000)
    assert "Plan" in seen[0]
    assert editor.current_text() == ("Cough since …", "", "", "My own plan")

    answer_message_box(qtbot, "Replace")
    editor.template.setFocus()
    qtbot.keyClick(editor.template, Qt.Key.Key_Down)
    qtbot.waitUntil(lambda: editor.sections["plan"].toPlainText() == "Return if worse.")


def test_autosave_keeps_what_is_typed(qtbot, doc, encounter):
    editor = open_editor(qtbot, doc, encounter.id, autosave_ms=100)
    qtbot.keyClicks(editor.sections["subjective"], "Typed and never saved by hand")
    qtbot.waitUntil(lambda: editor.status.text().startswith("Saved "), timeout=5000)
    note = get_encounter(doc, encounter.id).note
    assert note.subjective == "Typed and never saved by hand"


def test_a_version_conflict_is_shown_not_overwritten(qtbot, doc, nurse, encounter):
    editor = open_editor(qtbot, doc, encounter.id)
    note = editor.note
    save_draft(nurse, note.id, note.version, "Nurse's intake", "", "", "")
    qtbot.keyClicks(editor.sections["subjective"], "Doctor's text")
    qtbot.keyClick(editor.sections["subjective"], Qt.Key.Key_S, CTRL)
    assert "someone else saved this note" in editor.status.text()
    assert editor.reload_button.isVisible()
    assert editor.sections["subjective"].toPlainText() == "Doctor's text"  # kept on screen
    assert get_encounter(doc, encounter.id).note.subjective == "Nurse's intake"
    qtbot.mouseClick(editor.reload_button, LEFT)
    assert editor.sections["subjective"].toPlainText() == "Nurse's intake"
    assert not editor.reload_button.isVisible()


def test_a_nurse_drafts_but_cannot_sign(qtbot, nurse, encounter):
    editor = open_editor(qtbot, nurse, encounter.id)
    assert not editor.sign_button.isVisible()
    qtbot.keyClicks(editor.sections["subjective"], "Intake by the nurse")
    qtbot.keyClick(editor.sections["subjective"], Qt.Key.Key_S, CTRL | SHIFT)
    qtbot.keyClick(editor.sections["subjective"], Qt.Key.Key_S, CTRL)
    assert editor.dialog is None  # no signing question was opened
    note = get_encounter(nurse, encounter.id).note
    assert note.status == "draft" and note.subjective == "Intake by the nurse"


def test_front_desk_cannot_open_a_note(qtbot, front_desk, encounter):
    with pytest.raises(PermissionDenied):
        NoteEditor(front_desk, encounter.id)


def test_made_in_this_visit(qtbot, db, doc, encounter):
    with db.write(doc.user_id) as s:
        s.add(
            Problem(
                patient_id=encounter.patient_id,
                encounter_id=encounter.id,
                icd10_code="J20.9",
                description="Acute bronchitis, unspecified",
            )
        )
    editor = open_editor(qtbot, doc, encounter.id)
    lines = [editor.made.item(i).text() for i in range(editor.made.count())]
    assert lines == ["Diagnosis: J20.9 Acute bronchitis, unspecified"]


def test_vitals_recorded_from_the_note_are_listed_in_the_visit(qtbot, doc, encounter):
    editor = open_editor(qtbot, doc, encounter.id)
    changes: list[bool] = []
    editor.changed.connect(lambda: changes.append(True))
    qtbot.mouseClick(editor.vitals_button, LEFT)
    dialog = editor.dialog
    assert dialog is not None, editor.status.text()
    qtbot.waitUntil(dialog.isVisible, timeout=3000)
    qtbot.keyClicks(dialog.fields["systolic"], "128")
    qtbot.keyClicks(dialog.fields["diastolic"], "82")
    qtbot.mouseClick(dialog.save_button, LEFT)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=3000)
    lines = [editor.made.item(i).text() for i in range(editor.made.count())]
    assert any(line.startswith("Vitals:") and "128" in line for line in lines), lines
    assert any("82" in line for line in lines), lines
    assert changes
    kinds = [m.kind for m in get_encounter(doc, encounter.id).made]
    assert kinds.count("vitals") == 2


def test_encounters_pane_new_open_and_entered_in_error(qtbot, doc, patients, encounter):
    pane = EncountersPane(doc, patients[0].id)
    show(qtbot, pane)
    assert pane.title == "Encounters"
    assert pane.model.rowCount() == 1
    changes: list[bool] = []
    pane.changed.connect(lambda: changes.append(True))

    qtbot.mouseClick(pane.new_button, LEFT)
    dialog = pane.dialog
    qtbot.waitUntil(dialog.isVisible, timeout=3000)
    dialog.type.setCurrentText("Telehealth")
    qtbot.keyClicks(dialog.reason, "Rash")
    qtbot.mouseClick(dialog.ok, LEFT)
    qtbot.waitUntil(lambda: pane.editor is not None, timeout=3000)
    assert pane.model.rowCount() == 2 and changes
    assert "Telehealth" in pane.editor.header.text() and "Rash" in pane.editor.header.text()
    new_id = pane.editor.encounter_id

    pane.table.setFocus()
    pane.select(encounter.id)
    qtbot.keyClick(pane.table, Qt.Key.Key_Return)
    assert pane.editor.encounter_id == encounter.id

    pane.select(new_id)
    qtbot.mouseClick(pane.error_button, LEFT)
    reason = pane.dialog
    qtbot.waitUntil(reason.isVisible, timeout=3000)
    qtbot.keyClicks(reason.reason, "Wrong patient")
    qtbot.mouseClick(reason.ok, LEFT)
    qtbot.waitUntil(lambda: pane.model.rowCount() == 1, timeout=3000)
    pane.show_errors.setChecked(True)
    assert pane.model.rowCount() == 2
    struck = pane.model.index(0, 0).data(Qt.ItemDataRole.FontRole)
    assert struck is not None and struck.strikeOut()
    assert pane.model.index(0, 4).data() == "Entered in error"


def test_templates_and_phrases_dialog(qtbot, doc, nurse):
    from emr.services.note_templates import list_note_templates, phrase_map
    from ui.chart.templates_dialog import TemplatesDialog

    dialog = TemplatesDialog(doc)
    show(qtbot, dialog)
    tab = dialog.templates
    qtbot.keyClicks(tab.name, "Annual")
    tab.visit_type.setCurrentText("Annual physical")
    qtbot.keyClicks(tab.sections["plan"], "Return in a year.")
    qtbot.keyClick(tab.sections["plan"], Qt.Key.Key_S, CTRL)
    [saved] = list_note_templates(nurse, "Annual physical")
    assert (saved.name, saved.plan) == ("Annual", "Return in a year.")
    assert tab.list.count() == 1

    dialog.tabs.setCurrentWidget(dialog.phrases)
    phrases = dialog.phrases
    qtbot.keyClicks(phrases.abbreviation, "two words")
    qtbot.keyClicks(phrases.text, "x")
    qtbot.mouseClick(phrases.save_button, LEFT)
    assert "abbreviation" in phrases.error.text()
    phrases.abbreviation.clear()
    qtbot.keyClicks(phrases.abbreviation, ".rrr")
    phrases.text.clear()
    qtbot.keyClicks(phrases.text, "Regular rate and rhythm.")
    phrases.shared.setFocus()
    qtbot.keyClick(phrases.shared, Qt.Key.Key_Space)
    qtbot.mouseClick(phrases.save_button, LEFT)
    assert phrase_map(nurse) == {".rrr": "Regular rate and rhythm."}

    nurse_view = TemplatesDialog(nurse)
    qtbot.addWidget(nurse_view)
    assert not nurse_view.templates.save_button.isVisibleTo(nurse_view)
    assert not nurse_view.phrases.shared.isVisibleTo(nurse_view)
