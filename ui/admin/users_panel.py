"""User accounts: the list, a new user, disabling one and resetting a forgotten password."""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from emr.errors import UserError, ValidationError
from emr.security.passwords import check_password_rules
from emr.security.permissions import ROLE_LABELS, Role
from emr.services.context import Actor
from emr.services.users import (
    UserRecord,
    create_user,
    disable_user,
    list_users,
    reset_password,
)
from ui.widgets.field_errors import FieldErrors
from ui.widgets.record_table import RecordTableModel


def role_label(role: str) -> str:
    return ROLE_LABELS[Role(role)] if role in {r.value for r in Role} else role


def account_status(user: UserRecord, now: datetime | None = None) -> str:
    if not user.active:
        return "Disabled"
    now = now or datetime.now(UTC)
    if user.locked_until is not None and user.locked_until > now:
        return f"Locked until {user.locked_until.astimezone():%H:%M}"
    return "Active"


def _password_editor(name: str) -> QLineEdit:
    editor = QLineEdit()
    editor.setObjectName(name)
    editor.setEchoMode(QLineEdit.EchoMode.Password)
    return editor


def _password_problems(password: str, again: str) -> dict[str, str]:
    problems: dict[str, str] = {}
    try:
        check_password_rules(password)
    except ValidationError as exc:
        problems |= exc.field_errors
    if password != again:
        problems["password_again"] = "The two passwords differ."
    return problems


class ResetPasswordDialog(QDialog):
    """An administrator gives a user a new password; the user must change it at next login."""

    def __init__(self, actor: Actor, user: UserRecord, parent=None) -> None:
        super().__init__(parent)
        self.actor = actor
        self.user = user
        self.setWindowTitle(f"Reset the password of {user.username}")
        self.field_errors = FieldErrors()
        self.password = _password_editor("password")
        self.password_again = _password_editor("password_again")
        form = QFormLayout()
        for text, name, editor in (
            ("&New password", "password", self.password),
            ("&Repeat it", "password_again", self.password_again),
        ):
            holder = self.field_errors.wrap(name, editor)
            label = QLabel(text)
            label.setBuddy(editor)
            form.addRow(label, holder)
        note = QLabel(
            f"{user.full_name} must choose a new password at the next login; "
            "a lock after failed attempts is lifted."
        )
        note.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.save_button.setText("&Reset password")
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(note)
        layout.addWidget(self.field_errors.summary)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        self.password.setFocus()

    def save(self) -> None:
        problems = _password_problems(self.password.text(), self.password_again.text())
        if problems:
            self.field_errors.show(problems)
            return
        try:
            reset_password(self.actor, self.user.username, self.password.text())
        except ValidationError as exc:
            self.field_errors.show(exc.field_errors)
            return
        except UserError as exc:
            self.field_errors.show({"": f"Not reset: {exc}"})
            return
        self.accept()


class NewUserForm(QGroupBox):
    """The fields of a new account; the prescriber's numbers only for a physician."""

    def __init__(self, parent=None) -> None:
        super().__init__("New user", parent)
        self.field_errors = FieldErrors()
        self.editors: dict[str, QLineEdit] = {}
        self.role = QComboBox()
        self.role.setObjectName("role")
        self.role.addItem("(choose a role)", "")
        for role, label in ROLE_LABELS.items():
            self.role.addItem(label, role.value)
        self.role.currentIndexChanged.connect(self._role_chosen)
        for name in ("username", "full_name", "npi", "dea_number", "state_licence"):
            editor = QLineEdit()
            editor.setObjectName(name)
            self.editors[name] = editor
        self.editors["username"].setPlaceholderText("lower-case, e.g. jsmith")
        self.editors["npi"].setPlaceholderText("10 digits")
        self.editors["dea_number"].setPlaceholderText("e.g. AB1234563")
        self.password = _password_editor("password")
        self.password_again = _password_editor("password_again")
        self.create_button = QPushButton("&Create user")
        self.create_button.setObjectName("create_user")

        form = QFormLayout()
        self.prescriber_rows: list[tuple[QLabel, QWidget]] = []
        for text, name, editor in (
            ("&Username", "username", self.editors["username"]),
            ("&Full name", "full_name", self.editors["full_name"]),
            ("R&ole", "role", self.role),
            ("Pass&word", "password", self.password),
            ("Repea&t password", "password_again", self.password_again),
            ("&NPI", "npi", self.editors["npi"]),
            ("D&EA number", "dea_number", self.editors["dea_number"]),
            ("State &licence", "state_licence", self.editors["state_licence"]),
        ):
            holder = self.field_errors.wrap(name, editor)
            label = QLabel(text)
            label.setBuddy(editor)
            form.addRow(label, holder)
            if name in ("npi", "dea_number", "state_licence"):
                self.prescriber_rows.append((label, holder))
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.create_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.field_errors.summary)
        layout.addLayout(form)
        layout.addLayout(buttons)
        self._role_chosen()

    def _role_chosen(self) -> None:
        prescriber = self.role.currentData() == Role.PHYSICIAN.value
        for label, holder in self.prescriber_rows:
            label.setVisible(prescriber)
            holder.setVisible(prescriber)

    def values(self) -> dict[str, str | None]:
        prescriber = self.role.currentData() == Role.PHYSICIAN.value
        return {
            "username": self.editors["username"].text(),
            "full_name": self.editors["full_name"].text(),
            "role": self.role.currentData(),
            "password": self.password.text(),
            **{
                name: self.editors[name].text() if prescriber else None
                for name in ("npi", "dea_number", "state_licence")
            },
        }

    def clear(self) -> None:
        for editor in (*self.editors.values(), self.password, self.password_again):
            editor.clear()
        self.role.setCurrentIndex(0)
        self.field_errors.clear()


class UsersPanel(QWidget):
    def __init__(self, actor: Actor, parent=None) -> None:
        super().__init__(parent)
        self.actor = actor
        self.reset_dialog: ResetPasswordDialog | None = None
        self.model = RecordTableModel(
            [
                ("Username", lambda u: u.username),
                ("Full name", lambda u: u.full_name),
                ("Role", lambda u: role_label(u.role)),
                ("Status", account_status),
                ("NPI", lambda u: u.npi),
                ("DEA", lambda u: u.dea_number),
                ("Licence", lambda u: u.state_licence),
            ],
            self,
            foreground=lambda u: None if u.active else QColor("#777777"),
        )
        self.table = QTableView()
        self.table.setObjectName("users")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().hide()
        self.table.selectionModel().selectionChanged.connect(self._user_selected)
        self.disable_button = QPushButton("&Disable…")
        self.disable_button.setObjectName("disable_user")
        self.disable_button.clicked.connect(self.disable_selected)
        self.reset_button = QPushButton("Reset &password…")
        self.reset_button.setObjectName("reset_password")
        self.reset_button.clicked.connect(self.reset_selected)
        self.status = QLabel()
        self.status.setObjectName("users_status")
        self.status.setWordWrap(True)
        self.form = NewUserForm()
        self.form.create_button.clicked.connect(self.create)
        for editor in (*self.form.editors.values(), self.form.password, self.form.password_again):
            editor.returnPressed.connect(self.create)

        list_buttons = QHBoxLayout()
        list_buttons.addWidget(self.disable_button)
        list_buttons.addWidget(self.reset_button)
        list_buttons.addWidget(self.status, 1)
        left = QVBoxLayout()
        left.addWidget(self.table, 1)
        left.addLayout(list_buttons)
        layout = QHBoxLayout(self)
        layout.addLayout(left, 3)
        layout.addWidget(self.form, 2, Qt.AlignmentFlag.AlignTop)
        self._user_selected()

    def reload(self, select_username: str | None = None) -> None:
        users = list_users(self.actor)
        self.model.set_rows(users)
        for row, user in enumerate(users):
            if user.username == select_username:
                self.table.selectRow(row)
        self._user_selected()

    def selected_user(self) -> UserRecord | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.record_at(rows[0].row()) if rows else None

    def _user_selected(self) -> None:
        user = self.selected_user()
        self.disable_button.setEnabled(
            user is not None and user.active and user.id != self.actor.user_id
        )
        self.reset_button.setEnabled(user is not None)

    def create(self) -> None:
        values = self.form.values()
        problems = _password_problems(str(values["password"]), self.form.password_again.text())
        if problems:
            self.form.field_errors.show(problems)
            return
        try:
            user = create_user(self.actor, **values)  # type: ignore[arg-type]
        except ValidationError as exc:
            self.form.field_errors.show(exc.field_errors)
            return
        except UserError as exc:
            self.form.field_errors.show({"": f"Not created: {exc}"})
            return
        self.form.clear()
        self.reload(user.username)
        self.status.setText(f"Created {user.username} ({role_label(user.role)}).")
        self.form.editors["username"].setFocus()

    def disable_selected(self) -> None:
        user = self.selected_user()
        if user is None:
            return
        answer = QMessageBox.question(
            self,
            "Disable user",
            f"Disable {user.full_name} ({user.username})? They can no longer log in; "
            "everything they recorded stays.",
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        try:
            disable_user(self.actor, user.username)
        except UserError as exc:
            self.status.setText(f"Not disabled: {exc}")
            return
        self.reload(user.username)
        self.status.setText(f"Disabled {user.username}.")

    def reset_selected(self) -> ResetPasswordDialog | None:
        user = self.selected_user()
        if user is None:
            return None
        dialog = ResetPasswordDialog(self.actor, user, self)
        dialog.accepted.connect(lambda: self._password_reset(user.username))
        self.reset_dialog = dialog
        dialog.open()
        return dialog

    def _password_reset(self, username: str) -> None:
        self.reload(username)
        self.status.setText(f"New password set for {username}; it must be changed at login.")
