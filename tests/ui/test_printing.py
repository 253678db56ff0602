"""Printing and saving a day sheet from the UI: the PDF drawn page by page onto a real QPrinter
(printing to a PDF file, as a printer driver would receive it), the print and save dialogs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time
from io import BytesIO
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtCore import QMarginsF, Qt, QTimer
from PySide6.QtGui import QPageLayout, QPageSize
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import QApplication, QFileDialog, QLineEdit, QPushButton, QWidget

from emr.printing.day_sheet import day_sheet_pdf
from emr.schedule_rules import Stretch
from emr.services.schedule_setup import list_providers, save_appointment_type, set_working_hours
from emr.services.scheduling import AppointmentInput, book_appointment
from emr.services.users import create_user
from tests.ui.conftest import CURRENT_TEST
from ui.printing import print_pdf, print_pdf_with_dialog, save_pdf

DAY = date(2031, 3, 3)


@pytest.fixture
def day_sheet(operator, users, front_desk, patients) -> bytes:
    """A two-page day sheet: Dr Doc sees the patients, Dr Second has an empty day."""
    create_user(
        operator, username="second", full_name="Second Doctor", role="physician", password="x" * 12
    )
    kind = save_appointment_type(operator, name="Check-up", default_minutes=20, colour="#ad1457")
    for provider in list_providers(operator):
        set_working_hours(operator, provider.id, [Stretch(d, time(8), time(17)) for d in range(7)])
    doc = next(p for p in list_providers(operator) if p.username == "doc")
    for hour, patient in enumerate(patients, start=9):
        book_appointment(
            front_desk,
            AppointmentInput(
                patient_id=patient.id,
                provider_id=doc.id,
                type_id=kind.id,
                starts=datetime.combine(DAY, time(hour)),
                minutes=20,
            ),
        )
    pdf = day_sheet_pdf(front_desk, DAY, None)
    assert len(pdf_reader(pdf).pages) == 2
    return pdf


def pdf_reader(pdf: bytes) -> PdfReader:
    return PdfReader(BytesIO(pdf))


def pdf_printer(path: Path) -> QPrinter:
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(path))
    printer.setPageLayout(
        QPageLayout(
            QPageSize(QPageSize.PageSizeId.Letter),
            QPageLayout.Orientation.Portrait,
            QMarginsF(0, 0, 0, 0),
        )
    )
    return printer


def ink_fraction(reader: PdfReader, page: int) -> float:
    """How much of the printed page is not white (0 for a blank page); the page arrives as
    images (bands of the rendered page)."""
    dark = total = 0
    for band in reader.pages[page].images:
        grey = band.image.convert("L")
        grey = grey.resize((grey.width // 10 or 1, grey.height // 10 or 1))
        dark += sum(grey.histogram()[:160])
        total += grey.width * grey.height
    return dark / total


def when_modal(qtbot, kind: type, act: Callable[[QWidget], None]) -> None:
    """Act on the next modal dialog of `kind` as a person would; close it after 10 s whatever
    happens, so a test can never hang on it."""
    waited = [0]
    acted = [False]
    test = CURRENT_TEST[0]

    def look() -> None:
        if CURRENT_TEST[0] != test:
            return  # its test is over
        dialog = QApplication.activeModalWidget()
        if isinstance(dialog, kind):
            acted[0] = True
            act(dialog)
        elif waited[0] < 200:
            waited[0] += 1
            QTimer.singleShot(50, look)

    def give_up() -> None:
        # Only this call's own dialog, and only if it was never answered: a later test's
        # dialog may be open by now.
        dialog = QApplication.activeModalWidget()
        if CURRENT_TEST[0] == test and not acted[0] and isinstance(dialog, kind):
            dialog.reject()

    QTimer.singleShot(50, look)
    QTimer.singleShot(10_000, give_up)


def click_button(qtbot, dialog: QWidget, text: str) -> None:
    for button in dialog.findChildren(QPushButton):
        if button.text().replace("&", "") == text and button.isVisible():
            qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
            return
    raise AssertionError(f"no button {text!r} in the dialog")


def test_every_page_is_printed_and_inked(qtbot, day_sheet, tmp_path: Path):
    out = tmp_path / "printed.pdf"
    assert print_pdf(day_sheet, pdf_printer(out)) == 2
    reader = PdfReader(out)
    assert len(reader.pages) == len(pdf_reader(day_sheet).pages) == 2
    width, height = (float(v) for v in reader.pages[0].mediabox.upper_right)
    assert (round(width), round(height)) == (612, 792)  # US Letter
    first, second = ink_fraction(reader, 0), ink_fraction(reader, 1)
    # Both pages carry the letterhead; the first also the table of appointments.
    assert 0.001 < second < first < 0.5


def test_a_page_range_prints_only_those_pages(qtbot, day_sheet, tmp_path: Path):
    out = tmp_path / "second page.pdf"
    printer = pdf_printer(out)
    printer.setPrintRange(QPrinter.PrintRange.PageRange)
    printer.setFromTo(2, 2)
    assert print_pdf(day_sheet, printer) == 1
    assert len(PdfReader(out).pages) == 1


def test_print_dialog_prints_when_accepted(qtbot, day_sheet, tmp_path: Path):
    out = tmp_path / "from dialog.pdf"
    when_modal(qtbot, QPrintDialog, lambda d: click_button(qtbot, d, "Print"))
    assert print_pdf_with_dialog(None, day_sheet, pdf_printer(out)) == 2
    assert len(PdfReader(out).pages) == 2


def test_print_dialog_cancelled_prints_nothing(qtbot, day_sheet, tmp_path: Path):
    out = tmp_path / "cancelled.pdf"
    when_modal(qtbot, QPrintDialog, lambda d: click_button(qtbot, d, "Cancel"))
    assert print_pdf_with_dialog(None, day_sheet, pdf_printer(out)) == 0
    assert not out.exists()


def test_save_pdf_writes_the_file_chosen(qtbot, day_sheet, tmp_path: Path):
    wanted = tmp_path / "Day sheet 2031-03-03.pdf"

    def type_name(dialog: QWidget) -> None:
        name = dialog.findChild(QLineEdit, "fileNameEdit")
        name.clear()
        qtbot.keyClicks(name, str(wanted.with_suffix("")))  # the .pdf is added
        qtbot.keyClick(name, Qt.Key.Key_Return)

    when_modal(qtbot, QFileDialog, type_name)
    assert save_pdf(None, day_sheet, "Day sheet.pdf") == wanted
    assert wanted.read_bytes() == day_sheet


def test_save_pdf_cancelled_saves_nothing(qtbot, day_sheet, tmp_path: Path):
    when_modal(qtbot, QFileDialog, lambda d: d.reject())
    assert save_pdf(None, day_sheet, "Day sheet.pdf") is None
