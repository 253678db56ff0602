"""ADT: a patient registered (A04) or changed (A08); person added (A28) or updated (A31)."""

from __future__ import annotations

from emr.interop.hl7 import segments as seg
from emr.interop.hl7.encoding import message
from emr.models.patients import Patient

# Trigger -> the 2.5.1 message structure (HL7 table 0354).
STRUCTURES = {"A04": "ADT_A01", "A08": "ADT_A01", "A28": "ADT_A05", "A31": "ADT_A05"}


def build_adt(event: str, patient: Patient, h: seg.Header) -> str:
    if event not in STRUCTURES:
        raise ValueError(f"not an ADT event we send: {event}")
    parts = [
        seg.msh(h, f"ADT^{event}", STRUCTURES[event]),
        seg.evn(event, h),
        seg.pid(patient, h),
        seg.nk1_emergency_contact(patient),
        seg.pv1(None, None, h),
        seg.in1(patient),
    ]
    return message([p for p in parts if p])
