"""VXU^V04: an immunization for a registry, as the CDC's HL7 2.5.1 Implementation Guide for
Immunization Messaging (Release 1.5) asks: ORC, RXA with CVX and MVX codes, lot and expiry,
administered (RXA-9 NIP001 00) or historical (01), refusals (RXA-18 NIP002, RXA-20 RE), RXR
with route and site."""

from __future__ import annotations

import re

from emr.interop.hl7 import segments as seg
from emr.interop.hl7.encoding import coded, message, segment
from emr.models.clinical import Immunization
from emr.models.patients import Patient
from emr.models.users import User

# HL7 0162 routes and 0163 sites as the immunization service stores them; the labels are sent
# beside the codes.
ROUTES = {
    "IM": ("C28161", "Intramuscular"),
    "SC": ("C38299", "Subcutaneous"),
    "ID": ("C38238", "Intradermal"),
    "PO": ("C38288", "Oral"),
    "IN": ("C38284", "Intranasal"),
    "IV": ("C38276", "Intravenous"),
    "TD": ("C38305", "Transdermal"),
}
REFUSAL_REASONS = {  # CDC NIP002, by the label the chart stores
    "patient decision": "03",
    "parental decision": "00",
    "religious exemption": "01",
    "other": "02",
}
UNKNOWN_AMOUNT = "999"  # the guide's value when the amount is not known (and for refusals)


def administered_amount(dose: str) -> tuple[str, tuple | None]:
    """(RXA-6, RXA-7) from the dose as typed: "0.5 mL" -> ("0.5", mL)."""
    found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(ml|mL|ML)?\s*", dose or "")
    if not found:
        return UNKNOWN_AMOUNT, None
    return found.group(1), ("mL", "milliliter", "UCUM")


def rxa(i: Immunization, h: seg.Header) -> str:
    if i.refused:
        amount, units = UNKNOWN_AMOUNT, None
        notes = None
        code = REFUSAL_REASONS.get(i.refusal_reason.strip().lower(), "")
        refusal = coded(code, i.refusal_reason, "NIP002")
        completion = "RE"
    else:
        amount, units = administered_amount(i.dose)
        notes = (
            ("01", "Historical information - source unspecified", "NIP001")
            if i.historical
            else ("00", "New immunization record", "NIP001")
        )
        refusal = None
        completion = "CP"
    given_by = seg.xpn_free(i.administered_by)
    return segment(
        "RXA",
        "0",
        "1",
        seg.day(i.given_on),
        seg.day(i.given_on),  # RXA-4 (required): the same day
        (i.cvx_code, i.vaccine, "CVX"),
        amount,
        units,
        None,
        notes,
        # RXA-10 administering provider: the name as recorded (no identifier is kept)
        ("", *given_by) if given_by and not i.historical else None,
        None,
        None,
        None,
        None,
        i.lot_number or None,
        seg.day(i.expires_on) or None,
        coded(i.mvx_code, i.manufacturer, "MVX"),
        refusal,
        None,
        completion,
        "D" if i.entered_in_error else "A",
    )


def rxr(i: Immunization) -> str | None:
    if not i.route:
        return None
    ncit, label = ROUTES.get(i.route, ("", i.route))
    from emr.services.immunizations import site_label  # the labels of table 0163

    route = (
        (ncit, label, "NCIT", i.route, label, "HL70162") if ncit else (i.route, label, "HL70162")
    )
    site = coded(i.site, site_label(i.site), "HL70163") if i.site else None
    return segment("RXR", route, site)


def build_vxu(
    patient: Patient, immunization: Immunization, ordering: User | None, h: seg.Header
) -> str:
    i = immunization
    parts = [
        seg.msh(h, "VXU^V04", "VXU_V04"),
        seg.pid(patient, h),
        seg.nk1_emergency_contact(patient),
        seg.orc(
            "RE",
            f"imm-{i.id}",
            h,
            placer=False,
            ordering=ordering if not (i.historical or i.refused) else None,
        ),
        rxa(i, h),
        rxr(i),
    ]
    return message([p for p in parts if p])
