"""Search inside the open chart: type, and the matches appear below as you type; Enter (or a
double click) opens the one chosen, Down moves into the list, Escape clears."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QLabel, QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from emr.errors import UserError
from emr.services.chart_search import MIN_QUERY_LENGTH, ChartHit, search_chart
from emr.services.context import Actor
from ui.chart.timeline_pane import KIND_COLOURS
from ui.style import ERROR_STYLE

DEBOUNCE_MS = 100
HIT_ROLE = Qt.ItemDataRole.UserRole
_KIND_WORDS = {"note": "Note", "addendum": "Addendum", "history": "History"}
_COLOUR_OF = {"note": "encounter", "addendum": "encounter", "history": "problem"}


def hit_text(hit: ChartHit) -> str:
    kind = _KIND_WORDS.get(hit.kind, hit.kind.capitalize())
    return f"{hit.when:%Y-%m-%d}  {kind}: {hit.title}\n    {hit.snippet}"


class ChartSearchBox(QWidget):
    """`open_requested(entity, entity_id)`: the user chose a match to open."""

    open_requested = Signal(str, int)

    def __init__(self, actor: Actor, patient_id: int, parent=None) -> None:
        super().__init__(parent)
        self.actor = actor
        self.patient_id = patient_id
        self.hits: list[ChartHit] = []
        self.edit = QLineEdit()
        self.edit.setObjectName("chart_search")
        self.edit.setPlaceholderText("Search this chart (notes, problems, medications, results…)")
        self.edit.setClearButtonEnabled(True)
        self.status = QLabel()
        self.status.setObjectName("chart_search_status")
        self.status.hide()
        self.results = QListWidget()
        self.results.setObjectName("chart_search_results")
        self.results.setMaximumHeight(260)
        self.results.setAlternatingRowColors(True)
        self.results.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.edit)
        layout.addWidget(self.status)
        layout.addWidget(self.results)

        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(DEBOUNCE_MS)
        self.timer.timeout.connect(self.search_now)
        self.edit.textEdited.connect(lambda _text: self.timer.start())
        self.edit.textChanged.connect(self._maybe_cleared)
        self.results.itemActivated.connect(self._open_item)
        self.edit.installEventFilter(self)
        self.results.installEventFilter(self)

    def search_now(self) -> None:
        self.timer.stop()
        query = self.edit.text()
        if len(query.strip()) < MIN_QUERY_LENGTH:
            self._show([], "")
            return
        try:
            hits = search_chart(self.actor, self.patient_id, query)
        except UserError as exc:
            self.status.setStyleSheet(ERROR_STYLE)
            self._show([], str(exc))
            return
        self.status.setStyleSheet("")
        self._show(hits, "" if hits else f"Nothing in this chart matches “{query.strip()}”.")

    def _show(self, hits: list[ChartHit], status: str) -> None:
        self.hits = hits
        self.results.clear()
        for hit in hits:
            item = QListWidgetItem(hit_text(hit))
            item.setData(HIT_ROLE, (hit.entity, hit.entity_id))
            colour = KIND_COLOURS.get(_COLOUR_OF.get(hit.kind, hit.kind), "#000000")
            item.setForeground(QBrush(QColor(colour)))
            self.results.addItem(item)
        self.results.setVisible(bool(hits))
        if hits:
            self.results.setCurrentRow(0)
        self.status.setText(status)
        self.status.setVisible(bool(status))

    def _maybe_cleared(self, text: str) -> None:
        if not text:
            self.timer.stop()
            self._show([], "")

    def _open_item(self, item: QListWidgetItem | None) -> None:
        if item is None:
            return
        entity, entity_id = item.data(HIT_ROLE)
        self.open_requested.emit(entity, entity_id)

    def open_current(self) -> None:
        if self.timer.isActive():  # Enter typed before the pause: search what was typed
            self.search_now()
        self._open_item(self.results.currentItem())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() != QEvent.Type.KeyPress:
            return False
        key = event.key()
        if watched is self.edit:
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self.open_current()
                return True
            if key == Qt.Key.Key_Down and self.results.count():
                self.results.setFocus()
                return True
            if key == Qt.Key.Key_Escape and self.edit.text():
                self.edit.clear()
                return True
        elif watched is self.results:
            if key == Qt.Key.Key_Up and self.results.currentRow() == 0:
                self.edit.setFocus()
                return True
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self._open_item(self.results.currentItem())
                return True
            if key == Qt.Key.Key_Escape:
                self.edit.setFocus()
                return True
        return False
