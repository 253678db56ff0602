"""The idle lock: after some minutes without input, a screen covers the window until the same
user types their password again, or another user logs in in their place."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QApplication,
    QFormLayout,
    QFrame,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from emr.errors import UserError
from emr.services.auth import login, verify_password
from emr.services.context import Actor
from ui.style import ERROR_STYLE

_ACTIVITY = {
    QEvent.Type.KeyPress,
    QEvent.Type.MouseButtonPress,
    QEvent.Type.MouseMove,
    QEvent.Type.Wheel,
}


class IdleWatcher(QObject):
    """Emits `idle` when no key or mouse input reached the application for `timeout_ms`."""

    idle = Signal()

    def __init__(self, timeout_ms: int, parent=None) -> None:
        super().__init__(parent)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(timeout_ms)
        self.timer.timeout.connect(self.idle)
        QApplication.instance().installEventFilter(self)
        self.timer.start()

    def eventFilter(self, obj, event) -> bool:  # noqa: N802
        if event.type() in _ACTIVITY and self.timer.isActive():
            self.timer.start()
        return False

    def pause(self) -> None:
        self.timer.stop()

    def resume(self) -> None:
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)


class LockScreen(QFrame):
    """Covers its parent completely; the content behind it is hidden by the window."""

    unlocked = Signal()
    other_user = Signal(object)  # the Actor who logged in instead

    def __init__(self, actor: Actor, parent: QWidget) -> None:
        super().__init__(parent)
        self.actor = actor
        self.setObjectName("lockScreen")
        self.setAutoFillBackground(True)
        self.setStyleSheet("#lockScreen { background: #263238; } QLabel { color: white; }")
        title = QLabel(f"Locked — {actor.full_name}")
        title.setStyleSheet("font-size: 18pt; font-weight: bold; color: white;")
        self.password = QLineEdit()
        self.password.setObjectName("unlockPassword")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("Your password")
        self.password.returnPressed.connect(self.try_unlock)
        unlock = QPushButton("&Unlock")
        unlock.setObjectName("unlock")
        unlock.clicked.connect(self.try_unlock)
        self.message = QLabel()
        self.message.setObjectName("lockMessage")
        self.message.setStyleSheet(ERROR_STYLE + " background: white; padding: 2px;")
        self.message.setWordWrap(True)
        self.message.hide()

        self.switch_box = QGroupBox("Someone else")
        self.switch_box.setStyleSheet("QGroupBox { color: white; }")
        self.other_username = QLineEdit()
        self.other_username.setObjectName("otherUsername")
        self.other_password = QLineEdit()
        self.other_password.setObjectName("otherPassword")
        self.other_password.setEchoMode(QLineEdit.EchoMode.Password)
        self.other_password.returnPressed.connect(self.try_other_user)
        self.unsaved_warning = QLabel()
        self.unsaved_warning.setObjectName("unsavedWarning")
        self.unsaved_warning.setWordWrap(True)
        switch = QPushButton("&Log in instead")
        switch.setObjectName("switchUser")
        switch.clicked.connect(self.try_other_user)
        form = QFormLayout(self.switch_box)
        form.addRow("Username", self.other_username)
        form.addRow("Password", self.other_password)
        form.addRow(self.unsaved_warning)
        form.addRow(switch)

        panel = QWidget()
        panel.setMaximumWidth(420)
        column = QVBoxLayout(panel)
        column.addWidget(title)
        column.addWidget(self.password)
        column.addWidget(unlock)
        column.addWidget(self.message)
        column.addSpacing(24)
        column.addWidget(self.switch_box)
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        outer.addWidget(panel, 0, Qt.AlignmentFlag.AlignHCenter)
        outer.addStretch(2)
        self.hide()

    def lock(self, unsaved_changes: bool) -> None:
        self.password.clear()
        self.other_username.clear()
        self.other_password.clear()
        self.message.hide()
        self.unsaved_warning.setText(
            f"{self.actor.full_name} has unsaved changes; they will be discarded."
            if unsaved_changes
            else ""
        )
        self.setGeometry(self.parentWidget().rect())
        self.show()
        self.raise_()
        self.password.setFocus()

    def _fail(self, message: str) -> None:
        self.message.setText(message)
        self.message.show()

    def try_unlock(self) -> None:
        try:
            verify_password(self.actor, self.password.text())
        except UserError as exc:
            self.password.clear()
            self._fail(str(exc))
            return
        self.hide()
        self.unlocked.emit()

    def try_other_user(self) -> None:
        try:
            actor = login(
                self.actor.db,
                self.other_username.text(),
                self.other_password.text(),
                workstation="lock screen",
            )
        except UserError as exc:
            self.other_password.clear()
            self._fail(str(exc))
            return
        if actor.user_id == self.actor.user_id:
            self.hide()
            self.unlocked.emit()
            return
        self.other_user.emit(actor)
