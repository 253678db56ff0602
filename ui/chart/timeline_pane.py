"""The chart's Timeline tab: every clinical event newest first, filtered by kind; Enter or a
double click asks the chart window to open the event's record."""

from __future__ import annotations

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QTableView,
    QVBoxLayout,
)

from emr.errors import UserError
from emr.services.timeline import KIND_LABELS, KINDS, TimelineEvent, timeline
from ui.chart.pane import ChartPane

Index = QModelIndex | QPersistentModelIndex

KIND_COLOURS = {
    "encounter": "#1f5fa8",
    "problem": "#a23b2a",
    "allergy": "#c0392b",
    "medication": "#6a3d9a",
    "immunization": "#1b7f5a",
    "vitals": "#b36b00",
    "lab": "#00798c",
    "document": "#555555",
    "amendment": "#8a5a00",
}


def when_text(event: TimelineEvent) -> str:
    if event.when.hour == 0 and event.when.minute == 0:
        return f"{event.when:%Y-%m-%d}"
    return f"{event.when:%Y-%m-%d %H:%M}"


class TimelineModel(QAbstractTableModel):
    COLUMNS = ("Date", "Kind", "What", "Detail")

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.rows: list[TimelineEvent] = []

    def set_rows(self, rows: list[TimelineEvent]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section: int, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.COLUMNS[section]
        return None

    def data(self, index: Index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        event = self.rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (when_text(event), KIND_LABELS[event.kind], event.title, event.detail)[column]
        if role == Qt.ItemDataRole.ToolTipRole:
            tip = f"{event.title}\n{event.detail}".strip()
            return tip + ("\n(entered in error)" if event.entered_in_error else "")
        if role == Qt.ItemDataRole.ForegroundRole:
            if event.entered_in_error:
                return QBrush(QColor("#888888"))
            if column == 1:
                return QBrush(QColor(KIND_COLOURS[event.kind]))
        if role == Qt.ItemDataRole.FontRole:
            font = QFont()
            font.setStrikeOut(event.entered_in_error)
            font.setBold(column == 1)
            return font
        return None


class TimelinePane(ChartPane):
    """`open_requested(entity, entity_id)`: the user wants the record behind an event."""

    title = "Timeline"
    open_requested = Signal(str, int)

    def __init__(self, actor, patient_id: int, parent=None) -> None:
        super().__init__(actor, patient_id, parent)
        self.events: list[TimelineEvent] = []
        self.kind_boxes: dict[str, QCheckBox] = {}
        filters = QHBoxLayout()
        for kind in KINDS:
            box = QCheckBox(KIND_LABELS[kind])
            box.setObjectName(f"show_{kind}")
            box.setChecked(True)
            box.setStyleSheet(f"QCheckBox {{ color: {KIND_COLOURS[kind]}; }}")
            box.toggled.connect(lambda _on: self.apply_filter())
            self.kind_boxes[kind] = box
            filters.addWidget(box)
        filters.addStretch(1)
        self.show_errors = QCheckBox("Entered in error")
        self.show_errors.setObjectName("show_errors")
        self.show_errors.toggled.connect(lambda _on: self.reload())
        filters.addWidget(self.show_errors)

        self.model = TimelineModel(self)
        self.table = QTableView()
        self.table.setObjectName("timeline")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.activated.connect(self._open)
        self.message = self.error_label()
        self.message.hide()

        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(self.message)
        layout.addWidget(self.table, 1)
        self.reload()

    def reload(self) -> None:
        """Read every event once; the kind filters then work on what was read."""
        try:
            self.events = timeline(
                self.actor, self.patient_id, include_errors=self.show_errors.isChecked()
            )
            self.message.hide()
        except UserError as exc:
            self.events = []
            self.message.setText(str(exc))
            self.message.show()
        self.apply_filter()

    def shown_kinds(self) -> set[str]:
        return {kind for kind, box in self.kind_boxes.items() if box.isChecked()}

    def apply_filter(self) -> None:
        kinds = self.shown_kinds()
        self.model.set_rows([e for e in self.events if e.kind in kinds])
        if self.model.rows:
            self.table.selectRow(0)

    def _open(self, index: QModelIndex) -> None:
        if index.isValid():
            event = self.model.rows[index.row()]
            self.open_requested.emit(event.entity, event.entity_id)
