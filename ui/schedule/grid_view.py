"""The schedule grid on screen: blocks painted with the type's colour and a status strip;
double-click or Enter books or opens; drag a block to another slot or lane to move it."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QModelIndex, QPoint, QRect, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QHeaderView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
)

from ui.schedule.grid_model import STATUS_COLOURS, STATUS_ROLE, ScheduleGridModel

STRIP_WIDTH = 6


class BlockDelegate(QStyledItemDelegate):
    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        painter.save()
        rect: QRect = option.rect
        background = index.data(Qt.ItemDataRole.BackgroundRole)
        if background is not None:
            painter.fillRect(rect, background)
        status = index.data(STATUS_ROLE)
        text = index.data(Qt.ItemDataRole.DisplayRole)
        if status:
            painter.fillRect(
                QRect(rect.left(), rect.top(), STRIP_WIDTH, rect.height()),
                QColor(STATUS_COLOURS[status]),
            )
            painter.setPen(QPen(QColor("#607d8b")))
            painter.drawRect(rect.adjusted(0, 0, -1, -1))
        if option.state & QStyle.StateFlag.State_Selected:
            painter.setPen(QPen(QColor("#0d47a1"), 2))
            painter.drawRect(rect.adjusted(1, 1, -2, -2))
        if text:
            painter.setPen(QColor("#212121"))
            inner = rect.adjusted(STRIP_WIDTH + 4, 2, -4, -1)
            metrics = painter.fontMetrics()
            fits = max(1, inner.height() // metrics.lineSpacing())
            lines = text.split("\n")
            if fits >= 2 * len(lines):  # room for the reason on a line of its own
                lines = [part for line in lines for part in line.split(" — ", 1)]
            shown = lines[:fits]
            if len(lines) > fits:  # a double booking in a short block: say how many more
                shown[-1] = f"{shown[-1]} (+{len(lines) - fits} more)"
            y = inner.top() + metrics.ascent()
            for line in shown:
                painter.drawText(
                    inner.left(),
                    y,
                    metrics.elidedText(line, Qt.TextElideMode.ElideRight, inner.width()),
                )
                y += metrics.lineSpacing()
        painter.restore()


class ScheduleGridView(QTableView):
    slot_activated = Signal(int, int)  # row, column of a free slot: book there
    block_activated = Signal(int, int)  # row, column of an appointment: open it
    moved = Signal(int, int, int)  # appointment id, new first row, column

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("scheduleGrid")
        self.setItemDelegate(BlockDelegate(self))
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setTabKeyNavigation(False)  # Tab leaves the grid; arrows move within it
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.verticalHeader().setDefaultSectionSize(22)
        self.setShowGrid(True)
        self._press: tuple[int, int, QPoint] | None = None  # appointment id, grab offset, where
        self._dragging = False

    def grid(self) -> ScheduleGridModel:
        return self.model()  # type: ignore[return-value]

    def apply_spans(self) -> None:
        self.clearSpans()
        for block in self.grid().blocks:
            if block.rows > 1:
                self.setSpan(block.first_row, block.lane, block.rows, 1)

    # --- keys and clicks ----------------------------------------------------------------------

    def activate(self, index: QModelIndex) -> None:
        if not index.isValid():
            return
        if self.grid().block_at(index.row(), index.column()) is not None:
            self.block_activated.emit(index.row(), index.column())
        else:
            self.slot_activated.emit(index.row(), index.column())

    def keyPressEvent(self, event) -> None:  # noqa: N802
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.activate(self.currentIndex())
            return
        super().keyPressEvent(event)

    def mouseDoubleClickEvent(self, event) -> None:  # noqa: N802
        self.activate(self.indexAt(event.position().toPoint()))

    # --- moving a block with the mouse --------------------------------------------------------

    def mousePressEvent(self, event) -> None:  # noqa: N802
        super().mousePressEvent(event)
        self._press, self._dragging = None, False
        if event.button() != Qt.MouseButton.LeftButton:
            return
        pos = event.position().toPoint()
        row, column = self.rowAt(pos.y()), self.columnAt(pos.x())
        block = self.grid().block_at(row, column)
        if block is not None and len(block.appointments) == 1:
            self._press = (block.appointments[0].id, row - block.first_row, pos)

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        if self._press is None:
            super().mouseMoveEvent(event)
            return
        pos = event.position().toPoint()
        if not self._dragging:
            distance = (pos - self._press[2]).manhattanLength()
            if distance < QApplication.startDragDistance():
                return
            self._dragging = True
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
        row, column = self.rowAt(pos.y()), self.columnAt(pos.x())
        if row >= 0 and column >= 0:
            self.selectionModel().clearSelection()
            target = self.grid().index(max(0, row - self._press[1]), column)
            self.setCurrentIndex(target)

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802
        press, dragging = self._press, self._dragging
        self._press, self._dragging = None, False
        self.viewport().unsetCursor()
        if press is None or not dragging:
            super().mouseReleaseEvent(event)
            return
        pos = event.position().toPoint()
        row, column = self.rowAt(pos.y()), self.columnAt(pos.x())
        if row < 0 or column < 0:
            return
        self.moved.emit(press[0], max(0, row - press[1]), column)

    def event(self, event) -> bool:
        if event.type() == QEvent.Type.Leave and self._dragging:
            self.viewport().unsetCursor()
        return super().event(event)
