from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog
from sqlalchemy import text

from emr.errors import AuthenticationFailed
from emr.services.auth import login
from emr.services.users import list_users
from tests.ui.conftest import answer_message_box, show_panel
from ui.admin.audit_panel import AuditPanel
from ui.admin.users_panel import UsersPanel


def _panel(qtbot, db, users) -> UsersPanel:
    return show_panel(qtbot, UsersPanel(login(db, "boss", users["boss"])))


def _type(qtbot, editor, text):
    editor.setFocus()
    editor.clear()
    qtbot.keyClicks(editor, text)


def _row_of(panel, username):
    return next(r for r, u in enumerate(panel.model.rows) if u.username == username)


def test_create_a_physician_with_errors_first(qtbot, db, users, operator):
    panel = _panel(qtbot, db, users)
    form = panel.form
    assert panel.model.rowCount() == 3
    assert not form.editors["npi"].isVisible()  # only for physicians

    _type(qtbot, form.editors["username"], "jdoe")
    _type(qtbot, form.editors["full_name"], "Jane Doe")
    form.role.setFocus()
    qtbot.keyClicks(form.role, "Phys")
    assert form.editors["npi"].isVisible()
    _type(qtbot, form.password, "a long password")
    _type(qtbot, form.password_again, "a long passw0rd")
    _type(qtbot, form.editors["npi"], "1234567890")
    qtbot.mouseClick(form.create_button, Qt.MouseButton.LeftButton)
    assert "differ" in form.field_errors.labels["password_again"].text()
    assert form.password_again.hasFocus()

    _type(qtbot, form.password_again, "a long password")
    qtbot.keyClick(form.password_again, Qt.Key.Key_Return)
    assert "check digit" in form.field_errors.labels["npi"].text()
    assert form.field_errors.labels["password_again"].isHidden()
    assert "jdoe" not in [u.username for u in list_users(operator)]

    _type(qtbot, form.editors["npi"], "1234567893")
    _type(qtbot, form.editors["dea_number"], "ab1234563")
    _type(qtbot, form.editors["state_licence"], "ME-12345")
    qtbot.mouseClick(form.create_button, Qt.MouseButton.LeftButton)

    jane = next(u for u in list_users(operator) if u.username == "jdoe")
    assert (jane.full_name, jane.role, jane.npi, jane.dea_number, jane.state_licence) == (
        "Jane Doe",
        "physician",
        "1234567893",
        "AB1234563",
        "ME-12345",
    )
    assert panel.model.rowCount() == 4 and panel.selected_user() == jane
    assert panel.status.text() == "Created jdoe (Physician)."
    assert form.editors["username"].text() == "" and not form.editors["npi"].isVisible()
    assert login(db, "jdoe", "a long password").role == "physician"


def test_front_desk_user_gets_no_prescriber_numbers(qtbot, db, users, operator):
    panel = _panel(qtbot, db, users)
    form = panel.form
    _type(qtbot, form.editors["username"], "desk2")
    _type(qtbot, form.editors["full_name"], "Second Desk")
    form.role.setCurrentIndex(form.role.findData("physician"))
    _type(qtbot, form.editors["npi"], "1234567893")
    form.role.setCurrentIndex(form.role.findData("front_desk"))
    _type(qtbot, form.password, "desk password 2")
    _type(qtbot, form.password_again, "desk password 2")
    qtbot.keyClick(form.password_again, Qt.Key.Key_Return)
    desk = next(u for u in list_users(operator) if u.username == "desk2")
    assert desk.role == "front_desk" and desk.npi is None


def test_disable_and_reset_password(qtbot, db, users, operator):
    panel = _panel(qtbot, db, users)
    panel.table.selectRow(_row_of(panel, "boss"))
    assert not panel.disable_button.isEnabled()  # not one's own account

    panel.table.selectRow(_row_of(panel, "fran"))
    answer_message_box(qtbot, "No")
    qtbot.mouseClick(panel.disable_button, Qt.MouseButton.LeftButton)
    assert next(u for u in list_users(operator) if u.username == "fran").active

    seen: list[str] = []
    answer_message_box(qtbot, "Yes", seen)
    qtbot.mouseClick(panel.disable_button, Qt.MouseButton.LeftButton)
    assert "Fran Tester" in seen[0]
    assert not next(u for u in list_users(operator) if u.username == "fran").active
    assert panel.model.data(panel.model.index(_row_of(panel, "fran"), 3)) == "Disabled"
    with pytest.raises(AuthenticationFailed):
        login(db, "fran", users["fran"])

    panel.table.selectRow(_row_of(panel, "doc"))
    qtbot.mouseClick(panel.reset_button, Qt.MouseButton.LeftButton)
    dialog = panel.reset_dialog
    qtbot.waitUntil(dialog.isActiveWindow, timeout=3000)
    qtbot.keyClicks(dialog.password, "short")
    _type(qtbot, dialog.password_again, "short")
    qtbot.keyClick(dialog.password_again, Qt.Key.Key_Return)
    assert "at least 10" in dialog.field_errors.labels["password"].text()
    _type(qtbot, dialog.password, "brand new password")
    _type(qtbot, dialog.password_again, "brand new password")
    qtbot.keyClick(dialog.password_again, Qt.Key.Key_Return)
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert login(db, "doc", "brand new password").username == "doc"
    assert "doc" in panel.status.text()


def test_audit_panel_shows_filters_and_verifies(qtbot, db, users, patients):
    panel = AuditPanel(login(db, "boss", users["boss"]))
    qtbot.addWidget(panel)
    panel.show()
    panel.activateWindow()
    qtbot.waitUntil(panel.isActiveWindow, timeout=3000)
    assert panel.model.rowCount() == 0  # the trail is read when asked for
    panel.ensure_loaded()
    everything = panel.model.rowCount()
    assert everything > 0
    assert panel.model.record_at(0).action == "login"  # newest first: boss logging in
    assert "events, newest first" in panel.message.text()

    anna = patients[0]
    panel.patient_mrn.setFocus()
    qtbot.keyClicks(panel.patient_mrn, anna.mrn)
    qtbot.keyClick(panel.patient_mrn, Qt.Key.Key_Return)
    assert 0 < panel.model.rowCount() < everything
    assert {e.patient_mrn for e in panel.model.rows} == {anna.mrn}
    assert panel.model.data(panel.model.index(0, 4)) == anna.mrn

    panel.patient_mrn.clear()
    qtbot.keyClicks(panel.username, "boss")
    qtbot.mouseClick(panel.show_button, Qt.MouseButton.LeftButton)
    assert panel.model.rowCount() > 0 and {e.username for e in panel.model.rows} == {"boss"}

    panel.username.clear()
    qtbot.keyClicks(panel.patient_mrn, "NO-SUCH-MRN")
    qtbot.keyClick(panel.patient_mrn, Qt.Key.Key_Return)
    assert panel.model.rowCount() == 0 and "no patient" in panel.message.text()

    qtbot.mouseClick(panel.verify_button, Qt.MouseButton.LeftButton)
    assert panel.last_report.ok and panel.chain_result.text().startswith("Audit chain OK")

    with db.write() as s:  # someone edits the trail behind the application's back
        s.execute(text("UPDATE audit_events SET detail = 'nothing to see' WHERE id = 2"))
    qtbot.mouseClick(panel.verify_button, Qt.MouseButton.LeftButton)
    assert not panel.last_report.ok
    assert (
        "BROKEN" in panel.chain_result.text() and "event 2 was altered" in panel.chain_result.text()
    )
