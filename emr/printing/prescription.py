"""Printed prescriptions on the practice's letterhead: prescriber (name, NPI, and DEA number
for a controlled substance), patient (name, date of birth, address), drug, directions,
quantity (in words as well for a controlled substance), refills, dispense as written, date,
a signature line and a Code 128 barcode of the prescription's id. One, two or four
prescriptions to a page, as the practice chooses; a prescription printed before is marked
COPY. Only signed prescriptions print, and every print is counted and audited.

The barcode is made by python-barcode (its SVG writer) and its bars are drawn here as vector
rectangles, so they stay sharp on any printer.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO
from pathlib import Path

from barcode import Code128
from barcode.writer import SVGWriter
from reportlab.lib.colors import HexColor
from reportlab.lib.units import inch, mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen.canvas import Canvas

from emr.errors import ValidationError
from emr.localtime import now_local
from emr.printing import write_atomically
from emr.printing.letterhead import (
    FOOTER_HEIGHT,
    HEADER_HEIGHT,
    INK,
    MARGIN,
    MUTED,
    PAGE_SIZE,
    RULE,
    NumberedCanvas,
    check_printable,
    document_fonts,
    draw_footer,
    draw_letterhead,
    draw_text,
    text_width,
)
from emr.services.context import Actor
from emr.services.practice import PracticeRecord, get_practice
from emr.services.prescriptions import PrintablePrescription, print_prescriptions

PER_PAGE = (1, 2, 4)  # a whole page, halves, or quarters (two columns)
GAP = 0.2 * inch
PADDING = 10.0
COPY_COLOUR = HexColor("#b00020")
WATERMARK = HexColor("#e3e3e3")
BARCODE_MODULE_MM = 0.33  # the narrowest bar; scanners read 0.25 mm and up
BARCODE_HEIGHT_MM = 10.0
BARCODE_QUIET_MM = 2.5
_SVG = "{http://www.w3.org/2000/svg}"
_LENGTH = re.compile(r"^([0-9.]+)mm$")


def prescription_pdf(
    actor: Actor,
    prescription_ids: list[int],
    *,
    out: Path | None = None,
    per_page: int = 1,
) -> bytes:
    """The signed prescriptions as PDF bytes (also written to `out` if given). The printing
    is counted and audited only when the document was made (and written)."""
    if per_page not in PER_PAGE:
        raise ValidationError(
            {"per_page": f"Prescriptions print {', '.join(map(str, PER_PAGE))} to a page."}
        )
    practice = get_practice(actor)
    printed_at = now_local()

    def render(items: list[PrintablePrescription]) -> bytes:
        pdf = render_prescriptions(items, practice, per_page=per_page, printed_at=printed_at)
        if out is not None:
            write_atomically(Path(out), pdf)
        return pdf

    return print_prescriptions(actor, list(dict.fromkeys(prescription_ids)), render)


def render_prescriptions(
    items: Sequence[PrintablePrescription],
    practice: PracticeRecord,
    *,
    per_page: int = 1,
    printed_at: datetime | None = None,
) -> bytes:
    """Lay the prescriptions out `per_page` to a page on the letterhead."""
    for item in items:
        rx = item.prescription
        check_printable(
            item.patient_name,
            *item.patient_address,
            item.prescriber_name,
            rx.drug_display,
            rx.sig,
            rx.pharmacy_note,
        )
    printed_at = printed_at or now_local()
    buffer = BytesIO()
    canvas = NumberedCanvas(buffer, pagesize=PAGE_SIZE)
    title = "Prescription" if len(items) == 1 else "Prescriptions"
    canvas.setTitle(title)
    canvas.setAuthor(practice.name or "small-practice EMR")
    canvas.setCreator("small-practice EMR")
    boxes = _boxes(per_page)
    for start in range(0, len(items), per_page):
        page = items[start : start + per_page]
        copies = any(i.copy for i in page)
        draw_letterhead(canvas, None, practice, title, "COPY" if copies else "")
        for item, box in zip(page, boxes, strict=False):
            _PrescriptionBlock(canvas, item, box).draw()
        draw_footer(canvas, None, printed_at, "Only valid with the prescriber's signature")
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


# --- layout --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Box:
    x: float
    y: float  # bottom
    width: float
    height: float

    @property
    def top(self) -> float:
        return self.y + self.height

    @property
    def right(self) -> float:
        return self.x + self.width


def _boxes(per_page: int) -> list[Box]:
    """Where the prescriptions of a page go: the page between the letterhead and the footer,
    in one column (1 or 2) or two (4)."""
    page_width, page_height = PAGE_SIZE
    top = page_height - MARGIN - HEADER_HEIGHT - 0.15 * inch
    bottom = MARGIN + FOOTER_HEIGHT
    columns = 2 if per_page == 4 else 1
    rows = per_page // columns
    width = (page_width - 2 * MARGIN - (columns - 1) * GAP) / columns
    height = (top - bottom - (rows - 1) * GAP) / rows
    return [
        Box(MARGIN + c * (width + GAP), top - (r + 1) * height - r * GAP, width, height)
        for r in range(rows)
        for c in range(columns)
    ]


class _PrescriptionBlock:
    """One prescription drawn in its box, top down; the signature line and the barcode at the
    box's foot."""

    def __init__(self, canvas: Canvas, item: PrintablePrescription, box: Box) -> None:
        self.canvas = canvas
        self.item = item
        self.box = box
        self.fonts = document_fonts()
        self.left = box.x + PADDING
        self.right = box.right - PADDING
        self.width = self.right - self.left
        self.y = box.top - PADDING
        self.foot = box.y + PADDING + 58  # the signature and barcode zone

    def draw(self) -> None:
        c = self.canvas
        item, rx = self.item, self.item.prescription
        c.saveState()
        c.setStrokeColor(RULE)
        c.setLineWidth(0.75)
        c.roundRect(self.box.x, self.box.y, self.box.width, self.box.height, 6)
        if item.copy:
            self._watermark()

        room = self.width - (150 if item.copy else 80)  # clear of the number and COPY
        self._line(
            _shorten(item.prescriber_name, self.fonts.bold, 10.5, room), size=10.5, bold=True
        )
        ids = [f"NPI {item.prescriber_npi}" if item.prescriber_npi else "NPI not recorded"]
        if item.prescriber_dea:
            ids.append(f"DEA {item.prescriber_dea}")
        self._line("   ".join(ids), size=8.5, colour=MUTED)
        self._corner(rx)
        self._rule()

        self._label_line("Patient", item.patient_name, bold=True)
        self._label_line("Date of birth", f"{item.patient_dob:%m/%d/%Y}   MRN {item.patient_mrn}")
        if item.patient_address:
            self._label_line("Address", ", ".join(item.patient_address))
        self._rule()

        self._line("Rx", size=15, bold=True)
        self._wrapped(rx.drug_display, size=11.5, bold=True)
        self._wrapped(f"Sig: {rx.sig}", size=10)
        self._wrapped(f"Dispense: {rx.quantity_text}", size=10)
        refills = "no refills" if rx.refills == 0 else str(rx.refills)
        substitution = "DISPENSE AS WRITTEN" if rx.dispense_as_written else "Substitution permitted"
        self._wrapped(f"Refills: {refills}  ·  {substitution}", size=10)
        if rx.controlled:
            self._wrapped(f"Schedule {rx.schedule} controlled substance", size=9, bold=True)
        if rx.diagnosis_code:
            self._wrapped(f"Diagnosis: {rx.diagnosis_code}", size=9)
        if rx.pharmacy_note:
            self._wrapped(f"Note to pharmacist: {rx.pharmacy_note}", size=9)
        self._foot(rx)
        c.restoreState()

    # --- pieces ---------------------------------------------------------------------------

    def _font(self, bold: bool) -> str:
        return self.fonts.bold if bold else self.fonts.regular

    def _room(self, size: float) -> bool:
        return self.y - size * 1.25 >= self.foot

    def _line(self, text: str, *, size: float, bold: bool = False, colour=INK) -> None:
        self.y -= size * 1.25
        self.canvas.setFillColor(colour)
        draw_text(self.canvas, self.left, self.y, text, self._font(bold), size)

    def _label_line(self, label: str, value: str, *, bold: bool = False) -> None:
        if not self._room(9.5):
            return
        self.y -= 9.5 * 1.3
        self.canvas.setFillColor(MUTED)
        draw_text(self.canvas, self.left, self.y, label, self.fonts.regular, 8)
        self.canvas.setFillColor(INK)
        value = _shorten(value, self._font(bold), 9.5, self.width - 70)
        draw_text(self.canvas, self.left + 70, self.y, value, self._font(bold), 9.5)

    def _wrapped(self, text: str, *, size: float, bold: bool = False) -> None:
        font = self._font(bold)
        lines = simpleSplit(text, font, size, self.width) or [""]
        for number, line in enumerate(lines):
            if not self._room(size):
                return
            last = number == len(lines) - 1 or not self._room(size * 2)
            if last and number < len(lines) - 1:
                line = _shorten(line + " …", font, size, self.width)
            self._line(line, size=size, bold=bold)
            if last:
                return

    def _rule(self) -> None:
        self.y -= 6
        self.canvas.setStrokeColor(RULE)
        self.canvas.setLineWidth(0.5)
        self.canvas.line(self.left, self.y, self.right, self.y)
        self.y -= 2

    def _corner(self, rx) -> None:
        """The prescription's number and date at the top right, and COPY on a reprint."""
        c = self.canvas
        top = self.box.top - PADDING
        c.setFillColor(INK)
        c.setFont(self.fonts.bold, 10)
        c.drawRightString(self.right, top - 10.5 * 1.25, f"Rx #{rx.id}")
        c.setFont(self.fonts.regular, 9)
        c.drawRightString(self.right, top - 10.5 * 1.25 - 11.5, f"Date {rx.day:%m/%d/%Y}")
        if self.item.copy:
            c.setFillColor(COPY_COLOUR)
            c.setFont(self.fonts.bold, 11)
            c.drawRightString(self.right - 70, top - 10.5 * 1.25, "COPY")
            c.setFillColor(INK)

    def _watermark(self) -> None:
        c = self.canvas
        c.saveState()
        c.setFillColor(WATERMARK)
        size = min(self.box.width, self.box.height) / 3
        c.setFont(self.fonts.bold, size)
        c.translate(self.box.x + self.box.width / 2, self.box.y + self.box.height / 2)
        c.rotate(30)
        c.drawCentredString(0, -size / 3, "COPY")
        c.restoreState()

    def _foot(self, rx) -> None:
        """The barcode at the left; the signature line, the prescriber and the date at the
        right."""
        c = self.canvas
        bottom = self.box.y + PADDING
        width = draw_barcode(c, str(rx.id), self.left, bottom + 12)
        c.setFillColor(MUTED)
        c.setFont(self.fonts.regular, 7.5)
        c.drawString(self.left + BARCODE_QUIET_MM * mm, bottom + 3, f"Rx {rx.id}")
        line_left = max(self.left + width + 12, self.right - 3.2 * inch)
        line_y = bottom + 28
        c.setStrokeColor(INK)
        c.setLineWidth(0.75)
        c.line(line_left, line_y, self.right, line_y)
        c.setFillColor(INK)
        name = _shorten(
            f"Signature — {self.item.prescriber_name}",
            self.fonts.regular,
            8,
            self.right - line_left,
        )
        draw_text(c, line_left, line_y - 10, name, self.fonts.regular, 8)
        signed = f"Signed in the record {rx.signed_at:%m/%d/%Y}" if rx.signed_at else ""
        c.setFillColor(MUTED)
        c.setFont(self.fonts.regular, 7.5)
        c.drawString(line_left, line_y - 20, signed)


def _shorten(text: str, font: str, size: float, width: float) -> str:
    """The text, cut with an ellipsis where it would pass `width`."""
    if text_width(text, font, size) <= width:
        return text
    while text and text_width(text + "…", font, size) > width:
        text = text[:-1]
    return text.rstrip() + "…"


# --- the barcode ---------------------------------------------------------------------------


def barcode_svg(value: str) -> bytes:
    """The Code 128 symbol of `value` as python-barcode draws it (SVG, no text line)."""
    out = BytesIO()
    Code128(value, writer=SVGWriter()).write(
        out,
        options={
            "write_text": False,
            "module_width": BARCODE_MODULE_MM,
            "module_height": BARCODE_HEIGHT_MM,
            "quiet_zone": BARCODE_QUIET_MM,
        },
    )
    return out.getvalue()


def _mm(text: str | None) -> float:
    m = _LENGTH.match(text or "")
    if m is None:
        raise ValueError(f"unexpected SVG length {text!r}")
    return float(m[1])


def barcode_bars(value: str) -> tuple[float, float, list[tuple[float, float]]]:
    """(width, height, bars as (x, width)) in points, from python-barcode's SVG: x from the
    left edge; every bar spans the symbol's height."""
    root = ET.fromstring(barcode_svg(value))
    bars = []
    top = height = None
    for rect in root.iter(f"{_SVG}rect"):
        if "black" not in rect.get("style", ""):
            continue  # the white background
        bars.append((_mm(rect.get("x")) * mm, _mm(rect.get("width")) * mm))
        top, height = _mm(rect.get("y")) * mm, _mm(rect.get("height")) * mm
    if not bars or height is None or top is None:
        raise ValueError("python-barcode drew no bars")
    total = _mm(root.get("width")) * mm
    return total, height, bars


def draw_barcode(canvas: Canvas, value: str, x: float, y: float) -> float:
    """Draw the Code 128 bars of `value` with their bottom-left corner (quiet zone included)
    at (x, y); returns the width used."""
    width, height, bars = barcode_bars(value)
    canvas.saveState()
    canvas.setFillColor(HexColor("#000000"))
    for left, bar_width in bars:
        canvas.rect(x + left, y, bar_width, height, stroke=0, fill=1)
    canvas.restoreState()
    return width
