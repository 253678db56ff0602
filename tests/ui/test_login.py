from __future__ import annotations

from PySide6.QtCore import Qt

from emr.services.auth import MAX_FAILED_LOGINS
from ui.login import LoginDialog


def _type_and_submit(qtbot, dialog, username, password):
    dialog.username.clear()
    dialog.password.clear()
    qtbot.keyClicks(dialog.username, username)
    qtbot.keyClicks(dialog.password, password)
    qtbot.keyClick(dialog.password, Qt.Key.Key_Return)


def test_wrong_password_then_success(qtbot, db, users):
    dialog = LoginDialog(db)
    qtbot.addWidget(dialog)
    dialog.show()
    _type_and_submit(qtbot, dialog, "fran", "not my password")
    assert dialog.message.text() == "The username or password is not right."
    assert dialog.actor is None and dialog.password.text() == ""
    _type_and_submit(qtbot, dialog, "fran", users["fran"])
    assert dialog.actor is not None and dialog.actor.username == "fran"
    assert dialog.result() == LoginDialog.DialogCode.Accepted


def test_locked_account_says_so(qtbot, db, users):
    dialog = LoginDialog(db)
    qtbot.addWidget(dialog)
    dialog.show()
    for _ in range(MAX_FAILED_LOGINS):
        _type_and_submit(qtbot, dialog, "fran", "wrong wrong wrong")
    assert "locked" in dialog.message.text()
    _type_and_submit(qtbot, dialog, "fran", users["fran"])
    assert "locked" in dialog.message.text() and dialog.actor is None
