from __future__ import annotations

from PySide6.QtCore import Qt
from sqlalchemy import select

from emr.models.audit import AuditEvent
from emr.services.auth import login
from tests.ui.conftest import show_active
from ui.main_window import MainWindow


def _window(qtbot, actor, *, idle_ms=150):
    window = MainWindow(actor, idle_lock_ms=idle_ms)
    show_active(qtbot, window)
    return window


def test_locks_when_idle_and_unlocks_with_the_same_password(qtbot, front_desk, users):
    window = _window(qtbot, front_desk)
    qtbot.waitUntil(lambda: window.lock_screen.isVisible(), timeout=3000)
    assert not window.tabs.isVisible()
    screen = window.lock_screen
    qtbot.keyClicks(screen.password, "wrong password")
    qtbot.keyClick(screen.password, Qt.Key.Key_Return)
    assert screen.isVisible() and "not right" in screen.message.text()
    qtbot.keyClicks(screen.password, users["fran"])
    qtbot.keyClick(screen.password, Qt.Key.Key_Return)
    assert not screen.isVisible() and window.tabs.isVisible()


def test_typing_keeps_it_unlocked(qtbot, front_desk):
    window = _window(qtbot, front_desk, idle_ms=400)
    for _ in range(6):
        qtbot.keyClick(window.patients.search, Qt.Key.Key_A)
        qtbot.wait(120)
    assert not window.lock_screen.isVisible()


def test_another_user_takes_over(qtbot, db, front_desk, users):
    window = _window(qtbot, front_desk, idle_ms=60_000)
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(window.patients.form.editors["family_name"], "Unsaved")
    window.lock()
    screen = window.lock_screen
    assert "unsaved changes" in screen.unsaved_warning.text()
    qtbot.keyClicks(screen.other_username, "doc")
    qtbot.keyClicks(screen.other_password, users["doc"])
    with qtbot.waitSignal(window.user_switched) as switched:
        qtbot.keyClick(screen.other_password, Qt.Key.Key_Return)
    assert switched.args[0].username == "doc"
    with db.read() as s:
        logouts = s.execute(select(AuditEvent.username).where(AuditEvent.action == "logout"))
        assert list(logouts.scalars()) == ["fran"]


def test_admin_sees_no_patient_editing(qtbot, db, users):
    admin = login(db, "boss", users["boss"])
    window = _window(qtbot, admin, idle_ms=60_000)
    assert not window.patients.new_button.isEnabled()
