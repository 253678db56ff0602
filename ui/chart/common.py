"""What the chart's panes share: dates as the chart shows them, records entered in error shown
struck through and grey, the question that marks one entered in error, and pane buttons."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import QPushButton

from ui.widgets.reason_dialog import ReasonDialog
from ui.widgets.record_table import RecordTableModel
from ui.widgets.shortcuts import add_save_shortcut

STRUCK_COLOUR = QColor("#888888")


def day(value: date | None) -> str:
    return f"{value:%m/%d/%Y}" if value else ""


def struck_font() -> QFont:
    font = QFont()
    font.setStrikeOut(True)
    return font


class ChartTableModel(RecordTableModel):
    """Records with `entered_in_error` are shown struck through and grey, the reason as tip."""

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if index.isValid() and getattr(self.rows[index.row()], "entered_in_error", False):
            if role == Qt.ItemDataRole.FontRole:
                return struck_font()
            if role == Qt.ItemDataRole.ForegroundRole:
                return STRUCK_COLOUR
            if role == Qt.ItemDataRole.ToolTipRole:
                return f"Entered in error: {self.rows[index.row()].error_reason}"
        return super().data(index, role)


def button(text: str, name: str, slot: Callable[[], None]) -> QPushButton:
    b = QPushButton(text)
    b.setObjectName(name)
    b.clicked.connect(slot)
    return b


class EnteredInErrorDialog(ReasonDialog):
    """Asks why `what` (e.g. "this allergy") is entered in error; OK (or Ctrl+S) only once a
    reason is typed. Open it with open(); `reason_text()` after it is accepted."""

    def __init__(
        self,
        what: str,
        parent=None,
        *,
        placeholder: str = "Reason (e.g. entered in the wrong chart)",
        title: str = "Entered in error",
        warning: bool = False,
    ) -> None:
        super().__init__(
            title,
            f"Mark {what} entered in error? It stays in the chart, struck through, with the "
            "reason.",
            "Mark entered in error",
            warning=warning,
            placeholder=placeholder,
            parent=parent,
        )
        self.setObjectName("enteredInErrorDialog")
        self.reason_edit = self.reason  # the name the list panes' callers know it by
        add_save_shortcut(self, self._save)

    def _save(self) -> None:
        if self.ok.isEnabled():
            self.accept()

    def reason_text(self) -> str:
        return self.reason.text().strip()
