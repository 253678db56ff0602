"""Adding or editing one problem: the ICD-10-CM picker, onset, status, date resolved, notes.
Opened with open() (the note editor opens it for "Diagnosis…"); Ctrl+S saves; after it is
accepted `saved` holds the problem as saved."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
)

from emr.errors import UserError, ValidationError
from emr.services.context import Actor
from emr.services.problems import STATUS_LABELS, ProblemRecord, add_problem, update_problem
from ui.chart.icd10_picker import Icd10Picker
from ui.widgets.date_field import DateField, read_dates
from ui.widgets.field_errors import FieldErrors
from ui.widgets.shortcuts import add_save_shortcut


class ProblemDialog(QDialog):
    def __init__(
        self,
        actor: Actor,
        patient_id: int,
        encounter_id: int | None = None,
        problem: ProblemRecord | None = None,
        parent=None,
    ) -> None:
        super().__init__(parent)
        self.actor = actor
        self.patient_id = patient_id
        self.encounter_id = encounter_id
        self.problem = problem
        self.saved: ProblemRecord | None = None
        self.setObjectName("problemDialog")
        self.setWindowTitle("Edit problem" if problem else "Add problem")
        self.field_errors = FieldErrors()
        self.picker = Icd10Picker()
        self.onset = DateField(problem.onset if problem else None)
        self.onset.setObjectName("onset")
        self.status = QComboBox()
        self.status.setObjectName("status")
        for value, label in STATUS_LABELS.items():
            self.status.addItem(label, value)
        self.resolved_on = DateField(problem.resolved_on if problem else None)
        self.resolved_on.setObjectName("resolved_on")
        self.resolved_on.setPlaceholderText("MM/DD/YYYY (today if empty)")
        self.notes = QPlainTextEdit(problem.notes if problem else "")
        self.notes.setObjectName("notes")
        self.notes.setTabChangesFocus(True)
        self.notes.setMaximumHeight(90)
        if problem:
            self.picker.set_code(problem.icd10_code)
            self.status.setCurrentIndex(self.status.findData(problem.status))
        self.status.currentIndexChanged.connect(self._status_changed)
        self._status_changed()

        form = QFormLayout()
        for text, name, editor in (
            ("&Diagnosis (ICD-10-CM)", "icd10_code", self.picker),
            ("&Onset", "onset", self.onset),
            ("&Status", "status", self.status),
            ("&Resolved on", "resolved_on", self.resolved_on),
            ("&Notes", "notes", self.notes),
        ):
            label = QLabel(text)
            label.setBuddy(editor)
            form.addRow(label, self.field_errors.wrap(name, editor))
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setAutoDefault(False)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        add_save_shortcut(self, self.save)
        layout = QVBoxLayout(self)
        layout.addWidget(self.field_errors.summary)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        self.resize(640, 480)
        self.picker.setFocus()

    def _status_changed(self) -> None:
        self.resolved_on.setEnabled(self.status.currentData() == "resolved")

    def save(self) -> None:
        problems: dict[str, str] = {}
        if self.picker.code is None:
            problems["icd10_code"] = self.picker.message.text() or (
                "Search for the diagnosis and choose a billable code."
            )
        dates = read_dates({"onset": self.onset, "resolved_on": self.resolved_on}, problems)
        if problems:
            self.field_errors.show(problems)
            return
        status = self.status.currentData()
        notes = self.notes.toPlainText()
        try:
            if self.problem is None:
                self.saved = add_problem(
                    self.actor,
                    self.patient_id,
                    self.picker.code or "",
                    onset=dates["onset"],
                    status=status,
                    notes=notes,
                    encounter_id=self.encounter_id,
                    resolved_on=dates["resolved_on"],
                )
            else:
                self.saved = update_problem(
                    self.actor,
                    self.problem.id,
                    self.problem.version,
                    status=status,
                    onset=dates["onset"],
                    notes=notes,
                    resolved_on=dates["resolved_on"],
                    # Only a changed code is checked again (an imported one may be older).
                    icd10_code=None
                    if self.picker.code == self.problem.icd10_code
                    else self.picker.code,
                )
        except ValidationError as exc:
            self.field_errors.show(exc.field_errors)
            return
        except UserError as exc:
            self.field_errors.show({"": exc.message})
            return
        self.accept()
