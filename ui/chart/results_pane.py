"""The Results tab: the flowsheet of laboratory results (a row per test, a column per
collection time, newest first) with abnormal values in red and bold with their flag; entering
a panel by hand or importing one from a CSV file; the trend of the chosen test below."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from emr.codes import units
from emr.errors import UserError
from emr.security.permissions import Permission
from emr.services.context import Actor
from emr.services.labs import (
    Flowsheet,
    FlowsheetCell,
    describe_flag,
    flowsheet,
    import_lab_panel_csv,
    lab_series,
)
from emr.services.vitals import format_number
from ui.chart.lab_panel_dialog import LabPanelDialog
from ui.chart.pane import ChartPane
from ui.chart.trend_plot import PlotLine, TrendPlot

ABNORMAL = QColor("#b00020")
ABNORMAL_BACKGROUND = QColor("#fdecee")
EMPTY = Flowsheet((), (), {})


def _range(cell: FlowsheetCell) -> str:
    if cell.ref_low is not None and cell.ref_high is not None:
        return f"{format_number(cell.ref_low)}–{format_number(cell.ref_high)}"
    if cell.ref_low is not None:
        return f"≥ {format_number(cell.ref_low)}"
    if cell.ref_high is not None:
        return f"≤ {format_number(cell.ref_high)}"
    return cell.ref_text


class FlowsheetModel(QAbstractTableModel):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.sheet: Flowsheet = EMPTY

    def set_sheet(self, sheet: Flowsheet) -> None:
        self.beginResetModel()
        self.sheet = sheet
        self.endResetModel()

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.sheet.tests)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.sheet.dates)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal:
            if role == Qt.ItemDataRole.DisplayRole:
                return f"{self.sheet.dates[section]:%Y-%m-%d}"
            if role == Qt.ItemDataRole.ToolTipRole:
                return f"Collected {self.sheet.dates[section]:%Y-%m-%d %H:%M}"
            return None
        test = self.sheet.tests[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return test.name
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{test.name} (LOINC {test.loinc_code})" if test.loinc_code else test.name
        return None

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        cell = self.sheet.cell(index.row(), index.column())
        if cell is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{cell.value} {cell.flag}" if cell.flag else cell.value
        if role == Qt.ItemDataRole.ForegroundRole and cell.flag:
            return QBrush(ABNORMAL)
        if role == Qt.ItemDataRole.BackgroundRole and cell.flag:
            return QBrush(ABNORMAL_BACKGROUND)
        if role == Qt.ItemDataRole.FontRole and cell.flag:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole:
            unit = units.unit_label(cell.unit)
            reference = _range(cell)
            text = f"{cell.value} {unit}".strip()
            if reference:
                text += f" (reference {reference})"
            if cell.flag:
                text += f" — {describe_flag(cell.flag)}"
            return text
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def unit_of_row(self, row: int) -> str:
        for column in range(len(self.sheet.dates)):
            if (cell := self.sheet.cell(row, column)) is not None and cell.unit:
                return cell.unit
        return ""

    def band_of_row(self, row: int) -> tuple[float, float] | None:
        """The newest reference range of a test, for the plot."""
        for column in range(len(self.sheet.dates)):
            cell = self.sheet.cell(row, column)
            if cell is not None and cell.ref_low is not None and cell.ref_high is not None:
                return cell.ref_low, cell.ref_high
        return None


class ResultsPane(ChartPane):
    title = "Results"

    def __init__(self, actor: Actor, patient_id: int, parent=None) -> None:
        super().__init__(actor, patient_id, parent)
        self.setObjectName("resultsPane")
        self.dialog: LabPanelDialog | None = None
        self.file_dialog: QFileDialog | None = None
        writable = actor.can(Permission.CHART_WRITE)

        self.enter_button = QPushButton("Enter panel…")
        self.enter_button.setObjectName("enterPanel")
        self.enter_button.clicked.connect(self.enter_panel)
        self.import_button = QPushButton("Import CSV…")
        self.import_button.setObjectName("importPanel")
        self.import_button.clicked.connect(self.choose_file)
        for button in (self.enter_button, self.import_button):
            button.setEnabled(writable)
        buttons = QHBoxLayout()
        buttons.addWidget(self.enter_button)
        buttons.addWidget(self.import_button)
        buttons.addStretch(1)

        self.model = FlowsheetModel(self)
        self.table = QTableView()
        self.table.setObjectName("flowsheet")
        self.table.setModel(self.model)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.horizontalHeader().setDefaultSectionSize(96)
        self.table.verticalHeader().setMinimumWidth(180)
        self.table.selectionModel().currentChanged.connect(self._current_changed)
        self.message = self.error_label()
        self.message.setObjectName("resultsMessage")
        self.message.hide()
        self.plot = TrendPlot()

        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addLayout(buttons)
        top_layout.addWidget(self.message)
        top_layout.addWidget(self.table, 1)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(top)
        splitter.addWidget(self.plot)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)
        self._plotted_row = -1
        self.reload()

    # --- reading ------------------------------------------------------------------------------

    def reload(self) -> None:
        self.model.set_sheet(flowsheet(self.actor, self.patient_id))
        self._plotted_row = -1
        if self.model.rowCount():
            self.table.setCurrentIndex(self.model.index(0, 0))
        else:
            self.plot.set_lines("No results", "", [])

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid() and current.row() != self._plotted_row:
            self.plot_test(current.row())

    def plot_test(self, row: int) -> None:
        test = self.model.sheet.tests[row]
        try:
            points = lab_series(self.actor, self.patient_id, test.loinc_code, test_name=test.name)
        except UserError as exc:
            self._say(str(exc))
            return
        band = self.model.band_of_row(row)
        flagged = [p for p in points if band and not band[0] <= p[1] <= band[1]]
        self._plotted_row = row
        self.plot.set_lines(
            test.name,
            units.unit_label(self.model.unit_of_row(row)),
            [PlotLine(test.name, points, band, flagged)],
        )

    def _say(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))

    # --- entering -----------------------------------------------------------------------------

    def enter_panel(self) -> None:
        self.dialog = LabPanelDialog(self.actor, self.patient_id, parent=self)
        self.dialog.accepted.connect(self._saved)
        self.dialog.open()

    def choose_file(self) -> None:
        dialog = QFileDialog(self, "Import a lab panel (CSV)")
        dialog.setNameFilter("CSV files (*.csv)")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.fileSelected.connect(self.import_file)
        self.file_dialog = dialog
        dialog.open()

    def import_file(self, path: str | Path) -> None:
        try:
            import_lab_panel_csv(self.actor, self.patient_id, Path(path))
        except UserError as exc:
            self._say(f"Nothing was imported from {Path(path).name}: {exc}")
            return
        self._saved()

    def _saved(self) -> None:
        self._say("")
        self.reload()
        self.changed.emit()
