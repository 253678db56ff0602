"""The registration form: every field of a patient, with each field's problem shown beside it."""

from __future__ import annotations

import logging
from dataclasses import fields
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from emr.errors import ConflictError, NotFound, PossibleDuplicate, UserError, ValidationError
from emr.normalize import try_parse_date
from emr.security.permissions import Permission
from emr.services.context import Actor
from emr.services.patient_photos import (
    get_patient_photo,
    remove_patient_photo,
    set_patient_photo,
)
from emr.services.patients import (
    PatientInput,
    PatientRecord,
    deactivate_patient,
    get_patient,
    register_patient,
    update_patient,
    validate_patient,
)
from ui.patients.appointments_panel import PatientAppointments
from ui.patients.photo_file import FILE_FILTER, PhotoFileProblem, photo_from_file
from ui.patients.search_model import SEX_LABELS
from ui.style import ERROR_STYLE
from ui.widgets.patient_banner import PatientBanner

log = logging.getLogger(__name__)

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


NOTES = "Front-desk notes"
# The desk's most used sections (insurance, notes) head the second column, where they show
# without scrolling.
COLUMN_SECTIONS = (("Identity", "Contact"), ("Insurance", NOTES, "Emergency contact"))
SECTION_NAMES = {
    "Identity": "identitySection",
    "Contact": "contactSection",
    "Emergency contact": "emergencyContactSection",
    "Insurance": "insuranceSection",
    NOTES: "frontDeskNotesSection",
}
NOTES_STYLE = "QPlainTextEdit { background: #fffbe6; }"


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
        self.photo_dialog: QFileDialog | None = None

        self.title = QLabel()
        self.title.setObjectName("formTitle")
        self.title.setStyleSheet("font-size: 16pt; font-weight: bold;")
        self.summary = QLabel()
        self.summary.setObjectName("formSummary")
        self.summary.setStyleSheet(ERROR_STYLE)
        self.summary.setWordWrap(True)

        self.banner = PatientBanner()
        self.photo_button = QPushButton("Choose p&hoto…")
        self.photo_button.setObjectName("choosePhoto")
        self.photo_button.setToolTip("Take the patient's photo for the banner from a picture file")
        self.photo_button.clicked.connect(self.choose_photo)
        self.remove_photo_button = QPushButton("Remove photo")
        self.remove_photo_button.setObjectName("removePhoto")
        self.remove_photo_button.clicked.connect(self.remove_photo)
        photo_buttons = QVBoxLayout()
        photo_buttons.addWidget(self.photo_button)
        photo_buttons.addWidget(self.remove_photo_button)
        photo_buttons.addStretch(1)
        self.header = QWidget()
        header = QHBoxLayout(self.header)
        header.setContentsMargins(0, 0, 0, 0)
        header.addWidget(self.banner, 1)
        header.addLayout(photo_buttons)
        self.header.hide()  # until a patient is shown
        self._photo: bytes | None = None

        self.sections: dict[str, QGroupBox] = {}
        body = QWidget()
        columns = QHBoxLayout(body)
        for titles in COLUMN_SECTIONS:
            column = QVBoxLayout()
            for title in titles:
                column.addWidget(self._section(title))
            column.addStretch(1)
            columns.addLayout(column, 1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)

        self.appointments = PatientAppointments(actor)
        self.appointments_box = QGroupBox("Appointments")
        self.appointments_box.setObjectName("appointmentsSection")
        QVBoxLayout(self.appointments_box).addWidget(self.appointments)
        self.shows_appointments = actor.can(Permission.SCHEDULE_READ)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(scroll)
        self.splitter.addWidget(self.appointments_box)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([620, 540])  # room for the visits' status and cancel reason
        self.splitter.setChildrenCollapsible(False)

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
        layout.addWidget(self.header)
        layout.addWidget(self.summary)
        layout.addWidget(self.splitter, 1)
        layout.addLayout(buttons)

    # --- building -----------------------------------------------------------------------------

    def _section(self, title: str) -> QGroupBox:
        box = QGroupBox(title)
        box.setObjectName(SECTION_NAMES[title])
        self.sections[title] = box
        if title == NOTES:
            notes = QPlainTextEdit()
            notes.setObjectName("front_desk_notes")
            notes.setTabChangesFocus(True)
            notes.setMaximumHeight(90)
            notes.setPlaceholderText("For the front desk: preferences, reminders, what to ask")
            notes.setStyleSheet(NOTES_STYLE)
            self.editors["front_desk_notes"] = notes
            column = QVBoxLayout(box)
            column.addWidget(notes)
            column.addWidget(self._error_label("front_desk_notes"))
            return box
        form = QFormLayout(box)
        for name, label in dict(GROUPS)[title]:
            form.addRow(label, self._field(name))
        return box

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
        self._photo = None
        self._fill(None)
        self.title.setText("New patient")
        self.title.show()
        self.header.hide()
        self.banner.clear()
        self.appointments.clear()
        self.appointments_box.hide()
        self.deactivate_button.hide()
        self.editors["family_name"].setFocus()

    def load(self, record: PatientRecord) -> None:
        """Show a patient: registration, banner with photo, appointments."""
        try:
            self._photo = get_patient_photo(self.actor, record.id)
        except UserError as exc:
            log.warning("photo of patient %s not shown: %s", record.id, type(exc).__name__)
            self._photo = None
        self._show_record(record)
        if self.shows_appointments:
            self.appointments.show_patient(record.id)

    def _show_record(self, record: PatientRecord) -> None:
        self.record = record
        self._fill(record.to_input())
        status = "" if record.active else f" — INACTIVE ({record.deactivation_reason})"
        # The banner says who this is; the title's text stays for the window's smoke run.
        self.title.setText(f"{record.display_name} — MRN {record.mrn}{status}")
        self.title.hide()
        self.banner.set_patient(record, self._photo)
        self.header.show()
        self._show_photo_buttons()
        self.appointments_box.setVisible(self.shows_appointments)
        self.deactivate_button.setVisible(record.active)
        self.editors["family_name"].setFocus()

    def _show_photo_buttons(self) -> None:
        may_change = self.record is not None and self.actor.can(Permission.PATIENT_WRITE)
        self.photo_button.setVisible(may_change)
        self.photo_button.setText("Change p&hoto…" if self._photo else "Choose p&hoto…")
        self.remove_photo_button.setVisible(may_change and self._photo is not None)

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
        if self.record is None:
            self.load(record)  # newly registered: shows the banner, no photo, no visits yet
        else:
            self._show_record(record)
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
        self._show_record(record)
        self.saved.emit(record)

    # --- photo --------------------------------------------------------------------------------

    def choose_photo(self) -> None:
        if self.photo_dialog is None:
            self.photo_dialog = QFileDialog(
                self, "Choose the patient's photo", str(Path.home()), FILE_FILTER
            )
            self.photo_dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
            self.photo_dialog.fileSelected.connect(self.load_photo)
        self.photo_dialog.open()  # window-modal: the answer arrives through fileSelected

    def load_photo(self, path: str | Path) -> bool:
        """Make the picture in this file the patient's photo; False (and why) if it cannot be."""
        if self.record is None:
            return False
        try:
            photo = photo_from_file(Path(path))
            set_patient_photo(self.actor, self.record.id, photo)
        except (PhotoFileProblem, UserError) as exc:
            self.summary.setText(f"Photo not saved: {exc}")
            return False
        self._photo = photo
        self.summary.setText("")
        self.banner.set_patient(self.record, photo)
        self._show_photo_buttons()
        return True

    def remove_photo(self) -> None:
        if self.record is None or self._photo is None:
            return
        answer = QMessageBox.question(
            self, "Remove photo", f"Remove the photo of {self.record.display_name}?"
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        try:
            remove_patient_photo(self.actor, self.record.id)
        except NotFound:
            pass  # removed meanwhile at another workstation: the result is the same
        except UserError as exc:
            self.summary.setText(f"Photo not removed: {exc}")
            return
        self._photo = None
        self.banner.set_patient(self.record, None)
        self._show_photo_buttons()

    def close_form(self) -> None:
        self.closed.emit()
