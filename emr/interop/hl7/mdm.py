"""MDM: a signed note (T02, original document with content) and an addendum to it (T08, edit
notification with content). TXA describes the document; its text goes in OBX segments of type
TX, one line each, grouped by section (OBX-4 sub-id) under the section's LOINC code."""

from __future__ import annotations

from datetime import datetime

from emr.interop.hl7 import segments as seg
from emr.interop.hl7.encoding import Text, message, segment
from emr.models.chart import Addendum, Encounter, Note
from emr.models.patients import Patient
from emr.models.users import User

SECTIONS = (  # the SOAP note's sections, by their LOINC section codes
    ("subjective", "61150-9", "Subjective"),
    ("objective", "61149-1", "Objective"),
    ("assessment", "51848-0", "Assessment"),
    ("plan", "18776-5", "Plan"),
)
ADDENDUM_SECTION = ("ADDENDUM", "Addendum", "L")
PROGRESS_NOTE = "PR"  # HL7 table 0270 document type (PR progress note)


def text_lines(
    set_start: int, sub_id: str, identifier: tuple, text: str, when: datetime
) -> list[str]:
    """One OBX TX per line of the text (an empty text: one empty line)."""
    return [
        segment(
            "OBX",
            str(set_start + n),
            "TX",
            identifier,
            sub_id,
            Text(line) if line else None,
            None,
            None,
            None,
            None,
            None,
            "F",
            None,
            None,
            seg.timestamp(when),
        )
        for n, line in enumerate(text.split("\n"))
    ]


def txa(
    document_number: str,
    h: seg.Header,
    *,
    activity_at: datetime,
    signed_at: datetime,
    author: User | None,
    parent_number: str = "",
) -> str:
    author_xcn = seg.xcn(author, h)
    authenticated = (
        (*author_xcn[:13], "", signed_at and seg.timestamp(signed_at)) if author_xcn else None
    )
    return segment(
        "TXA",
        "1",
        PROGRESS_NOTE,
        "TX",
        seg.timestamp(activity_at),
        seg.repeat_of(author_xcn),
        seg.timestamp(signed_at),
        None,
        None,
        seg.repeat_of(author_xcn),
        None,
        None,
        (document_number, h.authority),
        (parent_number, h.authority) if parent_number else None,
        None,
        None,
        None,
        "LA",  # TXA-17 completion: legally authenticated (signed)
        None,
        "AV",  # TXA-19 availability: available for patient care
        None,
        None,
        seg.repeat_of(authenticated),
    )


def build_note(
    patient: Patient, encounter: Encounter, note: Note, author: User | None, h: seg.Header
) -> str:
    """MDM^T02 for a signed note."""
    signed_at = note.signed_at or h.now
    parts = [
        seg.msh(h, "MDM^T02", "MDM_T02"),
        seg.evn("T02", h),
        seg.pid(patient, h),
        seg.pv1(encounter, author, h),
        txa(
            f"note-{note.id}",
            h,
            activity_at=encounter.occurred_at,
            signed_at=signed_at,
            author=author,
        ),
    ]
    sections = [
        (str(n), (code, name, seg.LOINC), getattr(note, key))
        for n, (key, code, name) in enumerate(SECTIONS, start=1)
    ]
    written = [s for s in sections if s[2]] or sections[:1]
    for sub_id, identifier, text in written:
        parts += text_lines(len(parts) - 4, sub_id, identifier, text, signed_at)
    return message(parts)


def build_addendum(
    patient: Patient,
    encounter: Encounter,
    note: Note,
    addendum: Addendum,
    author: User | None,
    h: seg.Header,
) -> str:
    """MDM^T08 for an addendum: its own document number, the note's as its parent."""
    parts = [
        seg.msh(h, "MDM^T08", "MDM_T02"),
        seg.evn("T08", h),
        seg.pid(patient, h),
        seg.pv1(encounter, author, h),
        txa(
            f"addendum-{addendum.id}",
            h,
            activity_at=encounter.occurred_at,
            signed_at=addendum.signed_at,
            author=author,
            parent_number=f"note-{note.id}",
        ),
    ]
    parts += text_lines(1, "1", ADDENDUM_SECTION, addendum.text, addendum.signed_at)
    return message(parts)
