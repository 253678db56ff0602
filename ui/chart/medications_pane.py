"""The chart's Medications tab: what the patient takes now, and below it what they took, with
the stop date and reason. Add, correct, stop, or mark a medication entered in error."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
)

from emr.errors import UserError
from emr.security.permissions import Permission
from emr.services.context import Actor
from emr.services.medications import (
    MedicationRecord,
    list_medications,
    mark_medication_entered_in_error,
)
from ui.chart.common import ChartTableModel, day
from ui.chart.medication_dialog import MedicationDialog, StopMedicationDialog
from ui.chart.pane import ChartPane
from ui.widgets.record_table import Column, record_table

CURRENT_COLUMNS: list[Column] = [
    ("Medication", lambda m: m.name),
    ("Dose, route, frequency", lambda m: m.sig),
    ("For", lambda m: m.reason),
    ("Started", lambda m: day(m.started_on)),
    ("Stops", lambda m: day(m.stopped_on)),
    ("Source", lambda m: m.source_label),
    ("Instructions", lambda m: m.instructions.replace("\n", " ")),
]
PAST_COLUMNS: list[Column] = [
    ("Medication", lambda m: m.name),
    ("Dose, route, frequency", lambda m: m.sig),
    ("For", lambda m: m.reason),
    ("Started", lambda m: day(m.started_on)),
    ("Stopped", lambda m: day(m.stopped_on)),
    ("Reason stopped", lambda m: m.stop_reason),
    ("Source", lambda m: m.source_label),
]


class MedicationsPane(ChartPane):
    title = "Medications"

    def __init__(self, actor: Actor, patient_id: int, parent=None) -> None:
        super().__init__(actor, patient_id, parent)
        self.current_model = ChartTableModel(CURRENT_COLUMNS, self)
        self.past_model = ChartTableModel(PAST_COLUMNS, self)
        self.current_table = record_table(self.current_model, "currentMedications")
        self.past_table = record_table(self.past_model, "pastMedications")
        self.tables = (self.current_table, self.past_table)
        for table in self.tables:
            table.selectionModel().selectionChanged.connect(
                lambda *_, t=table: self._selected_in(t)
            )
            table.doubleClicked.connect(self.edit)

        self.add_button = QPushButton("&Add…")
        self.edit_button = QPushButton("&Edit…")
        self.stop_button = QPushButton("S&top…")
        self.error_button = QPushButton("Entered in e&rror…")
        self.show_errors = QCheckBox("Show entered in error")
        self.add_button.clicked.connect(self.add)
        self.edit_button.clicked.connect(self.edit)
        self.stop_button.clicked.connect(self.stop)
        self.error_button.clicked.connect(self.entered_in_error)
        self.show_errors.toggled.connect(self.reload)
        buttons = QHBoxLayout()
        for button in (self.add_button, self.edit_button, self.stop_button, self.error_button):
            buttons.addWidget(button)
        buttons.addStretch()
        buttons.addWidget(self.show_errors)

        self.message = self.error = self.error_label()
        self.message.setObjectName("medicationsError")
        self.current_heading = QLabel("<b>Current medications</b>")
        self.past_heading = QLabel("<b>Past medications</b>")
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.message)
        layout.addWidget(self.current_heading)
        layout.addWidget(self.current_table, 3)
        layout.addWidget(self.past_heading)
        layout.addWidget(self.past_table, 2)
        self.may_write = actor.can(Permission.CHART_WRITE)
        self.add_button.setEnabled(self.may_write)
        self._enable()
        self.reload()

    # --- reading ------------------------------------------------------------------------------

    def reload(self) -> None:
        self.message.clear()
        try:
            meds = list_medications(
                self.actor, self.patient_id, include_errors=self.show_errors.isChecked()
            )
        except UserError as exc:
            self.message.setText(str(exc))
            meds = []
        self.current_model.set_rows([m for m in meds if m.current])
        self.past_model.set_rows([m for m in meds if not m.current])
        self.current_heading.setText(f"<b>Current medications</b> ({len(self.current_model.rows)})")
        self.past_heading.setText(f"<b>Past medications</b> ({len(self.past_model.rows)})")
        self._enable()

    def selected(self) -> MedicationRecord | None:
        for table in self.tables:
            rows = table.selectionModel().selectedRows()
            if rows:
                return table.model().rows[rows[0].row()]
        return None

    def _selected_in(self, table: QTableView) -> None:
        if table.selectionModel().hasSelection():
            for other in self.tables:
                if other is not table:
                    other.clearSelection()
        self._enable()

    def _enable(self) -> None:
        chosen = self.selected()
        usable = self.may_write and chosen is not None and not chosen.entered_in_error
        self.edit_button.setEnabled(usable)
        self.stop_button.setEnabled(usable and chosen.current)
        self.error_button.setEnabled(usable)

    # --- changing -----------------------------------------------------------------------------

    def add(self) -> None:
        self.open_dialog(MedicationDialog(self.actor, self.patient_id, parent=self))

    def edit(self) -> None:
        chosen = self.selected()
        if chosen is not None and self.may_write and not chosen.entered_in_error:
            self.open_dialog(MedicationDialog(self.actor, self.patient_id, chosen, parent=self))

    def stop(self) -> None:
        chosen = self.selected()
        if chosen is not None and chosen.current and not chosen.entered_in_error:
            self.open_dialog(StopMedicationDialog(self.actor, chosen, parent=self))

    def entered_in_error(self) -> None:
        chosen = self.selected()
        if chosen is None or chosen.entered_in_error:
            return
        self.ask_entered_in_error(
            chosen.name,
            lambda reason: mark_medication_entered_in_error(
                self.actor, chosen.id, chosen.version, reason
            ),
            placeholder="Why it is wrong (kept with the medication)",
        )

    def saved(self) -> None:
        self.dialog = None
        super().saved()
