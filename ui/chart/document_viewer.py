"""Showing an attached document: images scaled to the window, PDFs page by page, anything else
handed to the program the computer opens such files with."""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt, QUrl
from PySide6.QtGui import QDesktopServices, QImage, QKeySequence, QPainter, QPixmap, QShortcut
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtWidgets import (
    QGraphicsPixmapItem,
    QGraphicsScene,
    QGraphicsView,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from emr.services.documents import DocumentRecord, size_text

log = logging.getLogger(__name__)

ZOOM_STEP = 1.25


def shown_in_app(record: DocumentRecord) -> bool:
    return record.media_type == "application/pdf" or record.media_type.startswith("image/")


class ImageView(QGraphicsView):
    """A picture fitted to the view until the user zooms (Ctrl+wheel, + and -)."""

    def __init__(self, image: QImage, parent=None) -> None:
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.pixmap_item = QGraphicsPixmapItem(QPixmap.fromImage(image))
        self.pixmap_item.setTransformationMode(Qt.TransformationMode.SmoothTransformation)
        self.scene().addItem(self.pixmap_item)
        self.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.fitted = True

    def fit(self) -> None:
        self.fitted = True
        self.fitInView(self.pixmap_item, Qt.AspectRatioMode.KeepAspectRatio)

    def zoom(self, factor: float) -> None:
        self.fitted = False
        self.scale(factor, factor)

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        if self.fitted:
            self.fit()

    def wheelEvent(self, event) -> None:  # noqa: N802
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.zoom(ZOOM_STEP if event.angleDelta().y() > 0 else 1 / ZOOM_STEP)
        else:
            super().wheelEvent(event)


class DocumentViewer(QWidget):
    """A window showing one image or PDF document."""

    def __init__(self, record: DocumentRecord, data: bytes, parent=None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.record = record
        self.setWindowTitle(f"{record.title} ({record.document_date:%Y-%m-%d})")
        self.resize(900, 1000)
        self.image_view: ImageView | None = None
        self.pdf_view: QPdfView | None = None
        self.pdf_document: QPdfDocument | None = None

        about = QLabel(
            f"{record.category.capitalize()}, {record.document_date:%Y-%m-%d}"
            f"{', ' + record.file_name if record.file_name else ''}, {size_text(record.size)}"
            + (
                "  (ENTERED IN ERROR: " + record.error_reason + ")"
                if record.entered_in_error
                else ""
            )
        )
        about.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        zoom_in = QPushButton("Zoom &in")
        zoom_out = QPushButton("Zoom &out")
        fit = QPushButton("&Fit")
        bar = QHBoxLayout()
        bar.addWidget(about, 1)
        for button in (zoom_out, zoom_in, fit):
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            bar.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)

        if record.media_type == "application/pdf":
            self._show_pdf(data, layout)
        else:
            image = QImage.fromData(data)
            if image.isNull():
                layout.addWidget(QLabel("This picture cannot be shown here."))
            else:
                self.image_view = ImageView(image)
                layout.addWidget(self.image_view, 1)
        zoom_in.clicked.connect(lambda: self.zoom(ZOOM_STEP))
        zoom_out.clicked.connect(lambda: self.zoom(1 / ZOOM_STEP))
        fit.clicked.connect(self.fit)
        QShortcut(QKeySequence.StandardKey.ZoomIn, self, lambda: self.zoom(ZOOM_STEP))
        QShortcut(QKeySequence.StandardKey.ZoomOut, self, lambda: self.zoom(1 / ZOOM_STEP))
        QShortcut(QKeySequence("Ctrl+0"), self, self.fit)
        QShortcut(QKeySequence.StandardKey.Close, self, self.close)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self.close)

    def _show_pdf(self, data: bytes, layout: QVBoxLayout) -> None:
        # The document reads from this buffer for as long as it is shown: keep both alive.
        self._pdf_bytes = QByteArray(data)
        self._pdf_buffer = QBuffer(self._pdf_bytes, self)
        self._pdf_buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        self.pdf_document = QPdfDocument(self)
        self.pdf_document.load(self._pdf_buffer)
        if self.pdf_document.status() == QPdfDocument.Status.Error:
            layout.addWidget(QLabel("This PDF cannot be shown: it is not a readable PDF."))
            return
        self.pdf_view = QPdfView(self)
        self.pdf_view.setPageMode(QPdfView.PageMode.MultiPage)
        self.pdf_view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        self.pdf_view.setDocument(self.pdf_document)
        layout.addWidget(self.pdf_view, 1)

    def zoom(self, factor: float) -> None:
        if self.image_view is not None:
            self.image_view.zoom(factor)
        elif self.pdf_view is not None:
            self.pdf_view.setZoomMode(QPdfView.ZoomMode.Custom)
            self.pdf_view.setZoomFactor(self.pdf_view.zoomFactor() * factor)

    def fit(self) -> None:
        if self.image_view is not None:
            self.image_view.fit()
        elif self.pdf_view is not None:
            self.pdf_view.setZoomMode(QPdfView.ZoomMode.FitToWidth)


def _private_folder() -> Path:
    # Patient documents: a folder only this user can read (mkdtemp makes it 0700).
    return Path(tempfile.mkdtemp(prefix="emr-document-"))


def save_for_outside_viewer(record: DocumentRecord, data: bytes) -> Path:
    """Write the document to a private temporary file named like the original."""
    name = Path(record.file_name).name if record.file_name else f"document-{record.id}"
    path = _private_folder() / name
    path.write_bytes(data)
    os.chmod(path, 0o600)
    return path


def open_outside(record: DocumentRecord, data: bytes) -> Path:
    """Open a document the app does not show itself with the computer's program for it."""
    path = save_for_outside_viewer(record, data)
    if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))):
        log.warning("document %s: no program opened the temporary copy", record.id)
    return path
