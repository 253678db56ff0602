"""The visit summary handed to the patient: the visit's date and provider, what was found and
what was decided (the assessment and plan of the note, signed or draft), the instructions,
current medications, allergies, the vitals measured that day and the next appointment."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from io import BytesIO
from pathlib import Path

from reportlab.lib.units import inch
from reportlab.platypus import Flowable, KeepTogether, Paragraph, Spacer, Table, TableStyle

from emr.localtime import now_local
from emr.printing import write_atomically
from emr.printing.letterhead import (
    MUTED,
    RULE,
    SHADE,
    check_printable,
    letterhead_document,
    markup,
    paragraph_style,
)
from emr.schedule_rules import FREE_STATUSES
from emr.security.permissions import Permission
from emr.services.allergies import allergy_state
from emr.services.context import Actor
from emr.services.encounters import EncounterDetail, get_encounter
from emr.services.medications import MedicationRecord, list_medications
from emr.services.patients import PatientRecord, get_patient
from emr.services.practice import get_practice
from emr.services.scheduling import AppointmentRecord, patient_appointments


@dataclass(frozen=True)
class VisitSummary:
    """What the printed summary shows, read through the services (each read audited)."""

    visit: EncounterDetail
    patient: PatientRecord
    medications: tuple[MedicationRecord, ...]
    allergies: str
    next_appointment: AppointmentRecord | None


def read_visit_summary(actor: Actor, encounter_id: int) -> VisitSummary:
    actor.require(Permission.CHART_READ)
    visit = get_encounter(actor, encounter_id)
    patient_id = visit.encounter.patient_id
    now = now_local()
    upcoming = (
        [
            a
            for a in patient_appointments(actor, patient_id)
            if a.starts > now and a.status not in FREE_STATUSES
        ]
        if actor.can(Permission.SCHEDULE_READ)
        else []
    )
    return VisitSummary(
        visit=visit,
        patient=get_patient(actor, patient_id),
        medications=tuple(list_medications(actor, patient_id, current_only=True)),
        allergies=allergy_state(actor, patient_id).text,
        next_appointment=min(upcoming, key=lambda a: a.starts) if upcoming else None,
    )


def visit_summary_pdf(actor: Actor, encounter_id: int, *, out: Path | None = None) -> bytes:
    """The summary of this visit as PDF bytes (also written to `out` if given)."""
    summary = read_visit_summary(actor, encounter_id)
    practice = get_practice(actor)
    patient = summary.patient
    name = _name(patient)
    note = summary.visit.note
    check_printable(
        name,
        summary.visit.encounter.provider_name,
        note.assessment,
        note.plan,
        summary.allergies,
        *(m.name for m in summary.medications),
    )
    buffer = BytesIO()
    doc = letterhead_document(
        buffer,
        practice,
        "Visit summary",
        footer_note=f"{name} · MRN {patient.mrn}",
    )
    doc.build(_story(summary))
    pdf = buffer.getvalue()
    if out is not None:
        write_atomically(out, pdf)
    return pdf


def _name(p: PatientRecord) -> str:
    return " ".join(part for part in (p.given_name, p.middle_name, p.family_name) if part)


def _when(moment: datetime) -> str:
    return f"{moment:%A}, {moment:%B} {moment.day}, {moment.year} at {moment:%I:%M %p}".replace(
        " 0", " "
    )


def _section(title: str, flowables: list[Flowable]) -> Flowable:
    heading = paragraph_style("section", size=11.5, bold=True, spaceBefore=10, spaceAfter=3)
    return KeepTogether([Paragraph(markup(title), heading), *flowables])


def _text(text: str, empty: str) -> list[Flowable]:
    style = paragraph_style("text", size=10, leading=13.5, spaceAfter=4)
    blocks = [b.strip() for b in text.replace("\r\n", "\n").split("\n\n") if b.strip()]
    if not blocks:
        return [Paragraph(markup(empty), paragraph_style("empty", size=10, textColor=MUTED))]
    return [Paragraph(markup(b), style) for b in blocks]


def _story(summary: VisitSummary) -> list[Flowable]:
    visit, patient = summary.visit, summary.patient
    encounter, note = visit.encounter, visit.note
    label = paragraph_style("label", size=8, textColor=MUTED)
    value = paragraph_style("value", size=10)
    bold = paragraph_style("bold", size=11, bold=True)

    about = [
        [
            [
                Paragraph("Patient", label),
                Paragraph(markup(_name(patient)), bold),
                Paragraph(
                    markup(f"Date of birth {patient.date_of_birth:%m/%d/%Y}  ·  MRN {patient.mrn}"),
                    value,
                ),
            ],
            [
                Paragraph("Visit", label),
                Paragraph(markup(_when(encounter.occurred_at)), bold),
                Paragraph(
                    markup(
                        f"{encounter.encounter_type} with {encounter.provider_name}"
                        + (f" — {encounter.reason}" if encounter.reason else "")
                    ),
                    value,
                ),
            ],
        ]
    ]
    header = Table(about, colWidths=[3.4 * inch, 3.9 * inch])
    header.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("LINEBELOW", (0, 0), (-1, -1), 0.5, RULE),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 8),
            ]
        )
    )
    story: list[Flowable] = [header]
    if not note.signed:
        story.append(
            Paragraph(
                "Draft: your provider has not signed the note of this visit yet.",
                paragraph_style("draft", size=8.5, textColor=MUTED, spaceBefore=4),
            )
        )

    story.append(_section("What we found (assessment)", _text(note.assessment, "Not written.")))
    diagnoses = [m.description for m in visit.made_of("diagnosis")]
    if diagnoses:
        story.append(
            _section(
                "Diagnoses recorded at this visit",
                [Paragraph(markup(d), value) for d in diagnoses],
            )
        )
    story.append(
        _section("Your plan and instructions", _text(note.plan, "No instructions written."))
    )
    vitals = [m.description for m in visit.made_of("vitals")]
    if vitals:
        story.append(_section("Measured at this visit", [_table([[v] for v in vitals])]))
    story.append(_section("Your medications", _medications(summary.medications)))
    story.append(_section("Allergies", [Paragraph(markup(summary.allergies), value)]))
    story.append(_section("Next appointment", _next(summary.next_appointment)))
    story.append(Spacer(1, 14))
    story.append(
        Paragraph(
            "Questions? Call our office. In an emergency call 911.",
            paragraph_style("closing", size=9, textColor=MUTED),
        )
    )
    return story


def _table(rows: list[list[str]], widths: list[float] | None = None) -> Table:
    cell = paragraph_style("cell", size=9.5)
    table = Table(
        [[Paragraph(markup(c), cell) for c in row] for row in rows],
        colWidths=widths or [7.3 * inch],
    )
    table.setStyle(
        TableStyle(
            [
                ("ROWBACKGROUNDS", (0, 0), (-1, -1), [None, SHADE]),
                ("LEFTPADDING", (0, 0), (-1, -1), 4),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    return table


def _medications(medications: tuple[MedicationRecord, ...]) -> list[Flowable]:
    if not medications:
        return [
            Paragraph(
                "No current medications recorded.",
                paragraph_style("empty", size=10, textColor=MUTED),
            )
        ]
    rows = [[m.name, m.sig, m.instructions] for m in medications]
    return [_table(rows, [2.4 * inch, 2.4 * inch, 2.5 * inch])]


def _next(appointment: AppointmentRecord | None) -> list[Flowable]:
    if appointment is None:
        return [
            Paragraph(
                "None booked. Please call us to book your follow-up if one was advised.",
                paragraph_style("empty", size=10),
            )
        ]
    return [
        Paragraph(markup(_when(appointment.starts)), paragraph_style("next", size=10, bold=True)),
        Paragraph(
            markup(f"{appointment.type_name} with {appointment.provider_name}"),
            paragraph_style("value", size=10),
        ),
    ]
