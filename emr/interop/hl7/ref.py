"""REF^I12: a referral to another provider. RF1 (status, priority, type), PRD for the
referring (RP) and the receiving provider (RT), PID, DG1 per ICD-10-CM diagnosis ("I10C"),
and the reason and letter as NTE comments."""

from __future__ import annotations

from emr.interop.hl7 import segments as seg
from emr.interop.hl7.encoding import Repeat, message, segment
from emr.models.patients import Patient
from emr.models.practice import PracticeProfile
from emr.models.prescribing import Referral
from emr.models.users import User

PRIORITIES = {"routine": ("R", "Routine"), "urgent": ("A", "ASAP"), "stat": ("S", "STAT")}


def diagnosis_codes(referral: Referral) -> list[str]:
    return [c.strip() for c in referral.diagnosis_codes.split(",") if c.strip()]


def rf1(r: Referral, h: seg.Header) -> str:
    code, text = PRIORITIES.get(r.urgency, ("R", "Routine"))
    return segment(
        "RF1",
        ("P", "Pending", "HL70283"),
        (code, text, "HL70280"),
        ("Med", "Medical", "HL70281"),
        ("WR", "Send Written Report", "HL70282"),
        ("O", "Outpatient", "HL70284"),
        (f"referral-{r.id}", h.authority),
        seg.when(r.sent_on) or seg.timestamp(h.now),
        None,
        None,
        Repeat(("O", "Provider Ordered", "HL70336")),
    )


def prd_referring(user: User | None, practice: PracticeProfile | None, h: seg.Header) -> str:
    family, given = seg.split_name(user.full_name) if user else ("", "")
    p = practice
    address = (
        (p.address_line1, p.address_line2, p.city, p.state, p.postal_code, "", "O") if p else None
    )
    return segment(
        "PRD",
        Repeat(("RP", "Referring Provider", "HL70286")),
        Repeat((family, given)),
        Repeat(address) if address and any(address[:5]) else None,
        None,
        seg.repeat_of(
            seg.xtn(p.phone, "WPN", "PH") if p else None, seg.xtn(p.fax, "WPN", "FX") if p else None
        ),
        None,
        Repeat((user.npi, "NPI")) if user and user.npi else None,
    )


def prd_receiving(r: Referral) -> str:
    lines = [line.strip() for line in r.to_address.splitlines() if line.strip()]
    address = (lines[0], "; ".join(lines[1:])) if lines else None
    return segment(
        "PRD",
        Repeat(("RT", "Referred to Provider", "HL70286")),
        Repeat(seg.xpn_free(r.to_name) or ("",)),
        Repeat((*address, "", "", "", "", "O")) if address else None,
        # PRD-4 location: the organization in its description (PL-9)
        ("", "", "", "", "", "", "", "", r.to_organization) if r.to_organization else None,
        seg.repeat_of(seg.xtn(r.to_phone, "WPN", "PH"), seg.xtn(r.to_fax, "WPN", "FX")),
        None,
        Repeat((r.to_npi, "NPI")) if r.to_npi else None,
    )


def build_ref(
    patient: Patient,
    referral: Referral,
    referring: User | None,
    practice: PracticeProfile | None,
    diagnoses: list[tuple[str, str]],
    h: seg.Header,
) -> str:
    """`diagnoses`: (ICD-10-CM code, description) of the referral's codes."""
    parts = [
        seg.msh(h, "REF^I12", "REF_I12"),
        rf1(referral, h),
        prd_referring(referring, practice, h),
        prd_receiving(referral),
        seg.pid(patient, h),
        *(seg.dg1(n, code, text) for n, (code, text) in enumerate(diagnoses, start=1)),
    ]
    comments = [  # with their HL7 table 0364 comment types
        (("1R", "Primary Reason", "HL70364"), referral.reason),
        (("RE", "Remark", "HL70364"), f"Specialty: {referral.to_specialty}"),
        (("GI", "General Instructions", "HL70364"), referral.letter_text),
    ]
    if not referral.to_specialty:
        del comments[1]
    written = [(kind, text) for kind, text in comments if text]
    for number, (kind, text) in enumerate(written, start=1):
        parts.append(seg.nte(number, text, "P", kind))
    return message(parts)
