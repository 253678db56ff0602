"""The Vitals tab: every entry as one row (date, BP, pulse, …) with values outside the normal
range in red with their flag, recording and marking entered in error, and the trend plot of a
chosen vital below."""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
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
from emr.services.vitals import (
    VITAL_LABELS,
    VitalsEntry,
    format_number,
    list_vitals,
    mark_vital_in_error,
    mark_vitals_entry_in_error,
    normal_band,
    vital_series,
)
from ui.chart.common import EnteredInErrorDialog
from ui.chart.pane import ChartPane
from ui.chart.trend_plot import PlotLine, TrendPlot
from ui.chart.vitals_dialog import VitalsDialog, preferred_unit
from ui.widgets.reason_dialog import ReasonDialog

# (header, vital keys shown in the column)
COLUMNS: list[tuple[str, tuple[str, ...]]] = [
    ("Date", ()),
    ("BP", ("systolic", "diastolic")),
    ("HR", ("heart_rate",)),
    ("RR", ("respiratory_rate",)),
    ("Temp", ("temperature",)),
    ("SpO2", ("spo2",)),
    ("Weight", ("weight",)),
    ("Height", ("height",)),
    ("BMI", ("bmi",)),
    ("Head circ.", ("head_circumference",)),
    ("Pain", ("pain",)),
    ("Glucose", ("glucose", "glucose_capillary")),
]
# What the plot can show: (label, vital keys plotted together)
PLOTS: list[tuple[str, tuple[str, ...]]] = [
    ("Blood pressure", ("systolic", "diastolic")),
    ("Heart rate", ("heart_rate",)),
    ("Respiratory rate", ("respiratory_rate",)),
    ("Temperature", ("temperature",)),
    ("SpO2", ("spo2",)),
    ("Weight", ("weight",)),
    ("Height", ("height",)),
    ("BMI", ("bmi",)),
    ("Head circumference", ("head_circumference",)),
    ("Pain score", ("pain",)),
    ("Blood glucose", ("glucose", "glucose_capillary")),
]
ONE_DECIMAL = {"temperature", "weight", "height", "head_circumference", "bmi"}
FLAGGED = QColor("#b00020")
ERROR_GREY = QColor("#888888")


class VitalsModel(QAbstractTableModel):
    def __init__(self, actor: Actor, parent=None) -> None:
        super().__init__(parent)
        self.actor = actor
        self.entries: list[VitalsEntry] = []
        self.units: dict[str, str] = {}

    def set_entries(self, entries: list[VitalsEntry]) -> None:
        self.beginResetModel()
        self.entries = entries
        self.units = {
            key: preferred_unit(self.actor, key) for _header, keys in COLUMNS for key in keys
        }
        self.endResetModel()

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.entries)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation != Qt.Orientation.Horizontal or role != Qt.ItemDataRole.DisplayRole:
            return None
        header, keys = COLUMNS[section]
        if not keys:
            return header
        unit = units.unit_label(self.units.get(keys[0], ""))
        return f"{header}\n{unit}" if unit and not unit.startswith("(") else header

    def _value(self, key: str, entry: VitalsEntry) -> tuple[str, str] | None:
        obs = entry.get(key)
        if obs is None or obs.value_num is None:
            return None
        unit = self.units.get(key, obs.unit)
        value = obs.value_num
        if unit != obs.unit:
            value = units.from_canonical(key, value, unit)
        text = f"{value:.1f}" if key in ONE_DECIMAL else format_number(value)
        return text, obs.flag

    def cell(self, row: int, column: int) -> tuple[str, str]:
        """(text, flags) of a cell: "165/70", "H"."""
        entry = self.entries[row]
        header, keys = COLUMNS[column]
        if not keys:
            return f"{entry.measured_at:%Y-%m-%d %H:%M}", ""
        parts = [self._value(k, entry) for k in keys]
        found = [p for p in parts if p is not None]
        if not found:
            return "", ""
        text = "/".join(p[0] if p else "?" for p in parts) if header == "BP" else found[0][0]
        flags = "/".join(dict.fromkeys(p[1] for p in found if p[1]))  # "H" for 150/95
        return text, flags

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        entry = self.entries[index.row()]
        text, flags = self.cell(index.row(), index.column())
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{text} {flags}" if flags else text
        if role == Qt.ItemDataRole.ForegroundRole:
            if entry.entered_in_error:
                return QBrush(ERROR_GREY)
            return QBrush(FLAGGED) if flags else None
        if role == Qt.ItemDataRole.FontRole:
            font = QFont()
            font.setBold(bool(flags))
            font.setStrikeOut(entry.entered_in_error or self._cell_in_error(index))
            return font
        if role == Qt.ItemDataRole.ToolTipRole and entry.entered_in_error:
            reason = entry.observations[0].error_reason
            return f"Entered in error: {reason}"
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() > 0:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _cell_in_error(self, index: QModelIndex) -> bool:
        keys = COLUMNS[index.column()][1]
        entry = self.entries[index.row()]
        found = [o for k in keys if (o := entry.get(k)) is not None]
        return bool(found) and all(o.entered_in_error for o in found)


class VitalsPane(ChartPane):
    title = "Vitals"

    def __init__(self, actor: Actor, patient_id: int, parent=None) -> None:
        super().__init__(actor, patient_id, parent)
        self.setObjectName("vitalsPane")
        self.dialog: VitalsDialog | None = None
        self.reason_dialog: ReasonDialog | None = None
        writable = actor.can(Permission.CHART_WRITE)

        self.record_button = QPushButton("Record vitals…")
        self.record_button.setObjectName("recordVitals")
        self.record_button.clicked.connect(self.record)
        self.error_button = QPushButton("Entered in error…")
        self.error_button.setObjectName("vitalsInError")
        self.error_button.clicked.connect(self.mark_in_error)
        for button in (self.record_button, self.error_button):
            button.setEnabled(writable)
        self.show_errors = QCheckBox("Show entered in error")
        self.show_errors.toggled.connect(self.reload)
        buttons = QHBoxLayout()
        buttons.addWidget(self.record_button)
        buttons.addWidget(self.error_button)
        self.import_button = QPushButton("Import &home measurements…")
        self.import_button.setObjectName("importPhr")
        self.import_button.setToolTip("Blood pressure, weight, glucose … the patient measured")
        self.import_button.clicked.connect(self.import_home_measurements)
        self.import_button.setEnabled(self.record_button.isEnabled())
        buttons.addWidget(self.import_button)
        buttons.addStretch(1)
        buttons.addWidget(self.show_errors)

        self.model = VitalsModel(actor, self)
        self.table = QTableView()
        self.table.setObjectName("vitalsTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.doubleClicked.connect(self._plot_column)
        self.message = self.error_label()
        self.message.setObjectName("vitalsPaneMessage")
        self.message.hide()

        self.chooser = QComboBox()
        self.chooser.setObjectName("vitalChooser")
        for label, _keys in PLOTS:
            self.chooser.addItem(label)
        self.chooser.currentIndexChanged.connect(self.plot_chosen)
        self.plot = TrendPlot()
        plot_box = QWidget()
        plot_layout = QVBoxLayout(plot_box)
        plot_layout.setContentsMargins(0, 0, 0, 0)
        chooser_row = QHBoxLayout()
        chooser_row.addWidget(QLabel("Trend of"))
        chooser_row.addWidget(self.chooser)
        chooser_row.addStretch(1)
        plot_layout.addLayout(chooser_row)
        plot_layout.addWidget(self.plot, 1)

        table_box = QWidget()
        table_layout = QVBoxLayout(table_box)
        table_layout.setContentsMargins(0, 0, 0, 0)
        table_layout.addLayout(buttons)
        table_layout.addWidget(self.message)
        table_layout.addWidget(self.table, 1)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(table_box)
        self.splitter.addWidget(plot_box)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.splitter)
        self.reload()

    # --- reading ------------------------------------------------------------------------------

    def reload(self) -> None:
        self.model.set_entries(
            list_vitals(self.actor, self.patient_id, include_errors=self.show_errors.isChecked())
        )
        self.plot_chosen()

    def plot_chosen(self) -> None:
        label = self.chooser.currentText()
        keys = PLOTS[max(self.chooser.currentIndex(), 0)][1]
        unit = preferred_unit(self.actor, keys[0])
        try:
            lines = []
            for index, key in enumerate(keys):
                series = vital_series(self.actor, self.patient_id, key, unit=unit)
                clinic = [(when, value) for when, value, source in series if source != "phr"]
                home = [(when, value) for when, value, source in series if source == "phr"]
                band = normal_band(key, unit)
                flagged = [p for p in clinic if not band[0] <= p[1] <= band[1]] if band else []
                if clinic or len(keys) == 1:
                    lines.append(PlotLine(VITAL_LABELS[key], clinic, band, flagged))
                if home:
                    lines.append(
                        PlotLine(
                            f"{VITAL_LABELS[key]} (home)",
                            home,
                            None,
                            dashed=True,
                            colour_index=index,
                        )
                    )
        except UserError as exc:
            self._say(str(exc))
            return
        self.plot.set_lines(label, units.unit_label(unit), lines)

    def _plot_column(self, index: QModelIndex) -> None:
        keys = COLUMNS[index.column()][1]
        for position, (_label, plotted) in enumerate(PLOTS):
            if keys and keys[0] in plotted:
                self.chooser.setCurrentIndex(position)
                return

    def _say(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))

    # --- recording ----------------------------------------------------------------------------

    def import_home_measurements(self) -> None:
        from ui.chart.phr_import_dialog import PhrImportDialog

        self.dialog = PhrImportDialog(self.actor, self.patient_id, self)
        self.dialog.imported.connect(self._recorded)
        self.dialog.open()

    def record(self) -> None:
        self.dialog = VitalsDialog(self.actor, self.patient_id, parent=self)
        self.dialog.accepted.connect(self._recorded)
        self.dialog.open()

    def _recorded(self) -> None:
        self._say("")
        self.reload()
        self.changed.emit()

    def selected(self) -> tuple[VitalsEntry, tuple[str, ...]] | None:
        index = self.table.currentIndex()
        if not index.isValid():
            return None
        return self.model.entries[index.row()], COLUMNS[index.column()][1]

    def mark_in_error(self) -> None:
        chosen = self.selected()
        if chosen is None:
            self._say("Choose the entry (or one value of it) that was entered in error.")
            return
        entry, keys = chosen
        values = [o for k in keys if (o := entry.get(k)) is not None and not o.entered_in_error]
        when = f"{entry.measured_at:%Y-%m-%d %H:%M}"
        if values:
            what = " and ".join(VITAL_LABELS[o.key].lower() for o in values)
            what = f"the {what} of {when}"
        else:
            what = f"every value of {when}"
        dialog = EnteredInErrorDialog(what, self, placeholder="Reason (kept with the values)")
        dialog.whole_series.setText("The whole entry (every value measured together)")
        dialog.whole_series.setVisible(bool(values))
        dialog.accepted.connect(lambda: self._mark(entry, values, dialog))
        self.reason_dialog = dialog
        dialog.open()

    def _mark(self, entry: VitalsEntry, values, dialog: ReasonDialog) -> None:
        reason = dialog.reason_text()
        try:
            if values and not dialog.whole_series.isChecked():
                mark_vital_in_error(self.actor, values[0].id, values[0].version, reason)
            else:
                mark_vitals_entry_in_error(self.actor, self.patient_id, entry.group_id, reason)
        except UserError as exc:
            self._say(str(exc))
            return
        self._say("")
        self.reload()
        self.changed.emit()
