"""Entering a laboratory panel by hand: its name, collection time and lab, and a row per
result (test, LOINC, value, unit, reference range, flag). A known test name fills its LOINC
code and unit; flags left empty are computed from the range on saving. Ctrl+S saves."""

from __future__ import annotations

from PySide6.QtCore import QDateTime, Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCompleter,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
)

from emr.codes import loinc
from emr.errors import UserError, ValidationError
from emr.services.context import Actor
from emr.services.labs import LabPanelRecord, LabResultInput, record_lab_panel, row_field
from ui.style import ERROR_STYLE
from ui.widgets.shortcuts import add_save_shortcut

COLUMNS = ["Test", "LOINC", "Value", "Unit", "Low", "High", "Reference (text)", "Flag"]
FIELDS = ["test", "loinc_code", "value", "unit", "ref_low", "ref_high", "ref_text", "flag"]
START_ROWS = 6
PANEL_NAMES = [
    "Basic metabolic panel",
    "Comprehensive metabolic panel",
    "Complete blood count",
    "Lipid panel",
    "Hemoglobin A1c",
    "Thyroid panel",
    "Liver panel",
    "Urinalysis",
    "Coagulation (INR)",
]
BAD_CELL = QColor("#f8d7da")


def _known_tests() -> dict[str, loinc.LabTest]:
    """Known tests by their name, key and LOINC code, folded to lower case."""
    known: dict[str, loinc.LabTest] = {}
    for test in loinc.lab_tests():
        for name in (test.display_name, test.key, test.key.replace("_", " "), test.loinc_code):
            known[name.casefold()] = test
    return known


class LabPanelDialog(QDialog):
    """`saved` holds the panel recorded, after accept."""

    def __init__(
        self, actor: Actor, patient_id: int, encounter_id: int | None = None, parent=None
    ) -> None:
        super().__init__(parent)
        self.actor = actor
        self.patient_id = patient_id
        self.encounter_id = encounter_id
        self.saved: LabPanelRecord | None = None
        self._known = _known_tests()
        self.setWindowTitle("Enter lab results")
        self.setObjectName("labPanelDialog")
        self.resize(900, 420)

        self.name = QLineEdit()
        self.name.setObjectName("panelName")
        self.name.setCompleter(QCompleter(PANEL_NAMES, self))
        self.collected_at = QDateTimeEdit(QDateTime.currentDateTime())
        self.collected_at.setObjectName("collectedAt")
        self.collected_at.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.collected_at.setCalendarPopup(True)
        self.lab = QLineEdit()
        self.lab.setObjectName("performingLab")
        form = QFormLayout()
        form.addRow("Panel", self.name)
        form.addRow("Collected", self.collected_at)
        form.addRow("Performing lab", self.lab)

        self.table = QTableWidget(START_ROWS, len(COLUMNS))
        self.table.setObjectName("labResults")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.AllEditTriggers)
        self.table.setTabKeyNavigation(True)
        self.table.itemChanged.connect(self._fill_known)
        self.add_row = QPushButton("Add row")
        self.add_row.clicked.connect(lambda: self.table.insertRow(self.table.rowCount()))

        self.message = QLabel()
        self.message.setObjectName("labPanelMessage")
        self.message.setStyleSheet(ERROR_STYLE)
        self.message.setWordWrap(True)
        self.message.hide()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        add_save_shortcut(self, self.save)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(QLabel("Results (flags left empty are computed from the range)"))
        layout.addWidget(self.table, 1)
        layout.addWidget(self.add_row, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self.name.setFocus()

    # --- the table ----------------------------------------------------------------------------

    def text(self, row: int, column: int) -> str:
        item = self.table.item(row, column)
        return item.text().strip() if item is not None else ""

    def set_text(self, row: int, column: int, text: str) -> None:
        self.table.setItem(row, column, QTableWidgetItem(text))

    def _fill_known(self, item: QTableWidgetItem) -> None:
        if item.column() != 0:
            return
        test = self._known.get(item.text().strip().casefold())
        if test is None:
            return
        self.table.blockSignals(True)
        if not self.text(item.row(), 1):
            self.set_text(item.row(), 1, test.loinc_code)
        if not self.text(item.row(), 3):
            self.set_text(item.row(), 3, test.ucum_unit)
        self.table.blockSignals(False)

    def _number(self, row: int, column: int, key: str, errors: dict[str, str]) -> float | None:
        text = self.text(row, column).replace(",", ".")
        if not text:
            return None
        try:
            return float(text)
        except ValueError:
            errors[row_field(key, FIELDS[column])] = f"{text!r} is not a number."
            return None

    def results(self) -> tuple[list[LabResultInput], list[int]]:
        """The filled rows as inputs, and the table row of each (blank rows are left out).
        A ValidationError (with `rows`) when a range is not a number."""
        errors: dict[str, str] = {}
        inputs: list[LabResultInput] = []
        rows: list[int] = []
        for row in range(self.table.rowCount()):
            if not any(self.text(row, c) for c in range(len(COLUMNS))):
                continue
            rows.append(row)
            number = len(rows)
            low = self._number(row, 4, number, errors)
            high = self._number(row, 5, number, errors)
            inputs.append(
                LabResultInput(
                    test=self.text(row, 0),
                    loinc_code=self.text(row, 1),
                    value=self.text(row, 2),
                    unit=self.text(row, 3),
                    ref_low=low,
                    ref_high=high,
                    ref_text=self.text(row, 6),
                    flag=self.text(row, 7),
                )
            )
        self._rows = rows
        if errors:
            raise ValidationError(errors)
        return inputs, rows

    # --- saving -------------------------------------------------------------------------------

    def show_errors(self, errors: dict[str, str], rows: list[int]) -> None:
        for row in range(self.table.rowCount()):
            for column in range(len(COLUMNS)):
                item = self.table.item(row, column)
                if item is not None:
                    item.setBackground(QBrush())
                    item.setToolTip("")
        lines = []
        for key, text in errors.items():
            parts = key.split(" ")  # labs.row_field: "row 2 loinc_code"
            if len(parts) == 3 and parts[0] == "row" and parts[1].isdigit():
                number = int(parts[1])  # counted among the filled rows, from 1
                row = rows[number - 1] if number <= len(rows) else number - 1
                column = FIELDS.index(parts[2]) if parts[2] in FIELDS else 0
                item = self.table.item(row, column)
                if item is None:
                    item = QTableWidgetItem("")
                    self.table.setItem(row, column, item)
                item.setBackground(QBrush(BAD_CELL))
                item.setToolTip(text)
                lines.append(f"Row {row + 1}, {COLUMNS[column].lower()}: {text}")
            else:
                lines.append(text)
        self.message.setText("\n".join(lines))
        self.message.show()

    def save(self) -> None:
        self._rows: list[int] = []
        try:
            results, _rows = self.results()
            self.saved = record_lab_panel(
                self.actor,
                self.patient_id,
                name=self.name.text(),
                collected_at=self.collected_at.dateTime().toPython().replace(second=0),
                performing_lab=self.lab.text(),
                results=results,
                encounter_id=self.encounter_id,
            )
        except ValidationError as exc:
            self.show_errors(exc.field_errors, self._rows)
            return
        except UserError as exc:
            self.show_errors({"": str(exc)}, self._rows)
            return
        self.accept()
