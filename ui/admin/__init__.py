"""The Admin workspace (administrators only): practice settings, schedule setup, users and the
audit trail. Two small helpers its forms and tables share live here."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from ui.style import ERROR_STYLE

Index = QModelIndex | QPersistentModelIndex


class FieldErrors:
    """Each field's problem shown just below it, and what belongs to no field in a summary."""

    def __init__(self) -> None:
        self.labels: dict[str, QLabel] = {}
        self.editors: dict[str, QWidget] = {}
        self.summary = QLabel()
        self.summary.setObjectName("error_summary")
        self.summary.setStyleSheet(ERROR_STYLE)
        self.summary.setWordWrap(True)
        self.summary.hide()

    def wrap(self, name: str, editor: QWidget, focus: QWidget | None = None) -> QWidget:
        """`editor` (a widget or row of widgets) with its error label under it; `focus` is
        what gets the focus when the field is wrong (the editor itself by default)."""
        label = QLabel()
        label.setObjectName(f"error_{name}")
        label.setStyleSheet(ERROR_STYLE)
        label.setWordWrap(True)
        label.hide()
        self.labels[name] = label
        self.editors[name] = focus or editor
        holder = QWidget()
        column = QVBoxLayout(holder)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(1)
        column.addWidget(editor)
        column.addWidget(label)
        return holder

    def show(self, field_errors: dict[str, str]) -> None:
        first: QWidget | None = None
        unplaced: list[str] = []
        for name, message in field_errors.items():
            if name not in self.labels:
                unplaced.append(message)
        for name, label in self.labels.items():
            message = field_errors.get(name, "")
            label.setText(message)
            label.setVisible(bool(message))
            if message and first is None:
                first = self.editors[name]
        self.summary.setText(" ".join(unplaced))
        self.summary.setVisible(bool(unplaced))
        if first is not None:
            first.setFocus()

    def clear(self) -> None:
        self.show({})


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
    ) -> None:
        super().__init__(parent)
        self.columns = list(columns)
        self.rows: list[Any] = []
        self._decoration = decoration
        self._foreground = foreground

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
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            value = self.columns[index.column()][1](record)
            return "" if value is None else str(value)
        if role == Qt.ItemDataRole.DecorationRole and self._decoration is not None:
            return self._decoration(record, index.column())
        if role == Qt.ItemDataRole.ForegroundRole and self._foreground is not None:
            return self._foreground(record)
        return None
