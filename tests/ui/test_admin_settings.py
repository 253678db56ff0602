from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage
from PySide6.QtWidgets import QDialog

from emr.services.auth import login
from emr.services.practice import get_practice
from ui.admin.settings_dialog import SettingsDialog
from ui.admin.workspace import AdminWorkspace


def _admin(db, users):
    return login(db, "boss", users["boss"])


def _open(qtbot, actor) -> SettingsDialog:
    dialog = SettingsDialog(actor)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow, timeout=3000)
    return dialog


def _type(qtbot, editor, text):
    editor.setFocus()
    editor.selectAll()
    qtbot.keyClick(editor, Qt.Key.Key_Delete)
    qtbot.keyClicks(editor, text)


def _png(path, colour="#2a6f97"):
    image = QImage(40, 20, QImage.Format.Format_RGB32)
    image.fill(QColor(colour))
    assert image.save(str(path), "PNG")
    return path


def test_bad_npi_is_shown_beside_it_then_correct_values_save(qtbot, db, users):
    admin = _admin(db, users)
    dialog = _open(qtbot, admin)
    assert dialog.editors["name"].hasFocus()
    qtbot.keyClicks(dialog.editors["name"], "Lakeside Family Practice")
    qtbot.keyClick(dialog.editors["name"], Qt.Key.Key_Tab)
    assert dialog.editors["address_line1"].hasFocus()  # the tab order follows the form
    qtbot.keyClicks(dialog.editors["address_line1"], "12 Harbour Road")
    _type(qtbot, dialog.editors["city"], "Portland")
    _type(qtbot, dialog.editors["phone"], "(207) 555-0142")
    _type(qtbot, dialog.editors["npi"], "1234567890")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)

    npi_error = dialog.field_errors.labels["npi"]
    assert not npi_error.isHidden() and "check digit" in npi_error.text()
    assert dialog.field_errors.labels["phone"].isHidden()
    assert dialog.editors["npi"].hasFocus()
    assert dialog.isVisible() and dialog.result() != QDialog.DialogCode.Accepted
    assert get_practice(admin).version == 0

    _type(qtbot, dialog.editors["npi"], "1234567893")
    dialog.slot_minutes.setFocus()
    qtbot.keyClicks(dialog.slot_minutes, "10")
    qtbot.keyClick(dialog.editors["npi"], Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)

    assert dialog.result() == QDialog.DialogCode.Accepted and not dialog.isVisible()
    saved = get_practice(admin)
    assert (saved.name, saved.address_line1, saved.city, saved.phone, saved.npi) == (
        "Lakeside Family Practice",
        "12 Harbour Road",
        "Portland",
        "(207) 555-0142",
        "1234567893",
    )
    assert saved.slot_minutes == 10 and saved.version == 1
    assert saved.idle_lock_minutes is None and saved.backup_dir is None
    assert dialog.saved_record == saved


def test_logo_chosen_previewed_saved_and_removed(qtbot, db, users, tmp_path):
    admin = _admin(db, users)
    dialog = _open(qtbot, admin)
    assert not dialog.remove_logo_button.isEnabled()

    not_image = tmp_path / "letter.png"
    not_image.write_text("Dear colleague")
    assert dialog.load_logo(not_image) is False
    assert "not a PNG or JPEG" in dialog.field_errors.labels["logo_png"].text()
    assert dialog.logo_bytes is None

    logo = _png(tmp_path / "logo.png")
    assert dialog.load_logo(logo) is True
    assert dialog.field_errors.labels["logo_png"].isHidden()
    assert not dialog.logo_preview.pixmap().isNull()
    assert dialog.remove_logo_button.isEnabled()
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert get_practice(admin).logo_png == logo.read_bytes()

    again = _open(qtbot, admin)  # the saved logo shows when the settings open again
    assert not again.logo_preview.pixmap().isNull()
    qtbot.mouseClick(again.remove_logo_button, Qt.MouseButton.LeftButton)
    assert again.logo_preview.text() == "No logo"
    qtbot.mouseClick(again.save_button, Qt.MouseButton.LeftButton)
    assert get_practice(admin).logo_png is None and get_practice(admin).version == 2


def test_idle_lock_and_backup_folder(qtbot, db, users, tmp_path):
    admin = _admin(db, users)
    dialog = _open(qtbot, admin)
    assert dialog.idle_use_machine.isChecked() and not dialog.idle_minutes.isEnabled()
    qtbot.mouseClick(dialog.idle_use_machine, Qt.MouseButton.LeftButton)
    assert dialog.idle_minutes.isEnabled()
    _type(qtbot, dialog.idle_minutes.lineEdit(), "25")
    _type(qtbot, dialog.backup_folder, "backups")  # not a full path
    qtbot.keyClick(dialog.backup_folder, Qt.Key.Key_Return)

    assert "full path" in dialog.field_errors.labels["backup_dir"].text()
    assert dialog.backup_folder.hasFocus() and dialog.isVisible()
    assert get_practice(admin).version == 0

    _type(qtbot, dialog.backup_folder, str(tmp_path / "safe place"))
    qtbot.keyClick(dialog.backup_folder, Qt.Key.Key_Return)
    assert dialog.result() == QDialog.DialogCode.Accepted
    saved = get_practice(admin)
    assert (saved.idle_lock_minutes, saved.backup_dir) == (25, str(tmp_path / "safe place"))

    again = _open(qtbot, admin)
    assert not again.idle_use_machine.isChecked() and again.idle_minutes.value() == 25
    again.idle_use_machine.setFocus()
    qtbot.keyClick(again.idle_use_machine, Qt.Key.Key_Space)
    again.backup_folder.clear()
    qtbot.keyClick(again.editors["name"], Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    saved = get_practice(admin)
    assert (saved.idle_lock_minutes, saved.backup_dir) == (None, None)


def test_admin_workspace_summary_tabs_and_smoke(qtbot, db, users, tmp_path):
    admin = _admin(db, users)
    workspace = AdminWorkspace(admin)
    qtbot.addWidget(workspace)
    workspace.show()
    workspace.activateWindow()
    qtbot.waitUntil(workspace.isActiveWindow, timeout=3000)
    assert "not filled in yet" in workspace.practice.summary.text()
    assert "this computer's setting (10 minutes)" in workspace.practice.summary.text()

    qtbot.mouseClick(workspace.practice.edit_button, Qt.MouseButton.LeftButton)
    dialog = workspace.practice.dialog
    qtbot.waitUntil(dialog.isActiveWindow, timeout=3000)
    qtbot.keyClicks(dialog.editors["name"], "Lakeside <Family> Practice")
    dialog.load_logo(_png(tmp_path / "logo.png"))
    qtbot.keyClick(dialog.editors["name"], Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert "Lakeside &lt;Family&gt; Practice" in workspace.practice.summary.text()
    assert not workspace.practice.logo.pixmap().isNull()

    tabs = workspace.tabs
    assert tabs.tabText(3) == "Audit trail" and workspace.audit.model.rowCount() == 0
    workspace.show_panel(workspace.audit)
    assert workspace.audit.model.rowCount() > 0  # read when first shown
    workspace.show_panel(workspace.schedule)
    assert [p.username for p in workspace.schedule.providers] == ["doc"]
    workspace.show_panel(workspace.users)
    assert workspace.users.model.rowCount() == 3

    described = workspace.smoke_test()
    assert described.startswith("Admin (practice: Lakeside <Family> Practice; providers: 1;")
    assert "users: 3;" in described and described.endswith("audit chain OK)")
