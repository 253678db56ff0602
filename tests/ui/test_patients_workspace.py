from __future__ import annotations

from PySide6.QtCore import Qt
from sqlalchemy import event

from emr.services.patients import get_patient
from emr.services.scheduling import cancel_appointment
from tests.ui.conftest import show_active
from tests.ui.test_patient_page import at, book, doctor_with_hours
from ui.main_window import MainWindow
from ui.patients.search_model import NEXT_APPOINTMENT, PatientSearchModel, appointment_time


def _window(qtbot, actor) -> MainWindow:
    window = MainWindow(actor)
    show_active(qtbot, window)
    return window


def _search(qtbot, window, text):
    box = window.patients.search
    box.clear()
    qtbot.keyClicks(box, text)
    qtbot.waitUntil(lambda: not window.patients.search_pending(), timeout=3000)
    return window.patients.model


def test_type_to_search_open_edit_save(qtbot, front_desk, patients, operator):
    window = _window(qtbot, front_desk)
    model = _search(qtbot, window, "muller an")
    assert model.rowCount() == 1
    assert model.index(0, 1).data() == "Müller, Anna"
    assert model.index(0, 2).data().startswith("1984-03-07 (")
    assert window.patients.count.text() == "1 patient found"

    qtbot.keyClick(window.patients.search, Qt.Key.Key_Return)
    form = window.patients.form
    assert window.patients.stack.currentWidget() is form
    assert form.editors["family_name"].text() == "Müller"

    city = form.editors["city"]
    city.setFocus()
    qtbot.keyClicks(city, "Springfield")
    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    assert get_patient(operator, patients[0].id).city == "Springfield"
    assert form.errors["city"].isHidden()


def test_keyboard_down_and_enter_open_a_row(qtbot, front_desk, patients):
    window = _window(qtbot, front_desk)
    model = _search(qtbot, window, "s")
    assert model.rowCount() >= 2
    qtbot.keyClick(window.patients.search, Qt.Key.Key_Down)
    assert window.patients.table.hasFocus()
    qtbot.keyClick(window.patients.table, Qt.Key.Key_Down)
    second = model.patient_at(1)
    qtbot.keyClick(window.patients.table, Qt.Key.Key_Return)
    assert window.patients.form.record.id == second.id


def test_search_by_date_of_birth_mrn_and_phone(qtbot, front_desk, patients):
    window = _window(qtbot, front_desk)
    assert _search(qtbot, window, "12/01/1990").patient_at(0).family_name == "O'Brien"
    assert _search(qtbot, window, patients[2].mrn).patient_at(0).family_name == "Nguyễn"
    assert _search(qtbot, window, "2013344").patient_at(0).family_name == "Müller"


def test_ctrl_f_and_ctrl_n(qtbot, front_desk, patients):
    window = _window(qtbot, front_desk)
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert window.patients.stack.currentWidget() is window.patients.form
    assert window.patients.form.title.text() == "New patient"
    assert window.patients.form.editors["family_name"].hasFocus()
    # An untouched form gives way to the search.
    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert window.patients.search.hasFocus()
    # A form with typing in it is kept, and says why.
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(window.patients.form.editors["family_name"], "Half-typed")
    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert window.patients.stack.currentWidget() is window.patients.form
    assert "unsaved" in window.patients.form.summary.text()


def test_status_bar_shows_user_role_and_database(qtbot, front_desk):
    window = _window(qtbot, front_desk)
    assert window.user_label.text() == "Fran Tester — Front desk"
    assert front_desk.db.description in window.db_label.text()
    assert window.findChild(type(window.user_label), "unencrypted") is None


def test_unencrypted_database_is_marked_red(qtbot, emr_home, monkeypatch):
    from emr.config import load_settings
    from emr.db import open_database
    from emr.services.auth import login
    from emr.services.context import Actor
    from emr.services.users import create_user

    monkeypatch.delenv("EMR_DB_KEY")
    db = open_database(load_settings(), create=True, encrypted=False)
    try:
        create_user(
            Actor.operator(db),
            username="dev",
            full_name="Dev",
            role="front_desk",
            password="developer pw 1",
        )
        window = _window(qtbot, login(db, "dev", "developer pw 1"))
        marker = window.findChild(type(window.user_label), "unencrypted")
        assert marker is not None and marker.text() == "UNENCRYPTED"
        window.close_without_asking()
    finally:
        db.dispose()


def test_search_shows_each_patients_next_appointment(qtbot, front_desk, patients, operator):
    doc_id, type_id = doctor_with_hours(operator)
    anna, sean = patients[0].id, patients[1].id
    book(operator, anna, doc_id, type_id, at(-3, 9))  # past: not "next"
    book(operator, anna, doc_id, type_id, at(2, 10, 15))
    book(operator, anna, doc_id, type_id, at(9, 8))
    cancelled = book(operator, anna, doc_id, type_id, at(1, 9))  # sooner, but cancelled
    cancel_appointment(operator, cancelled.id, cancelled.version, "Moved away for a week")
    book(operator, sean, doc_id, type_id, at(5, 16, 40))

    statements: list[str] = []
    engine = front_desk.db.engine

    def seen(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    window = _window(qtbot, front_desk)
    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    event.listen(engine, "before_cursor_execute", seen)
    try:
        model = _search(qtbot, window, "s")  # O'Brien, Sean and Smith, John
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert model.headerData(5, Qt.Orientation.Horizontal) == "Next appointment"
    by_name = {model.index(r, 1).data(): model.index(r, 5).data() for r in range(model.rowCount())}
    assert by_name == {"O'Brien, Sean": appointment_time(at(5, 16, 40)), "Smith, John": ""}
    assert appointment_time(at(5, 16, 40)).endswith(" 16:40")
    # One query for the page of results, not one per patient.
    assert sum("FROM appointments" in s for s in statements) == 1

    model = _search(qtbot, window, "muller")
    assert model.index(0, 5).data() == appointment_time(at(2, 10, 15))


def test_without_schedule_access_there_is_no_next_appointment_column(qtbot, patients):
    model = PatientSearchModel()
    model.set_rows([p.summary() for p in patients])
    assert model.columnCount() == 5
    assert NEXT_APPOINTMENT not in [
        model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())
    ]
    with_column = PatientSearchModel(next_appointment=True)
    with_column.set_rows([patients[0].summary()], {patients[0].id: at(1, 9, 5)})
    assert with_column.index(0, 5).data() == appointment_time(at(1, 9, 5))
