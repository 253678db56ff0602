"""Printing and saving the day sheet from the Schedule workspace. The PDF is made off the UI
thread; printing draws that same PDF on the printer (ui.printing)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtPrintSupport import QPrinter

from emr.errors import UserError
from emr.printing import write_atomically
from emr.printing.day_sheet import day_sheet_pdf
from ui.workers import run_in_background

if TYPE_CHECKING:
    from ui.schedule.workspace import ScheduleWorkspace


def make_pdf(
    ws: ScheduleWorkspace, day: date, provider_id: int | None, then: Callable[[bytes], None]
) -> None:
    ws.show_message(f"Preparing the day sheet for {day:%m/%d/%Y}…")
    ws.print_button.setEnabled(False)
    ws.pdf_button.setEnabled(False)
    ws.busy.show()

    def done(pdf: bytes) -> None:
        _ready(ws)
        then(pdf)

    def failed(exc: Exception) -> None:
        _ready(ws)
        ws.show_error(
            str(exc)
            if isinstance(exc, UserError)
            else "The day sheet could not be made; details are in the log file."
        )

    actor = ws.actor
    run_in_background(lambda: day_sheet_pdf(actor, day, provider_id), on_done=done, on_error=failed)


def _ready(ws: ScheduleWorkspace) -> None:
    ws.busy.hide()
    ws.print_button.setEnabled(True)
    ws.pdf_button.setEnabled(True)


def print_day_sheet(
    ws: ScheduleWorkspace, day: date, provider_id: int | None, printer: QPrinter | None = None
) -> None:
    """Print through the print dialog; with `printer` given, print to it without asking."""
    from ui.printing import print_pdf, print_pdf_with_dialog

    def send(pdf: bytes) -> None:
        try:
            pages = print_pdf(pdf, printer) if printer else print_pdf_with_dialog(ws, pdf)
        except UserError as exc:
            ws.show_error(str(exc))
            return
        ws.show_message(f"Day sheet printed ({pages} pages)." if pages else "Not printed.")

    make_pdf(ws, day, provider_id, send)


def save_day_sheet(
    ws: ScheduleWorkspace, day: date, provider_id: int | None, path: Path | None = None
) -> None:
    """Save as PDF where the user chooses (or to `path`)."""
    from ui.printing import save_pdf

    def store(pdf: bytes) -> None:
        if path is None:
            saved = save_pdf(ws, pdf, f"day-sheet-{day:%Y-%m-%d}.pdf")
        else:
            try:
                write_atomically(path, pdf)
            except UserError as exc:
                ws.show_error(str(exc))
                return
            saved = path
        if saved is not None:
            ws.show_message(f"Day sheet saved to {saved}.")

    make_pdf(ws, day, provider_id, store)
