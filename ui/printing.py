"""Saving and printing the PDFs the core makes (day sheet, later prescriptions and letters).

The core writes PDF bytes; here they are saved through a file dialog, or drawn page by page
onto a real printer with QtPdf, so that what is printed is exactly what is saved.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QEventLoop, QIODevice, QRect, QSize, QStandardPaths
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtPdf import QPdfDocument, QPdfDocumentRenderOptions
from PySide6.QtPrintSupport import QAbstractPrintDialog, QPrintDialog, QPrinter
from PySide6.QtWidgets import QDialog, QFileDialog, QMessageBox, QWidget

from emr.errors import UserError
from emr.printing import write_atomically

log = logging.getLogger(__name__)

# Pages are rendered at the printer's resolution, but not above this: 600 dpi is sharper than
# any office printer's text, and 1200 dpi (Qt's "high resolution") only makes the job huge.
MAX_RENDER_DPI = 600
# Pages are rendered in bands of about this many pixels, to keep memory small at 600 dpi.
BAND_PIXELS = 8_000_000


def save_pdf(parent: QWidget | None, pdf: bytes, suggested_name: str) -> Path | None:
    """Ask where to save the PDF and save it; None if the user cancels or it cannot be
    written (the user is told why)."""
    folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    dialog = QFileDialog(parent, "Save as PDF", str(Path(folder) / suggested_name))
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    dialog.setNameFilter("PDF documents (*.pdf)")
    dialog.setDefaultSuffix("pdf")
    dialog.selectFile(suggested_name)
    if dialog.exec() != QDialog.DialogCode.Accepted or not dialog.selectedFiles():
        return None
    path = Path(dialog.selectedFiles()[0])
    try:
        write_atomically(path, pdf)
    except UserError as exc:
        QMessageBox.warning(parent, "Not saved", str(exc))
        return None
    return path


def _load(pdf: bytes) -> tuple[QPdfDocument, QBuffer]:
    buffer = QBuffer()
    buffer.setData(QByteArray(pdf))
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    document = QPdfDocument()
    document.load(buffer)
    if document.status() == QPdfDocument.Status.Loading:
        loop = QEventLoop()
        document.statusChanged.connect(loop.quit)
        while document.status() == QPdfDocument.Status.Loading:
            loop.exec()
    if document.status() != QPdfDocument.Status.Ready or document.pageCount() < 1:
        raise UserError("The document could not be prepared for printing.")
    return document, buffer  # the buffer must outlive the document


def _render_page(
    document: QPdfDocument, page: int, dpi: int, painter: QPainter, target: QRect
) -> None:
    """Draw one page into `target` (device pixels), rendered at `dpi` in horizontal bands."""
    points = document.pagePointSize(page)
    width = max(1, round(points.width() * dpi / 72))
    height = max(1, round(points.height() * dpi / 72))
    band = max(1, BAND_PIXELS // width)
    scale = target.height() / height
    for top in range(0, height, band):
        rows = min(band, height - top)
        options = QPdfDocumentRenderOptions()
        options.setScaledSize(QSize(width, height))
        options.setScaledClipRect(QRect(0, top, width, rows))
        rendered = document.render(page, QSize(width, rows), options)
        # Opaque on white: printers and PDF files handle a plain image best.
        image = QImage(rendered.size(), QImage.Format.Format_RGB32)
        image.fill(QColor("white"))
        onto_white = QPainter(image)
        onto_white.drawImage(0, 0, rendered)
        onto_white.end()
        y0, y1 = round(top * scale), round((top + rows) * scale)
        painter.drawImage(QRect(target.x(), target.y() + y0, target.width(), y1 - y0), image)


def print_pdf(pdf: bytes, printer: QPrinter) -> int:
    """Print every page of the PDF (or the range chosen in the print dialog), each scaled to
    fit the paper and centred; returns the number of pages printed."""
    document, _buffer = _load(pdf)
    count = document.pageCount()
    first, last = 1, count
    if printer.printRange() == QPrinter.PrintRange.PageRange and printer.fromPage() > 0:
        first, last = max(1, printer.fromPage()), min(count, printer.toPage() or count)
    if first > last:
        return 0
    printer.setFullPage(True)  # the PDF has its own margins
    printer.setDocName(document.metaData(QPdfDocument.MetaDataField.Title) or "EMR document")
    dpi = min(printer.resolution(), MAX_RENDER_DPI)
    painter = QPainter()
    if not painter.begin(printer):
        raise UserError("The printer could not be started; check that it is on and connected.")
    # Most printers make the copies themselves; for the others each page is drawn again.
    copies = 1 if printer.supportsMultipleCopies() else max(1, printer.copyCount())
    printed = 0
    try:
        for page in [p for _ in range(copies) for p in range(first - 1, last)]:
            if printed:
                printer.newPage()
            paper = printer.paperRect(QPrinter.Unit.DevicePixel).toRect()
            points = document.pagePointSize(page)
            fit = min(paper.width() / points.width(), paper.height() / points.height())
            width, height = round(points.width() * fit), round(points.height() * fit)
            target = QRect(
                paper.x() + (paper.width() - width) // 2,
                paper.y() + (paper.height() - height) // 2,
                width,
                height,
            )
            _render_page(document, page, dpi, painter, target)
            printed += 1
    finally:
        painter.end()
    log.info("printed %d pages to %s", printed, printer.printerName() or "a file")
    return printed


def print_pdf_with_dialog(
    parent: QWidget | None, pdf: bytes, printer: QPrinter | None = None
) -> int:
    """Show the print dialog (printer, pages, copies) and print; 0 if the user cancels.
    A printing error is shown to the user and also gives 0."""
    printer = printer or QPrinter(QPrinter.PrinterMode.HighResolution)
    document, _buffer = _load(pdf)
    dialog = QPrintDialog(printer, parent)
    dialog.setWindowTitle("Print")
    dialog.setMinMax(1, document.pageCount())
    dialog.setOption(QAbstractPrintDialog.PrintDialogOption.PrintPageRange, True)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return 0
    try:
        return print_pdf(pdf, printer)
    except UserError as exc:
        QMessageBox.warning(parent, "Not printed", str(exc))
        return 0
