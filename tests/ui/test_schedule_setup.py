from __future__ import annotations

from datetime import time

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDateTimeEdit, QDialog

from emr.schedule_rules import Stretch
from emr.services.auth import login
from emr.services.schedule_setup import (
    get_working_hours,
    list_appointment_types,
    list_providers,
    save_appointment_type,
)
from emr.services.users import create_user
from tests.ui.conftest import show_panel
from ui.admin.schedule_setup import ScheduleSetupPanel


def _panel(qtbot, db, users) -> ScheduleSetupPanel:
    return show_panel(qtbot, ScheduleSetupPanel(login(db, "boss", users["boss"])))


def _type_time(qtbot, edit, text):
    """Click into the hours of a time and type it over, as "08:30"."""
    edit.setFocus()
    edit.setSelectedSection(QDateTimeEdit.Section.HourSection)
    qtbot.keyClicks(edit, text)


def test_working_hours_edited_and_saved(qtbot, db, users, operator):
    panel = _panel(qtbot, db, users)
    [doc] = list_providers(operator)
    assert panel.provider.currentData() == doc.id
    assert panel.hours.rows == [] and not panel.hours.empty_label.isHidden()

    qtbot.mouseClick(panel.hours.add_button, Qt.MouseButton.LeftButton)
    monday = panel.hours.rows[0]
    assert monday.weekday.hasFocus()
    assert monday.stretch() == Stretch(0, time(8), time(12))
    _type_time(qtbot, monday.starts, "08:30")
    qtbot.keyClick(panel.hours.add_button, Qt.Key.Key_Space)  # the next day, same times
    tuesday = panel.hours.rows[1]
    assert tuesday.stretch() == Stretch(1, time(8, 30), time(12))
    qtbot.keyClick(tuesday.weekday, Qt.Key.Key_Down)  # Wednesday
    _type_time(qtbot, tuesday.ends, "17:00")
    qtbot.mouseClick(panel.hours.add_button, Qt.MouseButton.LeftButton)
    third = panel.hours.rows[2]
    qtbot.keyClicks(third.weekday, "Wed")
    _type_time(qtbot, third.starts, "10:00")
    _type_time(qtbot, third.ends, "11:00")  # overlaps Wednesday 08:30-17:00
    qtbot.mouseClick(panel.hours.save_button, Qt.MouseButton.LeftButton)

    assert "overlap" in panel.hours.error.text() and not panel.hours.error.isHidden()
    assert get_working_hours(operator, doc.id) == []

    qtbot.mouseClick(third.remove_button, Qt.MouseButton.LeftButton)
    assert len(panel.hours.rows) == 2
    qtbot.mouseClick(panel.hours.save_button, Qt.MouseButton.LeftButton)
    assert panel.hours.error.isHidden() and panel.hours.status.text() == "Saved."
    assert get_working_hours(operator, doc.id) == [
        Stretch(0, time(8, 30), time(12)),
        Stretch(2, time(8, 30), time(17)),
    ]

    panel.reload()  # read back from the database
    assert [r.stretch().weekday for r in panel.hours.rows] == [0, 2]


def test_appointment_type_added_edited_and_retired(qtbot, db, users, operator):
    panel = _panel(qtbot, db, users)
    [doc] = list_providers(operator)
    assert panel.types_model.rowCount() == 0

    qtbot.mouseClick(panel.add_type_button, Qt.MouseButton.LeftButton)
    dialog = panel.type_dialog
    qtbot.waitUntil(dialog.isActiveWindow, timeout=3000)
    qtbot.keyClicks(dialog.name, "New patient visit")
    dialog.minutes.setFocus()
    dialog.minutes.selectAll()
    qtbot.keyClicks(dialog.minutes, "45")
    dialog.colour.setFocus()
    dialog.colour.selectAll()
    qtbot.keyClicks(dialog.colour, "green")
    qtbot.keyClicks(dialog.provider, "Doc")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)

    assert "#4a90d9" in dialog.field_errors.labels["colour"].text()
    assert dialog.colour.hasFocus() and dialog.isVisible()
    assert list_appointment_types(operator, include_inactive=True) == []

    dialog.colour.selectAll()
    qtbot.keyClicks(dialog.colour, "#2E8B57")
    qtbot.keyClick(dialog.colour, Qt.Key.Key_Return)
    assert dialog.result() == QDialog.DialogCode.Accepted
    [kind] = list_appointment_types(operator, include_inactive=True)
    assert (kind.name, kind.default_minutes, kind.colour, kind.provider_id, kind.active) == (
        "New patient visit",
        45,
        "#2e8b57",
        doc.id,
        True,
    )
    assert panel.types_model.rowCount() == 1
    assert panel.selected_type() == kind  # the new type is selected
    index = panel.types_model.index(0, 3)
    assert panel.types_model.data(index) == "Doc Tester"
    assert (
        panel.types_model.data(panel.types_model.index(0, 2), Qt.ItemDataRole.DecorationRole).name()
        == "#2e8b57"
    )

    qtbot.mouseClick(panel.retire_type_button, Qt.MouseButton.LeftButton)
    [retired] = list_appointment_types(operator, include_inactive=True)
    assert not retired.active and list_appointment_types(operator) == []
    assert panel.types_model.data(panel.types_model.index(0, 4)) == "Retired"
    assert panel.retire_type_button.text() == "Re&activate type"

    dialog = panel.edit_type()
    qtbot.waitUntil(dialog.isActiveWindow, timeout=3000)
    assert dialog.name.text() == "New patient visit" and not dialog.active.isChecked()
    qtbot.keyClicks(dialog.provider, "All")
    dialog.active.setFocus()
    qtbot.keyClick(dialog.active, Qt.Key.Key_Space)
    qtbot.keyClick(dialog.name, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    [offered] = list_appointment_types(operator)
    assert offered.active and offered.provider_id is None
    assert panel.types_model.data(panel.types_model.index(0, 3)) == "All providers"


def test_a_stale_type_is_not_overwritten(qtbot, db, users, operator):
    panel = _panel(qtbot, db, users)
    kind = save_appointment_type(operator, name="Follow-up", default_minutes=15, colour="#123456")
    panel.reload_types(kind.id)
    save_appointment_type(
        operator, name="Follow-up", default_minutes=20, colour="#123456", type_id=kind.id
    )
    qtbot.mouseClick(panel.retire_type_button, Qt.MouseButton.LeftButton)
    assert "changed by someone else" in panel.types_error.text()
    [still] = list_appointment_types(operator)
    assert still.active and still.default_minutes == 20


def test_no_providers_yet(qtbot, db, operator):
    create_user(
        operator, username="solo", full_name="Solo Admin", role="admin", password="admin pw 12"
    )
    panel = ScheduleSetupPanel(login(db, "solo", "admin pw 12"))
    qtbot.addWidget(panel)
    panel.reload()
    assert not panel.no_providers.isHidden() and not panel.hours.isEnabled()
