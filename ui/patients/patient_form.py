"""The registration form: every field of a patient, with each field's problem shown beside it."""

from __future__ import annotations

from dataclasses import fields

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from emr.errors import ConflictError, PossibleDuplicate, UserError, ValidationError
from emr.normalize import try_parse_date
from emr.services.context import Actor
from emr.services.patients import (
    PatientInput,
    PatientRecord,
    deactivate_patient,
    get_patient,
    register_patient,
    update_patient,
    validate_patient,
)
from ui.patients.search_model import SEX_LABELS
from ui.style import ERROR_STYLE

GROUPS: list[tuple[str, list[tuple[str, str]]]] = [
    (
        "Identity",
        [
            ("family_name", "&Family name"),
            ("given_name", "&Given name"),
            ("middle_name", "&Middle name"),
            ("date_of_birth", "&Date of birth"),
            ("sex", "Se&x"),
            ("gender_identity", "Gender identity"),
        ],
    ),
    (
        "Contact",
        [
            ("address_line1", "Address"),
            ("address_line2", "Address line 2"),
            ("city", "City"),
            ("state", "State"),
            ("postal_code", "Postal code"),
            ("country", "Country"),
            ("phone_mobile", "Mobile phone"),
            ("phone_home", "Home phone"),
            ("phone_work", "Work phone"),
            ("email", "E-mail"),
            ("preferred_language", "Preferred language"),
        ],
    ),
    (
        "Emergency contact",
        [
            ("emergency_contact_name", "Name"),
            ("emergency_contact_relationship", "Relationship"),
            ("emergency_contact_phone", "Phone"),
        ],
    ),
    (
        "Insurance",
        [
            ("insurance_payer", "Payer"),
            ("insurance_member_id", "Member id"),
            ("insurance_group", "Group"),
            ("insurance_subscriber_name", "Subscriber"),
            ("insurance_subscriber_relationship", "Relationship"),
        ],
    ),
]


class PatientForm(QWidget):
    """Registers a new patient or edits one; emits `closed` when the user is done."""

    saved = Signal(object)  # PatientRecord
    closed = Signal()

    def __init__(self, actor: Actor, parent=None) -> None:
        super().__init__(parent)
        self.actor = actor
        self.record: PatientRecord | None = None
        self.editors: dict[str, QWidget] = {}
        self.errors: dict[str, QLabel] = {}
        self._loaded: PatientInput | None = None

        self.title = QLabel()
        self.title.setObjectName("formTitle")
        self.title.setStyleSheet("font-size: 16pt; font-weight: bold;")
        self.summary = QLabel()
        self.summary.setObjectName("formSummary")
        self.summary.setStyleSheet(ERROR_STYLE)
        self.summary.setWordWrap(True)

        body = QWidget()
        grid = QGridLayout(body)
        for index, (title, items) in enumerate(GROUPS):
            box = QGroupBox(title)
            form = QFormLayout(box)
            for name, label in items:
                form.addRow(label, self._field(name))
            grid.addWidget(box, index // 2, index % 2, Qt.AlignmentFlag.AlignTop)
        notes_box = QGroupBox("Front-desk notes")
        notes_layout = QVBoxLayout(notes_box)
        notes = QPlainTextEdit()
        notes.setObjectName("front_desk_notes")
        notes.setTabChangesFocus(True)
        notes.setMaximumHeight(90)
        self.editors["front_desk_notes"] = notes
        notes_layout.addWidget(notes)
        notes_layout.addWidget(self._error_label("front_desk_notes"))
        grid.addWidget(notes_box, 2, 0, 1, 2)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)

        self.save_button = QPushButton("&Save")
        self.save_button.setObjectName("save")
        self.save_button.clicked.connect(self.save)
        self.save_button.setToolTip("Save (Ctrl+S)")
        save_key = QShortcut(QKeySequence.StandardKey.Save, self, activated=self.save)
        save_key.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.cancel_button = QPushButton("&Back to search")
        self.cancel_button.setObjectName("back")
        self.cancel_button.clicked.connect(self.close_form)
        self.deactivate_button = QPushButton("De&activate…")
        self.deactivate_button.setObjectName("deactivate")
        self.deactivate_button.clicked.connect(self.deactivate)
        buttons = QHBoxLayout()
        buttons.addWidget(self.deactivate_button)
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.save_button)

        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.summary)
        layout.addWidget(scroll, 1)
        layout.addLayout(buttons)

    # --- building -----------------------------------------------------------------------------

    def _error_label(self, name: str) -> QLabel:
        label = QLabel()
        label.setObjectName(f"error_{name}")
        label.setStyleSheet(ERROR_STYLE)
        label.setWordWrap(True)
        label.hide()
        self.errors[name] = label
        return label

    def _field(self, name: str) -> QWidget:
        if name == "sex":
            editor = QComboBox()
            editor.addItem("", "")
            for code, label in SEX_LABELS.items():
                editor.addItem(f"{label} ({code})", code)
        else:
            editor = QLineEdit()
            if name == "date_of_birth":
                editor.setPlaceholderText("e.g. 1984-03-07 or 03/07/1984")
        editor.setObjectName(name)
        self.editors[name] = editor
        holder = QWidget()
        column = QVBoxLayout(holder)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(1)
        column.addWidget(editor)
        column.addWidget(self._error_label(name))
        return holder

    # --- showing ------------------------------------------------------------------------------

    def start_new(self) -> None:
        self.record = None
        self._fill(None)
        self.title.setText("New patient")
        self.deactivate_button.hide()
        self.editors["family_name"].setFocus()

    def load(self, record: PatientRecord) -> None:
        self.record = record
        self._fill(record.to_input())
        status = "" if record.active else f" — INACTIVE ({record.deactivation_reason})"
        self.title.setText(f"{record.display_name} — MRN {record.mrn}{status}")
        self.deactivate_button.setVisible(record.active)
        self.editors["family_name"].setFocus()

    def _fill(self, data: PatientInput | None) -> None:
        self._show_errors({})
        for name, editor in self.editors.items():
            value = getattr(data, name) if data else ""
            if name == "date_of_birth":
                value = value.isoformat() if value else ""
            if isinstance(editor, QComboBox):
                editor.setCurrentIndex(max(0, editor.findData(value or "")))
            elif isinstance(editor, QPlainTextEdit):
                editor.setPlainText(value or "")
            else:
                editor.setText(value or "")
        self._loaded = self._read()[0]

    # --- reading and saving -------------------------------------------------------------------

    def _text(self, name: str) -> str:
        editor = self.editors[name]
        if isinstance(editor, QComboBox):
            return editor.currentData() or ""
        if isinstance(editor, QPlainTextEdit):
            return editor.toPlainText()
        return editor.text()

    def _read(self) -> tuple[PatientInput, dict[str, str]]:
        problems: dict[str, str] = {}
        values: dict[str, object] = {}
        for f in fields(PatientInput):
            if f.name == "date_of_birth":
                typed = self._text("date_of_birth").strip()
                values[f.name] = try_parse_date(typed) if typed else None
                if typed and values[f.name] is None:
                    problems[f.name] = "Not a date: type it as 1984-03-07, 03/07/1984 or 7.3.1984."
            else:
                values[f.name] = self._text(f.name)
        return PatientInput(**values), problems  # type: ignore[arg-type]

    def has_unsaved_changes(self) -> bool:
        return self._read()[0] != self._loaded

    def _show_errors(self, field_errors: dict[str, str]) -> None:
        first: QWidget | None = None
        for name, label in self.errors.items():
            message = field_errors.get(name, "")
            label.setText(message)
            label.setVisible(bool(message))
            if message and first is None:
                first = self.editors[name]
        self.summary.setText(field_errors.get("", ""))
        if first is not None:
            first.setFocus()

    def save(self) -> None:
        data, problems = self._read()
        if problems:  # show the service's findings for the other fields at the same time
            try:
                validate_patient(data)
            except ValidationError as exc:
                problems = exc.field_errors | problems
            self._show_errors(problems)
            return
        try:
            if self.record is None:
                record = self._register(data)
                if record is None:
                    return
            else:
                record = update_patient(self.actor, self.record.id, self.record.version, data)
        except ValidationError as exc:
            self._show_errors(exc.field_errors)
            return
        except ConflictError as exc:
            self._conflict(str(exc))
            return
        except UserError as exc:
            QMessageBox.warning(self, "Not saved", str(exc))
            return
        self.load(record)
        self.saved.emit(record)

    def _register(self, data: PatientInput) -> PatientRecord | None:
        try:
            return register_patient(self.actor, data)
        except PossibleDuplicate as exc:
            listing = "\n".join(
                f"  {m.display_name}, born {m.date_of_birth.isoformat()}, MRN {m.mrn}"
                for m in exc.matches
            )
            box = QMessageBox(self)
            box.setIcon(QMessageBox.Icon.Warning)
            box.setWindowTitle("Possible duplicate")
            box.setText(f"{exc}\n\n{listing}")
            anyway = box.addButton("Register anyway", QMessageBox.ButtonRole.AcceptRole)
            box.addButton(QMessageBox.StandardButton.Cancel)
            box.exec()
            if box.clickedButton() is not anyway:
                return None
            return register_patient(self.actor, data, allow_duplicate=True)

    def _conflict(self, message: str) -> None:
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle("Changed by someone else")
        box.setText(message)
        reload = box.addButton("Reload", QMessageBox.ButtonRole.AcceptRole)
        box.addButton("Keep editing", QMessageBox.ButtonRole.RejectRole)
        box.exec()
        if box.clickedButton() is reload and self.record is not None:
            self.load(get_patient(self.actor, self.record.id))

    def deactivate(self) -> None:
        if self.record is None:
            return
        reason, ok = QInputDialog.getText(
            self, "Deactivate patient", "Why is this registration deactivated?"
        )
        if not ok:
            return
        try:
            record = deactivate_patient(self.actor, self.record.id, self.record.version, reason)
        except ConflictError as exc:
            self._conflict(str(exc))
            return
        except UserError as exc:
            QMessageBox.warning(self, "Not deactivated", str(exc))
            return
        self.load(record)
        self.saved.emit(record)

    def close_form(self) -> None:
        self.closed.emit()
