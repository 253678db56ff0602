from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt

from emr.services.patients import get_patient, search_patients, update_patient
from tests.ui.conftest import answer_message_box, show_active
from ui.main_window import MainWindow


def _new_form(qtbot, actor):
    window = MainWindow(actor)
    show_active(qtbot, window)
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    return window, window.patients.form


def _type(qtbot, form, name, text):
    editor = form.editors[name]
    editor.setFocus()
    editor.clear()
    qtbot.keyClicks(editor, text)


def test_register_with_a_validation_error_then_correctly(qtbot, front_desk, operator):
    window, form = _new_form(qtbot, front_desk)
    _type(qtbot, form, "family_name", "Kowalski")
    _type(qtbot, form, "given_name", "Piotr")
    _type(qtbot, form, "date_of_birth", "7.3.2999")  # in the future
    form.editors["sex"].setFocus()
    qtbot.keyClicks(form.editors["sex"], "M")
    _type(qtbot, form, "email", "piotr@")
    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)

    assert not form.errors["date_of_birth"].isHidden()
    assert "future" in form.errors["date_of_birth"].text()
    assert "e-mail" in form.errors["email"].text()
    assert form.errors["family_name"].isHidden()
    assert form.editors["date_of_birth"].hasFocus()  # the first wrong field
    assert search_patients(operator, "kowalski") == []

    _type(qtbot, form, "date_of_birth", "7.3.1984")
    _type(qtbot, form, "email", "piotr@example.com")
    qtbot.keyClick(form.editors["email"], Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    [found] = search_patients(operator, "kowalski piotr")
    record = get_patient(operator, found.id)
    assert (record.date_of_birth.isoformat(), record.sex, record.email) == (
        "1984-03-07",
        "M",
        "piotr@example.com",
    )
    assert form.title.text().startswith("Kowalski, Piotr — MRN ")
    assert all(label.isHidden() for label in form.errors.values())


def test_duplicate_warning_then_register_anyway(qtbot, front_desk, patients, operator):
    window, form = _new_form(qtbot, front_desk)
    _type(qtbot, form, "family_name", "Muller")  # without the umlaut: the same name
    _type(qtbot, form, "given_name", "Anna")
    _type(qtbot, form, "date_of_birth", "03/07/1984")
    form.editors["sex"].setCurrentIndex(form.editors["sex"].findData("F"))
    seen: list[str] = []
    answer_message_box(qtbot, "Cancel", seen)
    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    assert "Müller, Anna" in seen[0]
    assert len(search_patients(operator, "muller anna")) == 1

    answer_message_box(qtbot, "Register anyway")
    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    assert len(search_patients(operator, "muller anna")) == 2


def test_conflict_offers_reload(qtbot, front_desk, patients, operator):
    window = MainWindow(front_desk)
    show_active(qtbot, window)
    qtbot.keyClicks(window.patients.search, "smith john")
    qtbot.waitUntil(lambda: window.patients.model.rowCount() == 1, timeout=3000)
    qtbot.keyClick(window.patients.search, Qt.Key.Key_Return)
    form = window.patients.form
    # Another workstation changes the record behind this form's back.
    current = get_patient(operator, patients[3].id)
    update_patient(
        operator, current.id, current.version, replace(current.to_input(), city="Elsewhere")
    )

    _type(qtbot, form, "city", "Here")
    seen: list[str] = []
    answer_message_box(qtbot, "Reload", seen)
    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    assert "changed by someone else" in seen[0]
    assert form.editors["city"].text() == "Elsewhere"  # reloaded: the other change shows
    assert get_patient(operator, patients[3].id).city == "Elsewhere"  # nothing overwritten
