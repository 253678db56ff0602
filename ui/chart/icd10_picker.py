"""Choosing an ICD-10-CM code by typing: a code prefix ("E11.9", "e119") or words of the
description ("type 2 diab"). Results show as one types; Down moves into them, Enter or a
double click chooses. Only billable codes can be chosen; a category or subcategory shows why
not and which codes to choose instead."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QKeyEvent
from PySide6.QtWidgets import QLabel, QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from emr.codes.icd10 import Icd10Code, get_icd10, require_billable, search_icd10
from emr.errors import UserError
from ui.style import ERROR_STYLE

DEBOUNCE_MS = 50
RESULTS_LIMIT = 50
NOT_BILLABLE_MARK = "not billable: choose a more specific code"
_CODE_ROLE = Qt.ItemDataRole.UserRole
_ENTER = (Qt.Key.Key_Return, Qt.Key.Key_Enter)


class Icd10Picker(QWidget):
    """`code` is the chosen billable code ("E11.9") or None; `chosen(code)` when one is."""

    chosen = Signal(str)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.code: str | None = None
        self.description = ""
        self.edit = QLineEdit()
        self.edit.setObjectName("icd10Search")
        self.edit.setPlaceholderText('Code or words: "E11.9", "type 2 diab"')
        self.edit.setClearButtonEnabled(True)
        self.results = QListWidget()
        self.results.setObjectName("icd10Results")
        self.results.setMinimumHeight(160)
        # Reached with Down from the search, so that Tab goes on to the next field.
        self.results.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.message = QLabel()
        self.message.setObjectName("icd10Message")
        self.message.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit)
        layout.addWidget(self.results)
        layout.addWidget(self.message)
        self.setFocusProxy(self.edit)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self.search)
        self.edit.textEdited.connect(self._typed)
        self.results.itemDoubleClicked.connect(self._choose_item)
        self.edit.installEventFilter(self)
        self.results.installEventFilter(self)

    # ---- typing and searching -------------------------------------------------------------

    def _typed(self, _text: str) -> None:
        if self.code is not None:
            self.code = None
            self.description = ""
        self._show_message("")
        self._timer.start()

    def search(self) -> None:
        """Show the codes matching what is typed now (best first)."""
        self._timer.stop()
        query = self.edit.text().strip()
        self.results.clear()
        if not query:
            return
        for found in search_icd10(query, limit=RESULTS_LIMIT):
            self.results.addItem(self._item(found))
        if self.results.count():
            self.results.setCurrentRow(0)
        else:
            self._show_message("No ICD-10-CM code matches that.", error=True)

    @staticmethod
    def _item(found: Icd10Code) -> QListWidgetItem:
        text = f"{found.code}\t{found.description}"
        if not found.billable:
            text += f"   ({NOT_BILLABLE_MARK})"
        item = QListWidgetItem(text)
        item.setData(_CODE_ROLE, found.code)
        if not found.billable:
            item.setForeground(QColor("#777777"))
        return item

    # ---- choosing -------------------------------------------------------------------------

    def choose(self, code: str) -> bool:
        """Choose `code` if it is billable; otherwise say why not. True when chosen."""
        try:
            found = require_billable(code)
        except UserError as exc:
            self._show_message(exc.message, error=True)
            return False
        self.code = found.code
        self.description = found.description
        self.edit.setText(found.display)
        self.results.clear()
        self._show_message(f"Chosen: {found.display}")
        self.chosen.emit(found.code)
        return True

    def set_code(self, code: str) -> None:
        """Show an already chosen code (editing a problem)."""
        found = get_icd10(code)
        self.code = found.code
        self.description = found.description
        self.edit.setText(found.display)
        self._show_message("")

    def _choose_item(self, item: QListWidgetItem | None) -> None:
        if item is not None:
            self.choose(item.data(_CODE_ROLE))

    def _show_message(self, text: str, *, error: bool = False) -> None:
        self.message.setText(text)
        self.message.setStyleSheet(ERROR_STYLE if error else "")

    # ---- keys -----------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() != QEvent.Type.KeyPress or not isinstance(event, QKeyEvent):
            return super().eventFilter(watched, event)
        key = event.key()
        if watched is self.edit:
            if key in (Qt.Key.Key_Down, Qt.Key.Key_PageDown) and self.results.count():
                self.results.setFocus()
                if self.results.currentRow() < 0:
                    self.results.setCurrentRow(0)
                return True
            if key in _ENTER:
                if self._timer.isActive():
                    self.search()
                if self.code is not None and not self.results.count():
                    return False  # already chosen: let the dialog have its Enter
                self._choose_item(self.results.currentItem())
                return True  # never the dialog's default button while choosing
        elif watched is self.results:
            if key in _ENTER:
                self._choose_item(self.results.currentItem())
                if self.code is not None:
                    self.edit.setFocus()
                return True
            if key == Qt.Key.Key_Up and self.results.currentRow() <= 0:
                self.edit.setFocus()
                return True
        return super().eventFilter(watched, event)
