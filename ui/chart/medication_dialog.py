"""Adding or correcting a medication on the list, and stopping one with its reason. Both
dialogs save through the service themselves and close only when it accepted; open with open().
"""

from __future__ import annotations

from datetime import date

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from emr.errors import UserError, ValidationError
from emr.services.context import Actor
from emr.services.medications import (
    COMMON_FREQUENCIES,
    COMMON_ROUTES,
    COMMON_STOP_REASONS,
    SOURCES,
    MedicationRecord,
    add_medication,
    stop_medication,
    update_medication,
)
from ui.widgets.date_field import DateField
from ui.widgets.field_errors import error_label
from ui.widgets.shortcuts import add_save_shortcut


def editable_combo(choices: tuple[str, ...] | list[str], text: str = "") -> QComboBox:
    """A combo box offering common answers that also keeps any text typed."""
    combo = QComboBox()
    combo.setEditable(True)
    combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
    combo.addItems(list(choices))
    combo.setEditText(text)
    return combo


class SavingDialog(QDialog):
    """A form that calls a service on Save (or Ctrl+S) and shows what it refused in red,
    moving the focus to the first field in error; it closes only when saved."""

    def __init__(self, title: str, save_text: str, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.fields: dict[str, QWidget] = {}
        self.form = QFormLayout()
        self.error = error_label("dialogError")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setText(save_text)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        add_save_shortcut(self, self.save)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)

    def add_field(self, label: str, field: str, widget: QWidget) -> QWidget:
        self.form.addRow(label, widget)
        self.fields[field] = widget
        return widget

    def save(self) -> None:
        self.error.clear()
        try:
            self.submit()
        except ValidationError as exc:
            self.error.setText(str(exc))
            first = next((self.fields[f] for f in exc.field_errors if f in self.fields), None)
            if first is not None:
                first.setFocus()
            return
        except UserError as exc:
            self.error.setText(str(exc))
            return
        self.accept()

    def submit(self) -> None:
        raise NotImplementedError


class MedicationDialog(SavingDialog):
    """Add a medication (when `medication` is None) or correct one; `saved` after accept."""

    def __init__(
        self,
        actor: Actor,
        patient_id: int,
        medication: MedicationRecord | None = None,
        parent=None,
    ) -> None:
        super().__init__(
            "Edit medication" if medication else "Add medication",
            "Save" if medication else "Add",
            parent,
        )
        self.setObjectName("medicationDialog")
        self.actor = actor
        self.patient_id = patient_id
        self.medication = medication
        self.saved: MedicationRecord | None = None
        m = medication
        self.name = QLineEdit(m.name if m else "")
        self.name.setMaxLength(200)
        self.name.setPlaceholderText("Medication and strength, e.g. metformin 500 mg tablet")
        self.dose = QLineEdit(m.dose if m else "")
        self.dose.setMaxLength(60)
        self.dose.setPlaceholderText("e.g. 1 tablet, 10 units")
        self.route = editable_combo(COMMON_ROUTES, m.route if m else "")
        self.frequency = editable_combo(COMMON_FREQUENCIES, m.frequency if m else "")
        self.instructions = QPlainTextEdit(m.instructions if m else "")
        self.instructions.setTabChangesFocus(True)
        self.instructions.setFixedHeight(60)
        self.reason = QLineEdit(m.reason if m else "")
        self.reason.setMaxLength(200)
        self.reason.setPlaceholderText("What it is for")
        self.started_on = DateField(m.started_on if m else None, field="started_on")
        self.started_on.setPlaceholderText("MM/DD/YYYY, empty when not known")
        self.source = QComboBox()
        for key, label in SOURCES.items():
            self.source.addItem(label, key)
        self.source.setCurrentIndex(max(0, self.source.findData(m.source if m else "elsewhere")))
        self.add_field("&Name", "name", self.name)
        self.add_field("&Dose", "dose", self.dose)
        self.add_field("&Route", "route", self.route)
        self.add_field("&Frequency", "frequency", self.frequency)
        self.add_field("&Instructions", "instructions", self.instructions)
        self.add_field("Reas&on", "reason", self.reason)
        self.add_field("S&tarted", "started_on", self.started_on)
        self.add_field("So&urce", "source", self.source)
        self.name.setFocus()
        self.resize(480, self.sizeHint().height())

    def submit(self) -> None:
        details = dict(
            name=self.name.text(),
            dose=self.dose.text(),
            route=self.route.currentText(),
            frequency=self.frequency.currentText(),
            instructions=self.instructions.toPlainText(),
            reason=self.reason.text(),
            started_on=self.started_on.value(),
            source=self.source.currentData(),
        )
        m = self.medication
        if m is None:
            self.saved = add_medication(self.actor, self.patient_id, **details)
        else:
            self.saved = update_medication(self.actor, m.id, m.version, rxnorm=m.rxnorm, **details)


class StopMedicationDialog(SavingDialog):
    """When and why a medication was stopped; `saved` after accept."""

    def __init__(self, actor: Actor, medication: MedicationRecord, parent=None) -> None:
        super().__init__("Stop medication", "Stop", parent)
        self.setObjectName("stopMedicationDialog")
        self.actor = actor
        self.medication = medication
        self.saved: MedicationRecord | None = None
        what = QLabel(f"Stop <b>{medication.name}</b> {medication.sig}".strip())
        what.setWordWrap(True)
        self.form.addRow(what)
        self.stopped_on = DateField(date.today(), field="stopped_on")
        self.stop_reason = editable_combo(COMMON_STOP_REASONS)
        self.stop_reason.lineEdit().setPlaceholderText("Why it was stopped")
        self.add_field("Stopped &on", "stopped_on", self.stopped_on)
        self.add_field("&Reason", "stop_reason", self.stop_reason)
        self.stop_reason.setFocus()

    def submit(self) -> None:
        m = self.medication
        self.saved = stop_medication(
            self.actor, m.id, m.version, self.stopped_on.value(), self.stop_reason.currentText()
        )
