"""The referral letter on the letterhead: to whom, about whom, the letter's paragraphs as the
physician edited them, and the signature block with the referring physician's name and NPI."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

from reportlab.lib.units import inch
from reportlab.platypus import Flowable, KeepTogether, Paragraph, Spacer, Table, TableStyle

from emr.codes.icd10 import get_icd10
from emr.errors import NotFound
from emr.printing import write_atomically
from emr.printing.letterhead import (
    MUTED,
    RULE,
    check_printable,
    letterhead_document,
    markup,
    paragraph_style,
)
from emr.security.permissions import Permission
from emr.services.context import Actor
from emr.services.patients import get_patient
from emr.services.practice import get_practice
from emr.services.referrals import ReferralRecord, get_referral

URGENCY_LABELS = {"routine": "Routine", "urgent": "Urgent", "stat": "STAT — same day"}


def referral_pdf(actor: Actor, referral_id: int, *, out: Path | None = None) -> bytes:
    """The referral's letter as PDF bytes (also written to `out` if given). Reading the
    referral is audited; text no font can print is refused by name (UnprintableText)."""
    actor.require(Permission.CHART_READ)
    referral = get_referral(actor, referral_id)
    patient = get_patient(actor, referral.patient_id)
    practice = get_practice(actor)
    patient_name = " ".join(
        p for p in (patient.given_name, patient.middle_name, patient.family_name) if p
    )
    check_printable(
        patient_name,
        referral.letter_text,
        referral.to_name,
        referral.to_address,
        referral.to_organization,
        referral.referring_provider_name,
        practice.name,
    )
    buffer = BytesIO()
    doc = letterhead_document(
        buffer,
        practice,
        "Referral",
        footer_note=f"Referral {referral.id} · {patient_name} · MRN {patient.mrn}",
    )
    doc.build(_story(referral, patient_name, patient.mrn, f"{patient.date_of_birth:%m/%d/%Y}"))
    pdf = buffer.getvalue()
    if out is not None:
        write_atomically(out, pdf)
    return pdf


def _diagnoses(codes: tuple[str, ...]) -> list[str]:
    lines = []
    for code in codes:
        try:
            lines.append(f"{code} {get_icd10(code).description}")
        except NotFound:
            lines.append(code)
    return lines


def _story(r: ReferralRecord, patient_name: str, mrn: str, dob: str) -> list[Flowable]:
    label = paragraph_style("label", size=8, textColor=MUTED)
    value = paragraph_style("value", size=10)
    bold = paragraph_style("bold", size=10, bold=True)
    body = paragraph_style("body", size=10.5, leading=14, spaceAfter=8)

    to_lines = [r.to_name, r.to_specialty, r.to_organization, *r.to_address.splitlines()]
    reach = ", ".join(
        f"{name} {number}" for name, number in (("Phone", r.to_phone), ("Fax", r.to_fax)) if number
    )
    if r.to_npi:
        reach += ("  ·  " if reach else "") + f"NPI {r.to_npi}"
    to_block = [Paragraph("To", label)]
    to_block += [
        Paragraph(markup(line), bold if i == 0 else value)
        for i, line in enumerate(to_lines)
        if line
    ]
    if reach:
        to_block.append(Paragraph(markup(reach), value))

    about = [
        Paragraph("Patient", label),
        Paragraph(markup(patient_name), bold),
        Paragraph(markup(f"Date of birth {dob}  ·  MRN {mrn}"), value),
        Spacer(1, 4),
        Paragraph("Urgency", label),
        Paragraph(
            markup(URGENCY_LABELS.get(r.urgency, r.urgency)),
            bold if r.urgency != "routine" else value,
        ),
    ]
    heading = Table([[to_block, about]], colWidths=[3.9 * inch, 3.4 * inch])
    heading.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("LINEBELOW", (0, 0), (-1, -1), 0.5, RULE),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 8),
            ]
        )
    )
    story: list[Flowable] = [heading, Spacer(1, 10)]
    story.append(Paragraph(markup(f"Reason for referral: {r.reason}"), bold))
    diagnoses = _diagnoses(r.diagnosis_codes)
    if diagnoses:
        story.append(Paragraph(markup("Diagnoses: " + "; ".join(diagnoses)), value))
    story.append(Spacer(1, 12))

    letter = r.letter_text.strip() or r.reason
    for paragraph in _paragraphs(letter):
        story.append(Paragraph(markup(paragraph), body))

    signature = [
        Spacer(1, 30),
        Paragraph("_" * 40, value),
        Paragraph(markup(r.referring_provider_name), bold),
        Paragraph(
            markup(
                f"NPI {r.referring_provider_npi}"
                if r.referring_provider_npi
                else "NPI not recorded"
            ),
            value,
        ),
        Paragraph("Referring physician", label),
    ]
    story.append(KeepTogether(signature))
    return story


def _paragraphs(text: str) -> list[str]:
    """Paragraphs split at blank lines; the single line breaks inside one are kept (lists)."""
    blocks: list[str] = []
    current: list[str] = []
    for line in text.replace("\r\n", "\n").split("\n"):
        if line.strip():
            current.append(line.rstrip())
        elif current:
            blocks.append("\n".join(current))
            current = []
    if current:
        blocks.append("\n".join(current))
    return blocks
