"""The patient's page: banner, registration sections, appointments, the photo."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QFileDialog

from emr.schedule_rules import Stretch
from emr.services.patient_photos import get_patient_photo, set_patient_photo
from emr.services.schedule_setup import list_providers, save_appointment_type, set_working_hours
from emr.services.scheduling import (
    AppointmentInput,
    book_appointment,
    cancel_appointment,
    set_status,
)
from tests.ui.conftest import answer_message_box, show_active
from ui.main_window import MainWindow
from ui.widgets.patient_banner import decode_image


def doctor_with_hours(operator) -> tuple[int, int]:
    """The users fixture's physician, working 07:00–19:00 every day, and a visit type."""
    [doc] = [p for p in list_providers(operator) if p.username == "doc"]
    set_working_hours(operator, doc.id, [Stretch(day, time(7), time(19)) for day in range(7)])
    kind = save_appointment_type(operator, name="Follow-up", default_minutes=20, colour="#4a90d9")
    return doc.id, kind.id


def book(operator, patient_id, doc_id, type_id, starts: datetime, reason: str = ""):
    return book_appointment(
        operator, AppointmentInput(patient_id, doc_id, type_id, starts, 20, reason=reason)
    )


def at(days_from_today: int, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(date.today() + timedelta(days=days_from_today), time(hour, minute))


def open_patient(qtbot, actor, query: str):
    window = MainWindow(actor)
    show_active(qtbot, window)
    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)  # to the search
    workspace = window.patients
    qtbot.keyClicks(workspace.search, query)
    qtbot.waitUntil(lambda: workspace.model.rowCount() == 1, timeout=3000)
    qtbot.keyClick(workspace.search, Qt.Key.Key_Return)
    assert workspace.stack.currentWidget() is workspace.form
    return window, workspace.form


def picture_file(tmp_path, name="face.png", size=(1200, 900), colour="#3366aa"):
    image = QImage(*size, QImage.Format.Format_RGB32)
    image.fill(QColor(colour))
    path = tmp_path / name
    assert image.save(str(path))
    return path


def near(a: QColor, b: QColor) -> bool:
    return all(abs(x - y) <= 4 for x, y in zip(a.getRgb(), b.getRgb(), strict=True))


def rows(model) -> list[tuple[str, ...]]:
    return [
        tuple(model.index(r, c).data() for c in range(model.columnCount()))
        for r in range(model.rowCount())
    ]


@pytest.fixture
def anna_with_visits(operator, users, patients):
    """Müller, Anna: one visit last week (completed), two booked ahead, one cancelled."""
    doc_id, type_id = doctor_with_hours(operator)
    anna = patients[0].id
    past = book(operator, anna, doc_id, type_id, at(-7, 9))
    set_status(operator, past.id, past.version, "completed")
    book(operator, anna, doc_id, type_id, at(1, 10), reason="Blood pressure check")
    book(operator, anna, doc_id, type_id, at(30, 11, 30))
    flu = book(operator, anna, doc_id, type_id, at(1, 8))
    cancel_appointment(operator, flu.id, flu.version, "Patient has the flu")
    return anna


def test_opening_a_patient_shows_the_banner_and_appointments(
    qtbot, front_desk, patients, anna_with_visits
):
    window, form = open_patient(qtbot, front_desk, "muller anna")
    banner = form.banner
    assert banner.isVisible()
    anna = patients[0]
    assert banner.name.text() == "Müller, Anna"
    assert banner.age_sex.text() == f"{anna.age()} y · Female"
    assert banner.born.text() == "Born 1984-03-07"
    assert banner.mrn.text() == f"MRN {anna.mrn}"
    assert not banner.has_photo and banner.photo.pixmap() is not None  # the initials badge
    assert banner.status.isHidden()

    panel = form.appointments
    assert form.appointments_box.isVisible()
    assert panel.upcoming_title.text() == "Upcoming appointments (3)"
    assert panel.past_title.text() == "Past appointments (1)"
    tomorrow = date.today() + timedelta(days=1)
    in_30 = date.today() + timedelta(days=30)
    week_ago = date.today() - timedelta(days=7)
    assert rows(panel.upcoming) == [
        (
            f"{tomorrow:%a %Y-%m-%d} 08:00–08:20",
            "Doc Tester",
            "Follow-up",
            "Cancelled: Patient has the flu",
        ),
        (f"{tomorrow:%a %Y-%m-%d} 10:00–10:20", "Doc Tester", "Follow-up", "Booked"),
        (f"{in_30:%a %Y-%m-%d} 11:30–11:50", "Doc Tester", "Follow-up", "Booked"),
    ]
    assert rows(panel.past) == [
        (f"{week_ago:%a %Y-%m-%d} 09:00–09:20", "Doc Tester", "Follow-up", "Completed"),
    ]
    assert "Blood pressure check" in panel.upcoming.index(1, 0).data(Qt.ItemDataRole.ToolTipRole)

    # Another patient has none of Anna's visits; going back and forth shows each one's own.
    qtbot.mouseClick(form.cancel_button, Qt.MouseButton.LeftButton)
    workspace = window.patients
    workspace.search.clear()
    qtbot.keyClicks(workspace.search, "smith john")
    qtbot.waitUntil(lambda: workspace.model.rowCount() == 1, timeout=3000)
    qtbot.keyClick(workspace.search, Qt.Key.Key_Return)
    assert banner.name.text() == "Smith, John"
    assert banner.age_sex.text().endswith("· Male")
    assert panel.upcoming.rowCount() == 0 and panel.past.rowCount() == 0
    assert panel.past_title.text() == "Past appointments (0)"


def test_insurance_and_front_desk_notes_show_without_scrolling(
    qtbot, front_desk, patients, operator
):
    from dataclasses import replace

    from emr.services.patients import get_patient, update_patient

    anna = get_patient(operator, patients[0].id)
    update_patient(
        operator,
        anna.id,
        anna.version,
        replace(
            anna.to_input(), insurance_payer="Acme Health", front_desk_notes="Prefers mornings"
        ),
    )
    window, form = open_patient(qtbot, front_desk, "muller anna")
    for title in ("Insurance", "Front-desk notes"):
        box = form.sections[title]
        assert box.isVisible() and not box.visibleRegion().isEmpty(), title
        assert box.title() == title
    assert form.editors["insurance_payer"].text() == "Acme Health"
    assert form.editors["front_desk_notes"].toPlainText() == "Prefers mornings"
    assert not form.editors["front_desk_notes"].visibleRegion().isEmpty()


def test_setting_a_photo_shows_it_in_the_banner_and_keeps_it(
    qtbot, front_desk, patients, operator, tmp_path
):
    window, form = open_patient(qtbot, front_desk, "muller anna")
    assert form.photo_button.text() == "Choose p&hoto…"
    assert form.remove_photo_button.isHidden()

    assert form.load_photo(picture_file(tmp_path)) is True
    assert form.banner.has_photo
    shown = form.banner.photo.pixmap().toImage()
    assert (shown.width(), shown.height()) == (64, 48)  # fitted, proportions kept
    assert near(shown.pixelColor(32, 24), QColor("#3366aa"))  # JPEG: nearly the same colour
    assert form.photo_button.text() == "Change p&hoto…"
    assert form.remove_photo_button.isVisible()

    kept = get_patient_photo(operator, patients[0].id)
    assert kept is not None and kept.startswith(b"\xff\xd8\xff")  # kept as a JPEG …
    image = decode_image(kept)
    assert (image.width(), image.height()) == (800, 600)  # … of at most 800 pixels a side

    # A fresh window (another day, another workstation) shows the photo kept.
    window.close_without_asking()
    _, again = open_patient(qtbot, front_desk, "muller anna")
    assert again.banner.has_photo


def test_choose_photo_button_opens_a_file_dialog(qtbot, front_desk, patients, operator, tmp_path):
    path = picture_file(tmp_path, "portrait.jpg", size=(300, 400), colour="#aa3322")
    window, form = open_patient(qtbot, front_desk, "smith john")
    qtbot.mouseClick(form.photo_button, Qt.MouseButton.LeftButton)
    dialog = form.findChild(QFileDialog)
    assert dialog is not None and dialog.isVisible()
    dialog.selectFile(str(path))
    dialog.accept()
    qtbot.waitUntil(lambda: form.banner.has_photo, timeout=3000)
    assert decode_image(get_patient_photo(operator, patients[3].id)).size().toTuple() == (300, 400)


def test_a_file_that_is_not_a_picture_is_refused(qtbot, front_desk, patients, operator, tmp_path):
    window, form = open_patient(qtbot, front_desk, "muller anna")
    letter = tmp_path / "letter.png"
    letter.write_text("Dear Dr Tester, …")
    assert form.load_photo(letter) is False
    assert "letter.png is not a picture" in form.summary.text()
    assert form.load_photo(tmp_path / "missing.jpg") is False
    assert "cannot be read" in form.summary.text()
    assert not form.banner.has_photo
    assert get_patient_photo(operator, patients[0].id) is None


def test_removing_the_photo(qtbot, front_desk, patients, operator, tmp_path):
    png = picture_file(tmp_path).read_bytes()
    set_patient_photo(operator, patients[0].id, png)
    window, form = open_patient(qtbot, front_desk, "muller anna")
    assert form.banner.has_photo

    answer_message_box(qtbot, "No")
    qtbot.mouseClick(form.remove_photo_button, Qt.MouseButton.LeftButton)
    assert form.banner.has_photo
    assert get_patient_photo(operator, patients[0].id) == png

    seen: list[str] = []
    answer_message_box(qtbot, "Yes", seen)
    qtbot.mouseClick(form.remove_photo_button, Qt.MouseButton.LeftButton)
    assert seen == ["Remove the photo of Müller, Anna?"]
    assert not form.banner.has_photo
    assert form.remove_photo_button.isHidden()
    assert get_patient_photo(operator, patients[0].id) is None


def test_a_new_patient_has_no_banner_until_registered(qtbot, front_desk):
    window = MainWindow(front_desk)
    show_active(qtbot, window)
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    form = window.patients.form
    assert form.title.isVisible() and form.title.text() == "New patient"
    assert not form.header.isVisible()  # no banner before there is a patient
    assert not form.appointments_box.isVisible()
    for name, text in (
        ("family_name", "Kowalski"),
        ("given_name", "Piotr"),
        ("date_of_birth", "1984-03-07"),
    ):
        form.editors[name].setFocus()
        qtbot.keyClicks(form.editors[name], text)
    form.editors["sex"].setCurrentIndex(form.editors["sex"].findData("M"))
    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    assert form.header.isVisible()
    assert form.banner.name.text() == "Kowalski, Piotr"
    assert form.banner.mrn.text() == f"MRN {form.record.mrn}"
    assert form.appointments.upcoming.rowCount() == 0
    assert form.photo_button.isVisible()
