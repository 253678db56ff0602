"""The Schedule workspace driven as the front desk drives it: keys, clicks, drags."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from PySide6.QtCore import QPoint, Qt

from emr.schedule_rules import Stretch
from emr.services.auth import login
from emr.services.schedule_setup import list_providers, save_appointment_type, set_working_hours
from emr.services.scheduling import (
    AppointmentInput,
    book_appointment,
    day_schedule,
    patient_appointments,
)
from tests.ui.conftest import PASSWORDS
from ui.schedule.workspace import ScheduleWorkspace

DAY = date.today() + timedelta(days=(7 - date.today().weekday()) % 7 + 7)  # a Monday ahead
HOURS = [Stretch(d, time(8), time(12)) for d in range(5)] + [
    Stretch(d, time(13), time(17)) for d in range(5)
]


def at(h, m=0, day=DAY):
    return datetime.combine(day, time(h, m))


@pytest.fixture
def clinic(operator, front_desk, patients):
    doc = next(p for p in list_providers(operator) if p.username == "doc")
    set_working_hours(operator, doc.id, HOURS)
    kind = save_appointment_type(operator, name="Follow-up", default_minutes=15, colour="#4a90d9")
    return doc, kind


@pytest.fixture
def workspace(qtbot, front_desk, clinic):
    ws = ScheduleWorkspace(front_desk)
    qtbot.addWidget(ws)
    ws.resize(1100, 700)
    ws.show()
    ws.show_day(DAY)
    return ws


def book(actor, clinic, patient, start, minutes=15, reason=""):
    doc, kind = clinic
    return book_appointment(
        actor, AppointmentInput(patient.id, doc.id, kind.id, start, minutes, reason=reason)
    )


def slot(ws, start: datetime, column: int = 0):
    row = ws.model.row_of_time(start.time())
    return ws.model.index(row, column)


def centre(ws, index) -> QPoint:
    return ws.grid.visualRect(index).center()


def test_book_an_appointment_by_keyboard(qtbot, workspace, front_desk, patients):
    ws = workspace
    ws.grid.setFocus()
    ws.grid.setCurrentIndex(slot(ws, at(8)))  # where the day opens: the start of work
    for _ in range(4):  # 08:00 -> 09:00 on the 15-minute grid
        qtbot.keyClick(ws.grid, Qt.Key.Key_Down)
    qtbot.keyClick(ws.grid, Qt.Key.Key_Return)
    dialog = ws.dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.starts() == at(9)
    qtbot.keyClicks(dialog.picker.search, "mull")
    qtbot.keyClick(dialog.picker.search, Qt.Key.Key_Return)
    assert dialog.picker.patient.id == patients[0].id
    qtbot.keyClicks(dialog.reason, "Sore throat")
    qtbot.waitUntil(dialog.isActiveWindow)
    qtbot.keyClick(dialog, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: ws.dialog is None)

    (booked,) = day_schedule(front_desk, DAY)
    assert (booked.patient_id, booked.starts, booked.minutes) == (patients[0].id, at(9), 15)
    assert booked.reason == "Sore throat"
    assert "Müller, Anna" in ws.model.data(slot(ws, at(9)))
    assert "Booked: Müller, Anna" in ws.message.text()


def test_a_double_booking_is_warned_and_kept_with_its_reason(
    qtbot, workspace, front_desk, patients, clinic
):
    ws = workspace
    book(front_desk, clinic, patients[1], at(9))
    ws.reload()
    ws.grid.setCurrentIndex(slot(ws, at(9)))
    ws.book_here()
    dialog = ws.dialog
    qtbot.keyClicks(dialog.picker.search, "smith john")
    qtbot.keyClick(dialog.picker.search, Qt.Key.Key_Return)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert dialog.isVisible() and dialog.warning_box.isVisible()
    assert "double booking" in dialog.warnings.text()
    assert len(day_schedule(front_desk, DAY)) == 1  # nothing booked yet
    qtbot.keyClicks(dialog.override, "Acute pain, doctor agreed")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: ws.dialog is None)
    found = day_schedule(front_desk, DAY)
    assert [a.override_reason for a in found] == ["", "Acute pain, doctor agreed"]
    assert "Smith, John" in ws.model.data(slot(ws, at(9)))  # both show in the one block


def test_drag_an_appointment_to_another_slot(qtbot, workspace, front_desk, patients, clinic):
    ws = workspace
    booked = book(front_desk, clinic, patients[0], at(9))
    ws.reload()
    start, target = centre(ws, slot(ws, at(9))), centre(ws, slot(ws, at(10, 30)))
    viewport = ws.grid.viewport()
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(viewport, start + QPoint(0, 12))
    qtbot.mouseMove(viewport, target)
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=target)
    (moved,) = day_schedule(front_desk, DAY)
    assert moved.id == booked.id and moved.starts == at(10, 30)
    assert "Müller" in ws.model.data(slot(ws, at(10, 30)))
    assert ws.model.data(slot(ws, at(9))) is None


def test_dragging_into_lunch_asks_for_a_reason(qtbot, workspace, front_desk, patients, clinic):
    ws = workspace
    book(front_desk, clinic, patients[0], at(11))
    ws.reload()
    ws.move_to(ws.appointments[0].id, ws.model.row_of_time(time(12, 15)), 0)
    dialog = ws.dialog
    assert dialog is not None and "outside working hours" in dialog.message.text()
    assert not dialog.ok.isEnabled()
    qtbot.keyClicks(dialog.reason, "Only time the patient can come")
    qtbot.mouseClick(dialog.ok, Qt.MouseButton.LeftButton)
    (moved,) = day_schedule(front_desk, DAY)
    assert moved.starts == at(12, 15)
    assert moved.override_reason == "Only time the patient can come"


def test_check_in_and_cancel_with_a_reason(qtbot, workspace, front_desk, patients, clinic):
    ws = workspace
    first = book(front_desk, clinic, patients[0], at(9))
    second = book(front_desk, clinic, patients[1], at(10))
    ws.reload()
    qtbot.mouseClick(ws.grid.viewport(), Qt.MouseButton.LeftButton, pos=centre(ws, slot(ws, at(9))))
    assert ws.selected.id == first.id
    qtbot.mouseClick(ws.status_buttons["arrived"], Qt.MouseButton.LeftButton)
    arrived = next(a for a in day_schedule(front_desk, DAY) if a.id == first.id)
    assert arrived.status == "arrived" and arrived.arrived_at is not None
    assert "Arrived" in ws.details.text() and "Arrived" in ws.model.data(slot(ws, at(9)))

    qtbot.mouseClick(
        ws.grid.viewport(), Qt.MouseButton.LeftButton, pos=centre(ws, slot(ws, at(10)))
    )
    assert ws.selected.id == second.id
    qtbot.mouseClick(ws.cancel_button, Qt.MouseButton.LeftButton)
    dialog = ws.dialog
    qtbot.keyClicks(dialog.reason, "Car broke down")
    qtbot.keyClick(dialog.reason, Qt.Key.Key_Return)
    (cancelled,) = [a for a in patient_appointments(front_desk, patients[1].id)]
    assert cancelled.status == "cancelled" and cancelled.cancel_reason == "Car broke down"
    assert ws.model.data(slot(ws, at(10))) is None  # a cancelled visit leaves the grid
    assert "Cancelled O'Brien, Sean's appointment" in ws.message.text()


def test_recurring_booking_from_the_dialog(qtbot, workspace, front_desk, patients):
    ws = workspace
    ws.grid.setCurrentIndex(slot(ws, at(14)))
    ws.book_here()
    dialog = ws.dialog
    qtbot.keyClicks(dialog.picker.search, "nguyen")
    qtbot.keyClick(dialog.picker.search, Qt.Key.Key_Return)
    dialog.repeat_box.setChecked(True)
    dialog.weekday_boxes[3].setChecked(True)  # Monday (the day) and Thursday
    dialog.count.setValue(4)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: ws.dialog is None)
    visits = sorted(a.starts for a in patient_appointments(front_desk, patients[2].id))
    assert visits == [
        at(14),
        at(14, day=DAY + timedelta(3)),
        at(14, day=DAY + timedelta(7)),
        at(14, day=DAY + timedelta(10)),
    ]
    assert "and 3 more visits" in ws.message.text()


def test_week_view_of_one_provider(qtbot, workspace, front_desk, patients, clinic):
    ws = workspace
    book(front_desk, clinic, patients[0], at(9, day=DAY + timedelta(days=2)))
    ws.view.setCurrentIndex(ws.view.findData("week"))
    ws.provider.setCurrentIndex(ws.provider.findData(clinic[0].id))
    assert [ws.model.headerData(c, Qt.Orientation.Horizontal) for c in range(5)][0].startswith(
        "Mon"
    )
    assert ws.model.columnCount() == 5  # no weekend hours, no weekend visits
    wednesday = ws.model.index(ws.model.row_of_time(time(9)), 2)
    assert "Müller" in ws.model.data(wednesday)
    qtbot.mouseClick(ws.next, Qt.MouseButton.LeftButton)
    assert ws.day == DAY + timedelta(days=7)


def test_find_the_next_free_slot_and_book_it(qtbot, workspace, front_desk, patients, clinic):
    ws = workspace
    book(front_desk, clinic, patients[0], at(8), minutes=60)
    ws.reload()
    qtbot.mouseClick(ws.free_button, Qt.MouseButton.LeftButton)
    dialog = ws.dialog
    assert dialog.provider.currentData() == clinic[0].id
    qtbot.mouseClick(dialog.find_button, Qt.MouseButton.LeftButton)
    assert dialog.found == at(9)
    assert "09:00" in dialog.result.text()
    qtbot.mouseClick(dialog.book_button, Qt.MouseButton.LeftButton)
    booking = ws.dialog
    assert booking is not dialog and booking.starts() == at(9)


def test_resolution_changes_the_grid(qtbot, workspace):
    ws = workspace
    rows_at_15 = ws.model.rowCount()
    ws.resolution.setCurrentIndex(ws.resolution.findData(5))
    assert ws.model.rowCount() == rows_at_15 * 3
    assert ws.model.headerData(1, Qt.Orientation.Vertical).endswith(":05")


def test_an_administrator_sees_but_cannot_book(qtbot, db, users, clinic, patients, operator):
    book(operator, clinic, patients[0], at(9))
    boss = login(db, "boss", PASSWORDS["boss"])
    ws = ScheduleWorkspace(boss)
    qtbot.addWidget(ws)
    ws.show_day(DAY)
    assert not ws.book_button.isEnabled()
    ws.grid.setCurrentIndex(slot(ws, at(9)))
    assert ws.selected is not None and not ws.status_buttons["arrived"].isEnabled()
    ws.book_at(0, 0)
    assert ws.dialog is None and "may look" in ws.message.text()


def test_save_and_print_the_day_sheet(qtbot, workspace, front_desk, patients, clinic, tmp_path):
    from pypdf import PdfReader
    from PySide6.QtPrintSupport import QPrinter

    from ui.schedule.day_sheet_actions import print_day_sheet, save_day_sheet

    ws = workspace
    book(front_desk, clinic, patients[2], at(9), reason="Blood pressure check")
    saved = tmp_path / "sheet.pdf"
    save_day_sheet(ws, DAY, None, saved)
    assert not ws.busy.isHidden() and not ws.pdf_button.isEnabled()  # made in the background
    qtbot.waitUntil(lambda: "saved" in ws.message.text(), timeout=10_000)
    text = "".join(page.extract_text() for page in PdfReader(saved).pages)
    assert "Nguyễn, Thị Lan" in text and "Blood pressure check" in text
    assert "06/15/1975" in text
    assert ws.busy.isHidden() and ws.pdf_button.isEnabled()

    printer = QPrinter()
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "printed.pdf"))
    print_day_sheet(ws, DAY, clinic[0].id, printer)
    qtbot.waitUntil(lambda: "printed" in ws.message.text(), timeout=10_000)
    assert len(PdfReader(tmp_path / "printed.pdf").pages) == 1


def test_another_workstations_booking_shows_within_the_poll(
    qtbot, workspace, front_desk, patients, clinic, db
):
    assert workspace.change_poll.isActive()
    assert not workspace.reload_if_changed()
    physician = login(db, "doc", PASSWORDS["doc"])
    book(physician, clinic, patients[1], at(10))
    workspace.change_poll.setInterval(50)
    qtbot.waitUntil(lambda: len(workspace.appointments) == 1, timeout=5000)
    workspace.book_at(slot(workspace, at(11)).row(), 0)  # a dialog is open: no reload under it
    book(physician, clinic, patients[2], at(14))
    assert not workspace.reload_if_changed()
    workspace.dialog.reject()
    qtbot.waitUntil(lambda: len(workspace.appointments) == 2, timeout=5000)
    workspace.hide()
    assert not workspace.change_poll.isActive()
