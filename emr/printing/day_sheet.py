"""The day sheet: one day's appointments per provider, on the letterhead, for the front desk
and the rooms. Cancelled appointments are left out; each provider starts a new page."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from io import BytesIO
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib.units import inch
from reportlab.platypus import Flowable, PageBreak, Paragraph, Spacer, Table, TableStyle

from emr.printing import write_atomically
from emr.printing.letterhead import (
    MUTED,
    RULE,
    SHADE,
    PageSubtitle,
    document_fonts,
    letterhead_document,
    paragraph_style,
)
from emr.services.context import Actor
from emr.services.practice import get_practice
from emr.services.schedule_setup import ProviderRecord, list_providers
from emr.services.scheduling import AppointmentRecord, day_schedule

# Column widths in points; together the width of a Letter page between the margins (7.3 in).
_COLUMNS = (
    ("Time", 0.45 * inch),
    ("Length", 0.56 * inch),
    ("Patient", 1.32 * inch),
    ("Date of birth", 0.76 * inch),
    ("Phone", 1.0 * inch),
    ("Type", 0.85 * inch),
    ("Status", 0.7 * inch),
    ("Reason / notes", 1.66 * inch),
)
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


@dataclass(frozen=True)
class DaySheet:
    pdf: bytes
    appointments: int  # printed, i.e. not cancelled
    providers: int


def day_title(day: date) -> str:
    return f"Day sheet — {day:%A}, {day:%B} {day.day}, {day.year}"


def day_sheet_pdf(
    actor: Actor, day: date, provider_id: int | None, out: Path | None = None
) -> bytes:
    """The day sheet as PDF bytes, of one provider or of all; also written to `out` if given."""
    return make_day_sheet(actor, day, provider_id, out).pdf


def make_day_sheet(
    actor: Actor, day: date, provider_id: int | None, out: Path | None = None
) -> DaySheet:
    """The day sheet and what is on it (for the CLI's summary)."""
    appointments = [a for a in day_schedule(actor, day, provider_id) if a.status != "cancelled"]
    providers = _providers(actor, provider_id, appointments)
    practice = get_practice(actor)
    buffer = BytesIO()
    doc = letterhead_document(buffer, practice, day_title(day))
    story: list[Flowable] = []
    for number, provider in enumerate(providers):
        if number:
            story.append(PageBreak())
        own = [a for a in appointments if a.provider_id == provider.id]
        story.extend(_provider_section(provider, own))
    doc.build(story)
    pdf = buffer.getvalue()
    if out is not None:
        write_atomically(out, pdf)
    return DaySheet(pdf=pdf, appointments=len(appointments), providers=len(providers))


def _providers(
    actor: Actor, provider_id: int | None, appointments: list[AppointmentRecord]
) -> list[ProviderRecord]:
    """The providers to print, by name; a provider no longer active still gets a section
    when they have appointments that day."""
    known = {p.id: p for p in list_providers(actor)}
    for a in appointments:
        known.setdefault(a.provider_id, ProviderRecord(a.provider_id, "", a.provider_name))
    if provider_id is not None:
        return [
            known.get(provider_id) or ProviderRecord(provider_id, "", f"Provider {provider_id}")
        ]
    return sorted(known.values(), key=lambda p: (p.full_name.casefold(), p.id))


def _text(value: str) -> str:
    return escape(value).replace("\n", "<br/>")


def _provider_section(
    provider: ProviderRecord, appointments: list[AppointmentRecord]
) -> list[Flowable]:
    heading = paragraph_style("provider", size=12, bold=True, spaceAfter=2)
    summary = paragraph_style("summary", size=8.5, textColor=MUTED, spaceAfter=6)
    count = len(appointments)
    booked = sum(a.minutes for a in appointments)
    hours, minutes = divmod(booked, 60)
    flow: list[Flowable] = [
        PageSubtitle(provider.full_name),
        Paragraph(_text(provider.full_name), heading),
    ]
    if not appointments:
        flow.append(Spacer(1, 6))
        flow.append(Paragraph("No appointments.", paragraph_style("empty", size=10)))
        return flow
    flow.append(
        Paragraph(
            f"{count} appointment{'s' if count != 1 else ''}, {hours} h {minutes:02d} min booked",
            summary,
        )
    )
    flow.append(_table(appointments))
    return flow


def _table(appointments: list[AppointmentRecord]) -> Table:
    fonts = document_fonts()
    cell = paragraph_style("cell", size=8)
    small = paragraph_style("small", size=7, textColor=MUTED)
    header = paragraph_style("header", size=7.5, bold=True)
    rows: list[list[object]] = [[Paragraph(name, header) for name, _ in _COLUMNS]]
    for a in appointments:
        notes = [Paragraph(_text(a.reason), cell)] if a.reason else []
        if a.notes:
            notes.append(Paragraph(_text(a.notes), small))
        rows.append(
            [
                Paragraph(f"{a.starts:%H:%M}", cell),
                Paragraph(f"{a.minutes} min", cell),
                [Paragraph(_text(a.patient_name), cell), Paragraph(_text(a.patient_mrn), small)],
                Paragraph(f"{a.patient_dob:%m/%d/%Y}", cell),
                Paragraph(_text(a.patient_phone), cell),
                Paragraph(_type_label(a), cell),
                Paragraph(_text(a.status_label), cell),
                notes or "",
            ]
        )
    table = Table(rows, colWidths=[w for _, w in _COLUMNS], repeatRows=1, hAlign="LEFT")
    style = [
        ("FONT", (0, 0), (-1, -1), fonts.regular, 8),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
        ("BACKGROUND", (0, 0), (-1, 0), SHADE),
        ("LINEBELOW", (0, 0), (-1, 0), 0.75, RULE),
        ("LINEBELOW", (0, 1), (-1, -1), 0.25, RULE),
    ]
    table.setStyle(TableStyle(style))
    return table


def _type_label(a: AppointmentRecord) -> str:
    """The type's name after a square in its schedule colour (when the font has one)."""
    name = _text(a.type_name)
    if not document_fonts().unicode or not _COLOUR.match(a.colour):
        return name
    return f'<font color="{a.colour}">\u25a0</font>&nbsp;{name}'
