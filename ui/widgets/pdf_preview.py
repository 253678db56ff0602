"""Print preview: a document the core made (prescription, referral letter, visit summary) shown
page by page as it will print, with page navigation, zoom, Print… and Save as PDF….

Open it with `.open()`; it prints and saves exactly the bytes it shows.
"""

from __future__ import annotations

import re

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPointF, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ui import printing

ZOOM_STEP = 1.25
ZOOM_MIN, ZOOM_MAX = 0.25, 5.0


def _file_name(title: str) -> str:
    stem = re.sub(r"[^\w\- ]+", "", title).strip().replace(" ", "-") or "document"
    return f"{stem}.pdf"


class PdfPreviewDialog(QDialog):
    """The PDF's pages in a scrolling view; Print… asks for a printer, Save as PDF… for a file.
    `printed` and `saved_to` tell what the user did (for the caller and the tests)."""

    def __init__(
        self, pdf: bytes, title: str, parent: QWidget | None = None, *, file_name: str = ""
    ) -> None:
        super().__init__(parent)
        self.setObjectName("pdfPreview")
        self.setWindowTitle(f"Print preview — {title}")
        self.resize(860, 1000)
        self.pdf = pdf
        self.file_name = file_name or _file_name(title)
        self.printed = 0
        # The printer Print… uses (None: the system's default, chosen in the print dialog).
        self.printer: QPrinter | None = None
        self.saved_to = None

        # The document reads from this buffer for as long as it is shown: keep both alive.
        self._bytes = QByteArray(pdf)
        self._buffer = QBuffer(self._bytes, self)
        self._buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        self.document = QPdfDocument(self)
        self.document.load(self._buffer)

        self.view = QPdfView(self)
        self.view.setObjectName("pdfView")
        self.view.setPageMode(QPdfView.PageMode.MultiPage)
        self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        self.view.setDocument(self.document)

        self.previous_button = self._button("◀ Previous", "previousPage", self.previous_page)
        self.next_button = self._button("Next ▶", "nextPage", self.next_page)
        self.page_box = QSpinBox()
        self.page_box.setObjectName("pageNumber")
        self.page_box.setMinimum(1)
        self.page_box.setMaximum(max(1, self.page_count))
        self.page_box.valueChanged.connect(lambda n: self.go_to(n - 1))
        self.page_label = QLabel(f"of {self.page_count}")
        zoom_out = self._button("−", "zoomOut", lambda: self.zoom(1 / ZOOM_STEP))
        zoom_out.setToolTip("Zoom out (Ctrl+-)")
        zoom_in = self._button("+", "zoomIn", lambda: self.zoom(ZOOM_STEP))
        zoom_in.setToolTip("Zoom in (Ctrl++)")
        fit = self._button("Fit width", "fitWidth", self.fit_width)
        self.print_button = self._button("&Print…", "printButton", self.print_document)
        self.save_button = self._button("&Save as PDF…", "savePdfButton", self.save_document)
        close = self._button("Close", "closePreview", self.reject)

        bar = QHBoxLayout()
        for widget in (self.previous_button, self.page_box, self.page_label, self.next_button):
            bar.addWidget(widget)
        bar.addSpacing(16)
        for widget in (zoom_out, zoom_in, fit):
            bar.addWidget(widget)
        bar.addStretch()
        for widget in (self.print_button, self.save_button, close):
            bar.addWidget(widget)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        if self.document.status() == QPdfDocument.Status.Error:
            layout.addWidget(QLabel("This document cannot be shown."))
            self.print_button.setEnabled(False)
        layout.addWidget(self.view, 1)

        navigator = self.view.pageNavigator()
        navigator.currentPageChanged.connect(self._page_shown)
        QShortcut(QKeySequence.StandardKey.ZoomIn, self, lambda: self.zoom(ZOOM_STEP))
        QShortcut(QKeySequence.StandardKey.ZoomOut, self, lambda: self.zoom(1 / ZOOM_STEP))
        QShortcut(QKeySequence("Ctrl+0"), self, self.fit_width)
        QShortcut(QKeySequence.StandardKey.Print, self, self.print_document)
        QShortcut(QKeySequence(Qt.Key.Key_PageDown), self, self.next_page)
        QShortcut(QKeySequence(Qt.Key.Key_PageUp), self, self.previous_page)
        self._page_shown(0)

    @staticmethod
    def _button(text: str, name: str, slot) -> QPushButton:
        b = QPushButton(text)
        b.setObjectName(name)
        b.setAutoDefault(False)
        b.clicked.connect(slot)
        return b

    @property
    def page_count(self) -> int:
        return self.document.pageCount()

    @property
    def current_page(self) -> int:
        """The page shown, from 0."""
        return self.view.pageNavigator().currentPage()

    def go_to(self, page: int) -> None:
        if 0 <= page < self.page_count and page != self.current_page:
            self.view.pageNavigator().jump(page, QPointF(), self.view.pageNavigator().currentZoom())

    def next_page(self) -> None:
        self.go_to(self.current_page + 1)

    def previous_page(self) -> None:
        self.go_to(self.current_page - 1)

    def _page_shown(self, page: int) -> None:
        self.page_box.blockSignals(True)
        self.page_box.setValue(page + 1)
        self.page_box.blockSignals(False)
        self.previous_button.setEnabled(page > 0)
        self.next_button.setEnabled(page < self.page_count - 1)

    def zoom(self, factor: float) -> None:
        self.view.setZoomMode(QPdfView.ZoomMode.Custom)
        self.view.setZoomFactor(min(ZOOM_MAX, max(ZOOM_MIN, self.view.zoomFactor() * factor)))

    def fit_width(self) -> None:
        self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)

    def print_document(self) -> None:
        self.printed = printing.print_pdf_with_dialog(self, self.pdf, self.printer)

    def save_document(self) -> None:
        self.saved_to = printing.save_pdf(self, self.pdf, self.file_name)
