"""Service records in a table: a model with one (title, value of a record) pair per column,
the read-only single-row table that shows it, and the record chosen in it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView

Index = QModelIndex | QPersistentModelIndex
Column = tuple[str, Callable[[Any], object]]


class RecordTableModel(QAbstractTableModel):
    """Service records as table rows: one (title, value of a record) pair per column."""

    def __init__(
        self,
        columns: Sequence[Column],
        parent=None,
        *,
        decoration: Callable[[Any, int], object] | None = None,
        foreground: Callable[[Any], object] | None = None,
        tooltip: Callable[[Any], object] | None = None,
    ) -> None:
        super().__init__(parent)
        self.columns = list(columns)
        self.rows: list[Any] = []
        self._decoration = decoration
        self._foreground = foreground
        self._tooltip = tooltip

    def set_rows(self, rows: Sequence[Any]) -> None:
        self.beginResetModel()
        self.rows = list(rows)
        self.endResetModel()

    def record_at(self, row: int) -> Any:
        return self.rows[row]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section: int, orientation, role=Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.columns[section][0]
        return None

    def data(self, index: Index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        record = self.rows[index.row()]
        if role == Qt.ItemDataRole.ToolTipRole and self._tooltip is not None:
            return self._tooltip(record)
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            value = self.columns[index.column()][1](record)
            return "" if value is None else str(value)
        if role == Qt.ItemDataRole.DecorationRole and self._decoration is not None:
            return self._decoration(record, index.column())
        if role == Qt.ItemDataRole.ForegroundRole and self._foreground is not None:
            return self._foreground(record)
        return None


def record_table(model: QAbstractTableModel, name: str) -> QTableView:
    """A read-only table choosing one whole row; Tab leaves it for the next field."""
    table = QTableView()
    table.setObjectName(name)
    table.setModel(model)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setTabKeyNavigation(False)
    table.setAlternatingRowColors(True)
    table.setWordWrap(False)
    table.verticalHeader().hide()
    table.horizontalHeader().setStretchLastSection(True)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    return table


def selected_record(table: QTableView) -> Any | None:
    """The record of the table's current row, None when there is none."""
    model = table.model()
    index = table.currentIndex()
    if not index.isValid() or not isinstance(model, RecordTableModel):
        return None
    return model.record_at(index.row())
