"""The chart's Medications tab: what the patient takes now, and below it what they took, with
the stop date and reason. Add, correct, stop, or mark a medication entered in error."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
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
from ui.chart.medication_dialog import MedicationDialog, StopMedicationDialog
from ui.chart.pane import ChartPane
from ui.widgets.reason_dialog import ReasonDialog

Column = tuple[str, Callable[[Any], str]]
STRUCK_COLOUR = QColor("#888888")


def day(d: date | None) -> str:
    return f"{d:%m/%d/%Y}" if d else ""


class RecordsModel(QAbstractTableModel):
    """Rows of frozen service records shown in the given columns; records entered in error
    (an `entered_in_error` attribute) are struck through and grey, with the reason as tip."""

    def __init__(self, columns: Sequence[Column], parent=None) -> None:
        super().__init__(parent)
        self.columns = list(columns)
        self.records: list[Any] = []

    def set_records(self, records: Sequence[Any]) -> None:
        self.beginResetModel()
        self.records = list(records)
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | None = None) -> int:  # noqa: N802
        return 0 if parent is not None and parent.isValid() else len(self.records)

    def columnCount(self, parent: QModelIndex | None = None) -> int:  # noqa: N802
        return 0 if parent is not None and parent.isValid() else len(self.columns)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.columns[section][0]
        return None

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        record = self.records[index.row()]
        struck = getattr(record, "entered_in_error", False)
        if role == Qt.ItemDataRole.DisplayRole:
            return self.columns[index.column()][1](record)
        if role == Qt.ItemDataRole.FontRole and struck:
            font = QFont()
            font.setStrikeOut(True)
            return font
        if role == Qt.ItemDataRole.ForegroundRole and struck:
            return QBrush(STRUCK_COLOUR)
        if role == Qt.ItemDataRole.ToolTipRole and struck:
            return f"Entered in error: {record.error_reason}"
        return None


def records_table(model: RecordsModel, name: str) -> QTableView:
    table = QTableView()
    table.setObjectName(name)
    table.setModel(model)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setTabKeyNavigation(False)
    table.verticalHeader().hide()
    table.horizontalHeader().setStretchLastSection(True)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    return table


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
        self.dialog = None  # the dialog open now, if any
        self.current_model = RecordsModel(CURRENT_COLUMNS, self)
        self.past_model = RecordsModel(PAST_COLUMNS, self)
        self.current_table = records_table(self.current_model, "currentMedications")
        self.past_table = records_table(self.past_model, "pastMedications")
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

        self.message = self.error_label()
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
        self.current_model.set_records([m for m in meds if m.current])
        self.past_model.set_records([m for m in meds if not m.current])
        self.current_heading.setText(
            f"<b>Current medications</b> ({len(self.current_model.records)})"
        )
        self.past_heading.setText(f"<b>Past medications</b> ({len(self.past_model.records)})")
        self._enable()

    def selected(self) -> MedicationRecord | None:
        for table in self.tables:
            rows = table.selectionModel().selectedRows()
            if rows:
                return table.model().records[rows[0].row()]
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
        self._open(MedicationDialog(self.actor, self.patient_id, parent=self))

    def edit(self) -> None:
        chosen = self.selected()
        if chosen is not None and self.may_write and not chosen.entered_in_error:
            self._open(MedicationDialog(self.actor, self.patient_id, chosen, parent=self))

    def stop(self) -> None:
        chosen = self.selected()
        if chosen is not None and chosen.current and not chosen.entered_in_error:
            self._open(StopMedicationDialog(self.actor, chosen, parent=self))

    def entered_in_error(self) -> None:
        chosen = self.selected()
        if chosen is None or chosen.entered_in_error:
            return
        dialog = ReasonDialog(
            "Entered in error",
            f"Mark {chosen.name} entered in error? It stays in the chart, struck through.",
            "Mark entered in error",
            parent=self,
        )
        dialog.reason.setPlaceholderText("Why it is wrong (kept with the medication)")
        dialog.accepted.connect(lambda: self._mark_in_error(chosen, dialog.reason.text()))
        self.dialog = dialog
        dialog.open()

    def _mark_in_error(self, chosen: MedicationRecord, reason: str) -> None:
        try:
            mark_medication_entered_in_error(self.actor, chosen.id, chosen.version, reason)
        except UserError as exc:
            self.message.setText(str(exc))
            return
        self._saved()

    def _open(self, dialog) -> None:
        dialog.accepted.connect(self._saved)
        self.dialog = dialog
        dialog.open()

    def _saved(self) -> None:
        self.dialog = None
        self.reload()
        self.changed.emit()
