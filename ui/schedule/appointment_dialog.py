"""Booking or editing an appointment: patient, provider, type, time, length, reason, notes,
and for a new one an optional repeat rule. Warnings (double booking, outside hours) show in
the dialog with a field for the reason to book anyway."""

from __future__ import annotations

from datetime import date, datetime

from PySide6.QtCore import QDate, Qt, QTime
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QRadioButton,
    QSpinBox,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from emr.errors import BookingNeedsOverride, UserError, ValidationError
from emr.schedule_rules import MAX_APPOINTMENT_MINUTES, WEEKDAYS
from emr.services.context import Actor
from emr.services.schedule_setup import (
    AppointmentTypeRecord,
    ProviderRecord,
    list_appointment_types,
)
from emr.services.scheduling import (
    AppointmentInput,
    AppointmentRecord,
    Recurrence,
    book_appointment,
    book_series,
    edit_appointment,
)
from ui.style import ERROR_STYLE
from ui.widgets.patient_picker import PatientPicker
from ui.widgets.reason_dialog import WARNING_STYLE


def qdate(d: date) -> QDate:
    return QDate(d.year, d.month, d.day)


class AppointmentDialog(QDialog):
    """New when `appointment` is None. `saved` holds what was booked or changed after accept."""

    def __init__(
        self,
        actor: Actor,
        providers: list[ProviderRecord],
        *,
        provider_id: int,
        starts: datetime,
        appointment: AppointmentRecord | None = None,
        parent=None,
    ) -> None:
        super().__init__(parent)
        self.actor = actor
        self.appointment = appointment
        self.saved: list[AppointmentRecord] = []
        self._types: list[AppointmentTypeRecord] = []
        self.setWindowTitle("Edit appointment" if appointment else "Book appointment")
        self.setObjectName("appointmentDialog")

        self.picker = PatientPicker(actor)
        self.provider = QComboBox()
        for p in providers:
            self.provider.addItem(p.full_name, p.id)
        self.provider.setCurrentIndex(max(0, self.provider.findData(provider_id)))
        self.type = QComboBox()
        self.date = QDateEdit(qdate(starts.date()))
        self.date.setCalendarPopup(True)
        self.date.setDisplayFormat("ddd MM/dd/yyyy")
        self.time = QTimeEdit(QTime(starts.hour, starts.minute))
        self.time.setDisplayFormat("HH:mm")
        self.minutes = QSpinBox()
        self.minutes.setRange(5, MAX_APPOINTMENT_MINUTES)
        self.minutes.setSingleStep(5)
        self.minutes.setSuffix(" min")
        self.reason = QLineEdit()
        self.reason.setMaxLength(200)
        self.notes = QPlainTextEdit()
        self.notes.setTabChangesFocus(True)
        self.notes.setFixedHeight(60)

        form = QFormLayout()
        form.addRow("&Patient", self.picker)
        form.addRow("Pro&vider", self.provider)
        form.addRow("&Type", self.type)
        form.addRow("&Date", self.date)
        form.addRow("Ti&me", self.time)
        form.addRow("&Length", self.minutes)
        form.addRow("&Reason for visit", self.reason)
        form.addRow("N&otes", self.notes)

        self.repeat_box = self._build_repeat(starts.date())
        self.whole_series = QCheckBox("Apply to this and the later visits of the series")
        self.whole_series.setVisible(bool(appointment and appointment.series_id))

        self.warnings = QLabel()
        self.warnings.setObjectName("bookingWarnings")
        self.warnings.setWordWrap(True)
        self.warnings.setStyleSheet(WARNING_STYLE)
        self.override = QLineEdit()
        self.override.setObjectName("overrideReason")
        self.override.setPlaceholderText("Reason to book anyway (kept with the appointment)")
        self.warning_box = QWidget()
        box = QVBoxLayout(self.warning_box)
        box.setContentsMargins(0, 0, 0, 0)
        box.addWidget(self.warnings)
        box.addWidget(self.override)
        self.warning_box.hide()
        self.error = QLabel()
        self.error.setObjectName("bookingError")
        self.error.setWordWrap(True)
        self.error.setStyleSheet(ERROR_STYLE)

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setText("Save appointment" if appointment else "Book")
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        QShortcut(QKeySequence("Ctrl+S"), self, activated=self.save)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.repeat_box)
        layout.addWidget(self.whole_series)
        layout.addWidget(self.warning_box)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

        self.provider.currentIndexChanged.connect(self._load_types)
        self.type.currentIndexChanged.connect(self._type_chosen)
        self._load_types()
        if appointment is not None:
            self._fill(appointment)
            self.repeat_box.hide()
        self.picker.search.setFocus()
        self.resize(520, self.sizeHint().height())

    def _build_repeat(self, first: date) -> QGroupBox:
        group = QGroupBox("Re&peats")
        group.setCheckable(True)
        group.setChecked(False)
        group.setObjectName("repeat")
        self.every_weeks = QSpinBox()
        self.every_weeks.setRange(1, 52)
        self.every_weeks.setPrefix("every ")
        self.every_weeks.setSuffix(" week(s)")
        self.weekday_boxes = [QCheckBox(name[:3]) for name in WEEKDAYS]
        self.weekday_boxes[first.weekday()].setChecked(True)
        days = QHBoxLayout()
        for box in self.weekday_boxes:
            days.addWidget(box)
        self.until_choice = QRadioButton("until")
        self.count_choice = QRadioButton("for")
        self.count_choice.setChecked(True)
        ends = QButtonGroup(group)
        ends.addButton(self.until_choice)
        ends.addButton(self.count_choice)
        self.until = QDateEdit(qdate(first).addMonths(3))
        self.until.setCalendarPopup(True)
        self.until.setDisplayFormat("MM/dd/yyyy")
        self.count = QSpinBox()
        self.count.setRange(1, 200)
        self.count.setValue(6)
        self.count.setSuffix(" visits")
        end_row = QHBoxLayout()
        for widget in (self.count_choice, self.count, self.until_choice, self.until):
            end_row.addWidget(widget)
        end_row.addStretch()
        layout = QVBoxLayout(group)
        layout.addWidget(self.every_weeks)
        layout.addLayout(days)
        layout.addLayout(end_row)
        return group

    def _load_types(self) -> None:
        provider_id = self.provider.currentData()
        current = self.type.currentData()
        self._types = list_appointment_types(self.actor, provider_id)
        self.type.blockSignals(True)
        self.type.clear()
        for t in self._types:
            self.type.addItem(f"{t.name} ({t.default_minutes} min)", t.id)
        self.type.blockSignals(False)
        index = self.type.findData(current)
        self.type.setCurrentIndex(index if index >= 0 else 0)
        self._type_chosen()

    def _type_chosen(self) -> None:
        chosen = next((t for t in self._types if t.id == self.type.currentData()), None)
        if chosen is not None and self.appointment is None:
            self.minutes.setValue(chosen.default_minutes)

    def _fill(self, a: AppointmentRecord) -> None:
        self.picker.lock_to(
            f"{a.patient_name} · born {a.patient_dob:%m/%d/%Y} · MRN {a.patient_mrn}"
        )
        index = self.type.findData(a.type_id)
        if index < 0:  # a retired type stays on the appointments that have it
            self.type.addItem(a.type_name, a.type_id)
            index = self.type.count() - 1
        self.type.setCurrentIndex(index)
        self.minutes.setValue(a.minutes)
        self.reason.setText(a.reason)
        self.notes.setPlainText(a.notes)

    # --- saving -------------------------------------------------------------------------------

    def starts(self) -> datetime:
        d, t = self.date.date(), self.time.time()
        return datetime(d.year(), d.month(), d.day(), t.hour(), t.minute())

    def data(self) -> AppointmentInput:
        patient_id = self.appointment.patient_id if self.appointment else None
        if patient_id is None:
            if self.picker.patient is None:
                raise ValidationError({"patient": "Choose the patient first."})
            patient_id = self.picker.patient.id
        if self.type.currentData() is None:
            raise ValidationError(
                {"type": "There are no appointment types yet: an administrator adds them."}
            )
        return AppointmentInput(
            patient_id=patient_id,
            provider_id=self.provider.currentData(),
            type_id=self.type.currentData(),
            starts=self.starts(),
            minutes=self.minutes.value(),
            reason=self.reason.text(),
            notes=self.notes.toPlainText(),
        )

    def recurrence(self) -> Recurrence | None:
        if self.appointment is not None or not self.repeat_box.isChecked():
            return None
        until = self.until.date()
        return Recurrence(
            weekdays=tuple(i for i, box in enumerate(self.weekday_boxes) if box.isChecked()),
            every_weeks=self.every_weeks.value(),
            until=date(until.year(), until.month(), until.day())
            if self.until_choice.isChecked()
            else None,
            count=self.count.value() if self.count_choice.isChecked() else None,
        )

    def save(self) -> None:
        self.error.clear()
        override = self.override.text() if self.warning_box.isVisible() else ""
        try:
            data = self.data()
            if self.appointment is not None:
                self.saved = edit_appointment(
                    self.actor,
                    self.appointment.id,
                    self.appointment.version,
                    data,
                    override_reason=override,
                    whole_series=self.whole_series.isChecked(),
                )
            elif (recurrence := self.recurrence()) is not None:
                self.saved = book_series(self.actor, data, recurrence, override_reason=override)
            else:
                self.saved = [book_appointment(self.actor, data, override_reason=override)]
        except BookingNeedsOverride as exc:
            asked_before = self.warning_box.isVisible()
            more = len(exc.warnings) - 6
            self.warnings.setText(
                "\n".join(exc.warnings[:6]) + (f"\n… and {more} more." if more > 0 else "")
            )
            self.warning_box.show()
            self.save_button.setText("Book anyway")
            self.override.setFocus()
            if asked_before:
                self.error.setText("Give a reason to book despite the warning, or change the time.")
            return
        except UserError as exc:
            self.error.setText(str(exc))
            return
        self.accept()

    def keyPressEvent(self, event) -> None:  # noqa: N802
        # Enter in a field does not book by accident: the Book button or Ctrl+S does.
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not self.save_button.hasFocus():
            self.focusNextChild()
            return
        super().keyPressEvent(event)
