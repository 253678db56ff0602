"""RDE^O11: a signed prescription for a pharmacy. ORC (new order), RXE with the drug (RxNorm
"RXNORM" when known), dose, quantity, refills, substitution and indication, TQ1 with the
timing and the sig as text, RXR with the route, NTE with the note to the pharmacist."""

from __future__ import annotations

from emr.interop.hl7 import segments as seg
from emr.interop.hl7.encoding import Repeat, coded, fits, message, segment
from emr.models.patients import Patient
from emr.models.prescribing import Prescription
from emr.models.users import User

RXNORM = "RXNORM"

# HL7 table 0162 routes, by the words a prescription uses.
ROUTES = {
    "oral": "PO",
    "by mouth": "PO",
    "po": "PO",
    "sublingual": "SL",
    "buccal": "BUC",
    "topical": "TP",
    "transdermal": "TD",
    "inhalation": "IH",
    "inhaled": "IH",
    "nasal": "NS",
    "intranasal": "NS",
    "ophthalmic": "OP",
    "otic": "OT",
    "rectal": "PR",
    "vaginal": "VG",
    "intramuscular": "IM",
    "subcutaneous": "SC",
    "intravenous": "IV",
    "intradermal": "ID",
}
# HL7 table 0335 repeat patterns, by the words of a frequency.
REPEAT_PATTERNS = {
    "once daily": "QD",
    "daily": "QD",
    "every day": "QD",
    "once a day": "QD",
    "twice daily": "BID",
    "twice a day": "BID",
    "three times daily": "TID",
    "three times a day": "TID",
    "four times daily": "QID",
    "four times a day": "QID",
    "at bedtime": "HS",
    "every morning": "QAM",
    "every evening": "QPM",
    "every 4 hours": "Q4H",
    "every 6 hours": "Q6H",
    "every 8 hours": "Q8H",
    "every 12 hours": "Q12H",
    "weekly": "QWEEK",
    "once weekly": "QWEEK",
    "as needed": "PRN",
    "bid": "BID",
    "tid": "TID",
    "qid": "QID",
    "qd": "QD",
    "qhs": "HS",
}


def route(p: Prescription) -> tuple:
    code = ROUTES.get(p.route.strip().lower(), "")
    if code:
        return (code, p.route, "HL70162")
    return ("", p.route or "Not specified")


def repeat_pattern(frequency: str) -> tuple | None:
    if not frequency:
        return None
    code = REPEAT_PATTERNS.get(frequency.strip().lower(), "")
    # RPT-1 is a CWE inside a component: its parts are subcomponents.
    return ((code, frequency, "HL70335") if code else ("", frequency),)


def drug(p: Prescription) -> tuple:
    name = " ".join(x for x in (p.drug_name, p.strength, p.dose_form) if x)
    if not fits(name):
        name = p.drug_name
    return coded(p.rxnorm, name, RXNORM) or ("", name)


def rxe(p: Prescription, prescriber: User | None, indication: tuple | None, h: seg.Header) -> str:
    low, high = seg.dose_amount(p.dose_amount)
    sig = p.sig_text if fits(p.sig_text) else ""
    dea = None
    if prescriber is not None and prescriber.dea_number:
        family, given = seg.split_name(prescriber.full_name)
        dea = Repeat(
            (prescriber.dea_number, family, given, "", "", "", "", "", ("DEA",), "L", "", "", "DEA")
        )
    return segment(
        "RXE",
        None,  # RXE-1 (quantity/timing) is left for TQ1 in 2.5.1
        drug(p),
        low or "0",  # RXE-3 is required: 0 when the dose is not a number (see the sig)
        high or None,
        coded("", p.dose_unit) or ("", "unit"),
        coded("", p.dose_form),
        Repeat(("", sig)) if sig else None,
        None,
        "1" if p.dispense_as_written else "0",  # HL7 0167 (NCPDP DAW): 1 = no substitution
        p.quantity or None,
        coded("", p.quantity_unit),
        str(p.refills),
        dea,
        None,
        f"rx-{p.id}",
        str(p.refills),
        *([None] * 10),  # RXE-17 … RXE-26
        Repeat(indication) if indication else None,
    )


def build_rde(
    patient: Patient,
    prescription: Prescription,
    prescriber: User | None,
    indication: tuple | None,
    h: seg.Header,
) -> str:
    """`indication`: the ICD-10-CM (code, description, "I10C") of the diagnosis, if any."""
    p = prescription
    signed = p.signed_at or h.now
    parts = [
        seg.msh(h, "RDE^O11", "RDE_O11"),
        seg.pid(patient, h),
        seg.orc("NW", f"rx-{p.id}", h, when=signed, ordering=prescriber),
        rxe(p, prescriber, indication, h),
        *seg.nte_lines(p.pharmacy_note),
        seg.tq1(
            repeat=repeat_pattern(p.frequency),
            duration_days=p.duration_days,
            start=signed,
            as_needed=p.as_needed,
            condition=p.as_needed_reason,
            instruction=p.sig_text,
        ),
        segment("RXR", route(p)),
    ]
    return message(parts)
