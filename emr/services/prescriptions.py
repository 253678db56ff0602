"""Prescriptions: drafted from the chart (a nurse may draft), checked against the chart's
allergies, medications and other drafts, signed by a physician (with a reason for every major
or contraindicated alert overridden), renewed, discontinued and printed.

Signing puts the drug on the patient's medication list (source "here", with the prescription
that started it); discontinuing stops it there; both in the same transaction as the
prescription. Controlled substances (DEA schedule II–V) are signed only by a prescriber with a
DEA number, and their quantity is written in words as well as digits.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from emr.codes import fold
from emr.codes.drugs import find_drug
from emr.errors import NotFound, PermissionDenied, UserError, ValidationError
from emr.localtime import to_local
from emr.models.base import utcnow
from emr.models.clinical import Allergy, Medication, Problem
from emr.models.patients import Patient
from emr.models.prescribing import Prescription
from emr.models.users import User
from emr.prescribing_checks import (
    Alert,
    AllergyInHand,
    check_prescribing,
    drug_in_hand,
)
from emr.security.permissions import Permission
from emr.services.clinical import (
    check_encounter,
    check_version,
    load_row,
    mark_entered_in_error_in,
    open_chart_in,
    record_clinical,
)
from emr.services.context import Actor
from emr.services.medications import is_current

ENTITY = "prescriptions"
STATUSES = {"draft": "Draft", "signed": "Signed", "discontinued": "Discontinued"}
CONTROLLED_SCHEDULES = ("II", "III", "IV", "V")
MAX_REFILLS = 11  # a year's supply of monthly fills
MAX_REFILLS_SCHEDULE = {"II": 0, "III": 5, "IV": 5}  # federal limits (21 CFR 1306.12, .22)
MAX_QUANTITY = 9999
MAX_DURATION_DAYS = 365

# How the sig says each route: (verb, where). Keys are what a prescription stores.
ROUTES: dict[str, tuple[str, str]] = {
    "oral": ("Take", "by mouth"),
    "sublingual": ("Dissolve", "under the tongue"),
    "buccal": ("Dissolve", "in the cheek"),
    "inhalation": ("Inhale", "by mouth"),
    "nasal": ("Spray", "in each nostril"),
    "topical": ("Apply", "to the affected area"),
    "transdermal": ("Apply", "to the skin"),
    "ophthalmic": ("Instill", "in the affected eye"),
    "otic": ("Instill", "in the affected ear"),
    "subcutaneous": ("Inject", "under the skin"),
    "intramuscular": ("Inject", "into the muscle"),
    "rectal": ("Insert", "rectally"),
    "vaginal": ("Insert", "vaginally"),
}
_ROUTE_ALIASES = {
    "by mouth": "oral",
    "po": "oral",
    "orally": "oral",
    "mouth": "oral",
    "under the tongue": "sublingual",
    "sl": "sublingual",
    "inhaled": "inhalation",
    "inhale": "inhalation",
    "respiratory (inhalation)": "inhalation",
    "intranasal": "nasal",
    "in the nose": "nasal",
    "applied to the skin": "topical",
    "cutaneous": "topical",
    "skin": "topical",
    "transdermal patch": "transdermal",
    "in the eye": "ophthalmic",
    "in the ear": "otic",
    "subcut": "subcutaneous",
    "sc": "subcutaneous",
    "sq": "subcutaneous",
    "im": "intramuscular",
    "pr": "rectal",
}
FREQUENCIES = (
    "once daily",
    "twice daily",
    "three times daily",
    "four times daily",
    "every morning",
    "at bedtime",
    "every 4 hours",
    "every 6 hours",
    "every 8 hours",
    "every 12 hours",
    "once weekly",
    "once",
)
_FREQUENCY_ALIASES = {
    "daily": "once daily",
    "qd": "once daily",
    "od": "once daily",
    "bid": "twice daily",
    "tid": "three times daily",
    "qid": "four times daily",
    "qam": "every morning",
    "qhs": "at bedtime",
    "hs": "at bedtime",
    "q4h": "every 4 hours",
    "q6h": "every 6 hours",
    "q8h": "every 8 hours",
    "q12h": "every 12 hours",
    "weekly": "once weekly",
}
DOSE_UNITS = (
    "tablet",
    "capsule",
    "mL",
    "puff",
    "drop",
    "spray",
    "patch",
    "application",
    "unit",
    "suppository",
    "mg",
    "g",
)
_COUNTABLE = {
    "tablet",
    "capsule",
    "puff",
    "drop",
    "spray",
    "patch",
    "application",
    "unit",
    "suppository",
    "lozenge",
    "packet",
    "vial",
    "pen",
    "inhaler",
    "syringe",
}
_PLURALS = {"patch": "patches"}
QUANTITY_UNITS = (
    "tablets",
    "capsules",
    "mL",
    "g",
    "inhalers",
    "bottles",
    "tubes",
    "patches",
    "pens",
    "vials",
    "boxes",
    "units",
)
AS_NEEDED_REASONS = (
    "pain",
    "fever",
    "nausea",
    "anxiety",
    "sleep",
    "shortness of breath",
    "itching",
)
DISCONTINUE_REASONS = (
    "Course completed",
    "Side effects",
    "Not effective",
    "Replaced by another medication",
    "Patient's choice",
    "Prescribed in error",
)
_LENGTHS = {  # the columns' sizes (emr/models/prescribing.py)
    "drug_name": 300,
    "brand_name": 200,
    "rxnorm": 12,
    "strength": 100,
    "dose_form": 100,
    "route": 40,
    "dose_amount": 20,
    "dose_unit": 30,
    "frequency": 60,
    "as_needed_reason": 200,
    "quantity": 20,
    "quantity_unit": 30,
    "pharmacy_note": 1000,
}
MAX_REASON = 200
_AMOUNT = re.compile(r"^(\d+(?:\.\d+)?(?:/\d+)?)(?:\s*(?:-|to)\s*(\d+(?:\.\d+)?))?$")
_QUANTITY = re.compile(r"^\d+(?:\.\d+)?$")


# --- the sig and the quantity as text ----------------------------------------------------------


def route_key(route: str) -> str:
    """The route as a prescription stores it ("oral"), from what a person or the formulary
    wrote ("by mouth", "PO", "Oral")."""
    text = " ".join(route.casefold().split())
    return _ROUTE_ALIASES.get(text, text)


def frequency_text(frequency: str) -> str:
    text = " ".join(frequency.split())
    return _FREQUENCY_ALIASES.get(text.casefold().replace(".", ""), text)


def _amount_value(amount: str) -> float | None:
    """The largest number in a dose ("1-2" -> 2, "1/2" -> 0.5); None when not a dose."""
    m = _AMOUNT.match(amount.strip())
    if m is None:
        return None
    first = m[1]
    if "/" in first:
        top, bottom = first.split("/")
        value = int(top) / int(bottom) if int(bottom) else 0.0
    else:
        value = float(first)
    return max(value, float(m[2])) if m[2] else value


def unit_text(unit: str, amount: str) -> str:
    """ "tablet" or "tablets" as the amount needs; units that are not counted stay as they are."""
    unit = unit.strip()
    value = _amount_value(amount)
    if unit.casefold() in _COUNTABLE and value is not None and value > 1:
        return _PLURALS.get(unit.casefold(), unit + "s")
    return unit


def render_sig(
    *,
    dose_amount: str,
    dose_unit: str,
    route: str,
    frequency: str,
    duration_days: int | None = None,
    as_needed: bool = False,
    as_needed_reason: str = "",
) -> str:
    """The directions as the patient reads them: "Take 1 tablet by mouth twice daily for 10
    days", "Take 1 tablet by mouth every 6 hours as needed for pain"."""
    key = route_key(route)
    verb, where = ROUTES.get(key, ("Use", route.strip()))
    amount = dose_amount.strip()
    parts = [verb, amount, unit_text(dose_unit, amount), where, frequency_text(frequency)]
    sig = " ".join(p for p in parts if p)
    if as_needed:
        reason = as_needed_reason.strip()
        sig += f" as needed for {reason}" if reason else " as needed"
    if duration_days:
        days = f"{duration_days} day{'' if duration_days == 1 else 's'}"
        sig += f" for up to {days}" if as_needed else f" for {days}"
    return sig


_ONES = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS = ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def number_in_words(n: int) -> str:
    """0 to 9999 in words: 30 -> "thirty", 120 -> "one hundred twenty"."""
    if not 0 <= n <= 9999:
        raise ValueError(n)
    if n < 20:
        return _ONES[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return _TENS[tens] + (f"-{_ONES[ones]}" if ones else "")
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        return f"{_ONES[hundreds]} hundred" + (f" {number_in_words(rest)}" if rest else "")
    thousands, rest = divmod(n, 1000)
    return f"{_ONES[thousands]} thousand" + (f" {number_in_words(rest)}" if rest else "")


def quantity_in_words(quantity: str) -> str:
    """ "30" -> "thirty (30)", as a controlled-substance prescription must write it."""
    return f"{number_in_words(int(quantity))} ({int(quantity)})"


def is_controlled(schedule: str) -> bool:
    return schedule in CONTROLLED_SCHEDULES


# --- records -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PrescriptionInput:
    """What the prescriber chooses. The drug's classes and schedule come from the formulary
    when it knows the drug; `drug_classes` and `schedule` are kept for drugs it does not."""

    drug_name: str
    strength: str = ""
    dose_form: str = ""
    route: str = "oral"
    dose_amount: str = ""
    dose_unit: str = ""
    frequency: str = ""
    duration_days: int | None = None
    as_needed: bool = False
    as_needed_reason: str = ""
    quantity: str = ""
    quantity_unit: str = ""
    refills: int = 0
    dispense_as_written: bool = False
    pharmacy_note: str = ""
    diagnosis_code: str = ""
    problem_id: int | None = None
    encounter_id: int | None = None
    brand_name: str = ""
    rxnorm: str = ""
    drug_classes: tuple[str, ...] = ()
    schedule: str = ""
    prescriber_id: int | None = None  # default: the user drafting it

    @property
    def sig(self) -> str:
        return render_sig(
            dose_amount=self.dose_amount,
            dose_unit=self.dose_unit,
            route=self.route,
            frequency=self.frequency,
            duration_days=self.duration_days,
            as_needed=self.as_needed,
            as_needed_reason=self.as_needed_reason,
        )


@dataclass(frozen=True)
class OverriddenAlert:
    key: str
    severity: str
    kind: str
    text: str
    reason: str


@dataclass(frozen=True)
class PrescriptionRecord:
    id: int
    patient_id: int
    encounter_id: int | None
    status: str  # draft signed discontinued
    drug_name: str
    brand_name: str
    rxnorm: str
    strength: str
    dose_form: str
    route: str
    drug_classes: tuple[str, ...]
    schedule: str
    dose_amount: str
    dose_unit: str
    frequency: str
    duration_days: int | None
    as_needed: bool
    as_needed_reason: str
    sig: str
    quantity: str
    quantity_unit: str
    refills: int
    dispense_as_written: bool
    pharmacy_note: str
    diagnosis_code: str
    problem_id: int | None
    prescriber_id: int
    prescriber_name: str
    signed_by: int | None
    signed_at: datetime | None  # local
    discontinued_at: datetime | None  # local
    discontinue_reason: str
    renewed_from_id: int | None
    medication_id: int | None
    times_printed: int
    overridden: tuple[OverriddenAlert, ...]
    entered_in_error: bool
    error_reason: str
    written_at: datetime  # local
    version: int

    @property
    def controlled(self) -> bool:
        return is_controlled(self.schedule)

    @property
    def drug_display(self) -> str:
        """ "amoxicillin 500 mg capsule (Amoxil)"."""
        text = " ".join(p for p in (self.drug_name, self.strength, self.dose_form) if p)
        return f"{text} ({self.brand_name})" if self.brand_name else text

    @property
    def quantity_text(self) -> str:
        """ "30 tablets"; for a controlled substance "thirty (30) tablets"."""
        amount = self.quantity
        if self.controlled and amount.isdigit():
            amount = quantity_in_words(amount)
        return " ".join(p for p in (amount, self.quantity_unit) if p)

    @property
    def status_label(self) -> str:
        return STATUSES.get(self.status, self.status)

    @property
    def day(self) -> date:
        """The day it was signed, or written for a draft."""
        return (self.signed_at or self.written_at).date()

    def to_input(self) -> PrescriptionInput:
        return PrescriptionInput(
            **{
                f.name: getattr(self, f.name)
                for f in fields(PrescriptionInput)
                if f.name != "prescriber_id"
            },
            prescriber_id=self.prescriber_id,
        )


@dataclass(frozen=True)
class PrintablePrescription:
    """What a printed prescription shows; `copy` when it was printed before."""

    prescription: PrescriptionRecord
    copy: bool
    patient_name: str
    patient_dob: date
    patient_address: tuple[str, ...]
    patient_mrn: str
    prescriber_name: str
    prescriber_npi: str
    prescriber_dea: str


class PrescriptionNeedsOverride(UserError):
    """Signing was refused: these alerts need a reason each (major or contraindicated)."""

    def __init__(self, alerts: Sequence[Alert]) -> None:
        self.alerts = list(alerts)
        listed = "; ".join(a.text for a in self.alerts)
        super().__init__(f"Give a reason to override each of these alerts: {listed}")


# --- use cases ---------------------------------------------------------------------------------


def draft_prescription(
    actor: Actor, patient_id: int, data: PrescriptionInput
) -> PrescriptionRecord:
    """Write a draft (a nurse may draft one for the physician to sign)."""
    with actor.write() as s:
        emergency = open_chart_in(s, actor, patient_id, Permission.CHART_WRITE)
        values = _clean(s, patient_id, data)
        prescriber_id = _prescriber_id(s, actor, data.prescriber_id)
        row = Prescription(patient_id=patient_id, prescriber_id=prescriber_id, **values)
        s.add(row)
        s.flush()
        record_clinical(
            s,
            actor,
            "create",
            ENTITY,
            row.id,
            patient_id,
            f"draft {row.drug_name}",
            emergency=emergency,
        )
        return _record(s, row)


def update_draft(
    actor: Actor, prescription_id: int, expected_version: int, data: PrescriptionInput
) -> PrescriptionRecord:
    """Change a draft (every field is given again); a signed prescription is not changed."""
    with actor.write() as s:
        row = load_row(s, Prescription, prescription_id, "prescription")
        emergency = open_chart_in(s, actor, row.patient_id, Permission.CHART_WRITE)
        check_version(row, expected_version, "prescription")
        _require_draft(row, "changed")
        values = _clean(s, row.patient_id, data)
        changed = [k for k, v in values.items() if getattr(row, k) != v]
        for key, value in values.items():
            setattr(row, key, value)
        if data.prescriber_id is not None:
            row.prescriber_id = _prescriber_id(s, actor, data.prescriber_id)
        s.flush()
        record_clinical(
            s,
            actor,
            "update",
            ENTITY,
            row.id,
            row.patient_id,
            f"draft {row.drug_name}: {', '.join(changed) or 'nothing changed'}",
            emergency=emergency,
        )
        return _record(s, row)


def check_prescription(actor: Actor, prescription_id: int) -> list[Alert]:
    """The alerts for a draft, against the chart as it is now (most severe first)."""
    with actor.write() as s:  # the chart is read: audited
        row = load_row(s, Prescription, prescription_id, "prescription")
        emergency = open_chart_in(s, actor, row.patient_id, Permission.CHART_READ)
        alerts = _alerts(s, row)
        record_clinical(
            s,
            actor,
            "view",
            ENTITY,
            row.id,
            row.patient_id,
            f"checked {row.drug_name}: {len(alerts)} alert(s)",
            emergency=emergency,
        )
        return alerts


def sign_prescription(
    actor: Actor,
    prescription_id: int,
    expected_version: int,
    overrides: Mapping[str, str] | None = None,
) -> PrescriptionRecord:
    """Sign a draft as its prescriber. The checks run again now; each major or contraindicated
    alert needs a reason in `overrides` (alert key -> reason), else PrescriptionNeedsOverride.
    The drug goes on the medication list in the same transaction."""
    overrides = {k: (v or "").strip() for k, v in (overrides or {}).items()}
    actor.require(Permission.PRESCRIBE)
    if actor.user_id is None:
        raise PermissionDenied("A prescription is signed by a physician logged in as themself.")
    with actor.write() as s:
        row = load_row(s, Prescription, prescription_id, "prescription")
        emergency = open_chart_in(s, actor, row.patient_id, Permission.PRESCRIBE)
        check_version(row, expected_version, "prescription")
        _require_draft(row, "signed")
        signer = s.get(User, actor.user_id)
        if is_controlled(row.schedule) and not (signer.dea_number or "").strip():
            raise ValidationError(
                {
                    "": f"{row.drug_name} is a schedule {row.schedule} controlled substance: "
                    "it is signed only by a prescriber with a DEA number (ask the administrator "
                    "to add yours)."
                }
            )
        alerts = _alerts(s, row)
        missing = [a for a in alerts if a.needs_reason and not overrides.get(a.key)]
        if missing:
            raise PrescriptionNeedsOverride(missing)
        too_long = [a for a in alerts if len(overrides.get(a.key, "")) > MAX_REASON]
        if too_long:
            raise ValidationError(
                {a.key: f"The reason may be at most {MAX_REASON} characters." for a in too_long}
            )
        kept = [
            OverriddenAlert(a.key, a.severity, a.kind, a.text, overrides.get(a.key, ""))
            for a in alerts
        ]
        row.alerts_overridden = json.dumps([o.__dict__ for o in kept], ensure_ascii=False)
        row.status = "signed"
        row.prescriber_id = actor.user_id
        row.signed_by = actor.user_id
        row.signed_at = utcnow()
        _put_on_medication_list(s, actor, row, emergency)
        s.flush()
        record_clinical(
            s,
            actor,
            "sign",
            ENTITY,
            row.id,
            row.patient_id,
            f"signed {row.drug_name} {row.strength}: {row.sig_text}; {len(kept)} alert(s) shown",
            emergency=emergency,
        )
        for o in kept:
            if o.reason:
                record_clinical(
                    s,
                    actor,
                    "sign",
                    ENTITY,
                    row.id,
                    row.patient_id,
                    f"alert overridden ({o.severity}, {o.key}): {o.reason}",
                    emergency=emergency,
                )
        return _record(s, row)


def renew_prescription(actor: Actor, prescription_id: int) -> PrescriptionRecord:
    """A new draft copied from a signed (or discontinued) prescription, to check and sign."""
    with actor.write() as s:
        old = load_row(s, Prescription, prescription_id, "prescription")
        emergency = open_chart_in(s, actor, old.patient_id, Permission.CHART_WRITE)
        if old.entered_in_error:
            raise ValidationError({"": "This prescription is entered in error: it is not renewed."})
        if old.status == "draft":
            raise ValidationError({"": "This is a draft still: sign it, or change it."})
        copied = {k: getattr(old, k) for k in _COPIED}
        row = Prescription(
            patient_id=old.patient_id,
            prescriber_id=_prescriber_id(s, actor, old.prescriber_id),
            renewed_from_id=old.id,
            status="draft",
            **copied,
        )
        s.add(row)
        s.flush()
        record_clinical(
            s,
            actor,
            "create",
            ENTITY,
            row.id,
            row.patient_id,
            f"draft {row.drug_name}, renewing prescription {old.id}",
            emergency=emergency,
        )
        return _record(s, row)


def discontinue_prescription(
    actor: Actor, prescription_id: int, expected_version: int, reason: str
) -> PrescriptionRecord:
    """Stop a signed prescription, with the reason; its medication stops on the list today."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Give the reason the prescription is discontinued."})
    if len(reason) > MAX_REASON:
        raise ValidationError({"reason": f"The reason may be at most {MAX_REASON} characters."})
    actor.require(Permission.PRESCRIBE)
    with actor.write() as s:
        row = load_row(s, Prescription, prescription_id, "prescription")
        emergency = open_chart_in(s, actor, row.patient_id, Permission.PRESCRIBE)
        check_version(row, expected_version, "prescription")
        if row.entered_in_error:
            raise ValidationError({"": "This prescription is entered in error already."})
        if row.status != "signed":
            raise ValidationError(
                {
                    "": "Only a signed prescription is discontinued (a draft is marked entered "
                    "in error instead)."
                    if row.status == "draft"
                    else "This prescription is discontinued already."
                }
            )
        row.status = "discontinued"
        row.discontinued_at = utcnow()
        row.discontinue_reason = reason
        _stop_medication(s, actor, row, reason, emergency)
        s.flush()
        record_clinical(
            s,
            actor,
            "update",
            ENTITY,
            row.id,
            row.patient_id,
            f"discontinued {row.drug_name}: {reason}",
            emergency=emergency,
        )
        return _record(s, row)


def mark_prescription_entered_in_error(
    actor: Actor, prescription_id: int, expected_version: int, reason: str
) -> None:
    """A draft that should not have been written: it stays in the chart, struck. A signed
    prescription is discontinued instead."""
    with actor.write() as s:
        row = load_row(s, Prescription, prescription_id, "prescription")
        if row.status != "draft":
            raise ValidationError(
                {"": "A signed prescription is not entered in error: discontinue it."}
            )
        mark_entered_in_error_in(s, actor, row, reason, "prescription", expected_version)


def get_prescription(actor: Actor, prescription_id: int) -> PrescriptionRecord:
    with actor.write() as s:  # the view is audited
        row = load_row(s, Prescription, prescription_id, "prescription")
        emergency = open_chart_in(s, actor, row.patient_id, Permission.CHART_READ)
        record_clinical(
            s, actor, "view", ENTITY, row.id, row.patient_id, row.drug_name, emergency=emergency
        )
        return _record(s, row)


def list_prescriptions(
    actor: Actor, patient_id: int, include_errors: bool = False
) -> list[PrescriptionRecord]:
    """The patient's prescriptions: drafts first, then the signed and discontinued ones,
    newest first."""
    with actor.write() as s:  # the view is audited
        emergency = open_chart_in(s, actor, patient_id, Permission.CHART_READ)
        query = select(Prescription).where(Prescription.patient_id == patient_id)
        if not include_errors:
            query = query.where(Prescription.entered_in_error.is_(False))
        rows = list(s.scalars(query))
        names = _user_names(s, {r.prescriber_id for r in rows})
        records = [_record(s, r, names) for r in rows]
        record_clinical(
            s, actor, "view", ENTITY, None, patient_id, "prescriptions", emergency=emergency
        )
    records.sort(key=lambda r: (r.status != "draft", -r.written_at.timestamp(), -r.id))
    return records


Rendered = TypeVar("Rendered")


def print_prescriptions(
    actor: Actor,
    prescription_ids: Sequence[int],
    render: Callable[[list[PrintablePrescription]], Rendered],
) -> Rendered:
    """Hand the signed prescriptions to `render` (which makes the document) and count the
    printing, in one transaction: a document that fails to render is not counted. Each print
    is audited; a prescription printed before is given as a copy."""
    if not prescription_ids:
        raise ValidationError({"": "Choose the prescriptions to print."})
    with actor.write() as s:
        printable: list[PrintablePrescription] = []
        for prescription_id in prescription_ids:
            row = load_row(s, Prescription, prescription_id, "prescription")
            emergency = open_chart_in(s, actor, row.patient_id, Permission.CHART_READ)
            if row.entered_in_error or row.status != "signed":
                state = "entered in error" if row.entered_in_error else STATUSES[row.status]
                raise ValidationError(
                    {
                        "": f"Prescription {row.id} ({row.drug_name}) is "
                        f"{state.lower()}: only signed prescriptions are printed."
                    }
                )
            copy = row.times_printed > 0
            printable.append(_printable(s, row, copy))
            row.times_printed += 1
            s.flush()
            record_clinical(
                s,
                actor,
                "view",
                ENTITY,
                row.id,
                row.patient_id,
                f"printed {row.drug_name}"
                + (f" (copy, print {row.times_printed})" if copy else ""),
                emergency=emergency,
            )
        return render(printable)


# --- rules -------------------------------------------------------------------------------------

_COPIED = (
    "encounter_id",
    "drug_name",
    "brand_name",
    "rxnorm",
    "strength",
    "dose_form",
    "route",
    "drug_classes",
    "schedule",
    "dose_amount",
    "dose_unit",
    "frequency",
    "duration_days",
    "as_needed",
    "as_needed_reason",
    "sig_text",
    "quantity",
    "quantity_unit",
    "refills",
    "dispense_as_written",
    "pharmacy_note",
    "diagnosis_code",
    "problem_id",
)


def _require_draft(row: Prescription, what: str) -> None:
    if row.entered_in_error:
        raise ValidationError({"": "This prescription is entered in error: it is not " + what})
    if row.status != "draft":
        raise ValidationError(
            {"": f"This prescription is {STATUSES[row.status].lower()}: it is not {what}."}
        )


def _prescriber_id(s: Session, actor: Actor, wanted: int | None) -> int:
    prescriber_id = wanted if wanted is not None else actor.user_id
    if prescriber_id is None:
        raise ValidationError({"prescriber_id": "Choose the physician who will sign it."})
    user = s.get(User, prescriber_id)
    if user is None or not user.active:
        raise ValidationError({"prescriber_id": "That prescriber is not an active user."})
    return prescriber_id


def _clean(s: Session, patient_id: int, data: PrescriptionInput) -> dict[str, object]:
    """The columns of a prescription from the input, or ValidationError naming each field."""
    text = {
        name: " ".join((getattr(data, name) or "").split())
        for name in _LENGTHS
        if name != "pharmacy_note"
    }
    text["pharmacy_note"] = (data.pharmacy_note or "").strip()
    errors: dict[str, str] = {}
    for name, limit in _LENGTHS.items():
        if len(text[name]) > limit:
            errors[name] = f"At most {limit} characters ({len(text[name])} given)."
    if not text["drug_name"]:
        errors["drug_name"] = "Choose the drug."
    drug = find_drug(text["drug_name"]) if text["drug_name"] else None
    classes = {c.strip() for c in data.drug_classes if c.strip()}
    if drug is not None:
        typed = fold(text["drug_name"])
        brand = next((b for b in drug.brand_names if fold(b) == typed), "")
        text["brand_name"] = text["brand_name"] or brand
        text["drug_name"] = drug.generic_name
        schedule = drug.schedule
        rxnorm = text["rxnorm"] or drug.rxnorm
        classes.update(drug.classes)
    else:
        schedule = (data.schedule or "").strip().upper()
        rxnorm = text["rxnorm"]
    if schedule not in ("", *CONTROLLED_SCHEDULES):
        errors["schedule"] = "The DEA schedule is II, III, IV, V or none."
    if rxnorm and not rxnorm.isdigit():
        errors["rxnorm"] = "An RxNorm code is digits only (RXCUI)."
    drug_classes = ",".join(sorted(classes))
    if len(drug_classes) > 300:
        drug_classes = drug_classes[:300].rsplit(",", 1)[0]

    route = route_key(text["route"])
    if not route:
        errors["route"] = "Choose the route."
    if not text["dose_amount"]:
        errors["dose_amount"] = "Give the dose (e.g. 1, 1/2, 1-2)."
    elif _amount_value(text["dose_amount"]) in (None, 0):
        errors["dose_amount"] = "The dose is a number: 1, 0.5, 1/2 or 1-2."
    if not text["dose_unit"]:
        errors["dose_unit"] = "Give the unit of the dose (tablet, mL, puff …)."
    frequency = frequency_text(text["frequency"])
    if not frequency:
        errors["frequency"] = "Give how often (e.g. twice daily)."
    duration = data.duration_days
    if duration is not None and not 1 <= duration <= MAX_DURATION_DAYS:
        errors["duration_days"] = f"The duration is 1 to {MAX_DURATION_DAYS} days, or none."
    as_needed_reason = text["as_needed_reason"] if data.as_needed else ""

    quantity = text["quantity"]
    if not quantity:
        errors["quantity"] = "Give the quantity to dispense."
    elif not _QUANTITY.match(quantity) or not 0 < float(quantity) <= MAX_QUANTITY:
        errors["quantity"] = f"The quantity is a number above 0, at most {MAX_QUANTITY}."
    elif is_controlled(schedule) and not quantity.isdigit():
        errors["quantity"] = "A controlled substance is dispensed in whole units."
    if not text["quantity_unit"]:
        errors["quantity_unit"] = "Give the unit of the quantity (tablets, mL …)."
    most = MAX_REFILLS_SCHEDULE.get(schedule, MAX_REFILLS)
    if not 0 <= data.refills <= most:
        errors["refills"] = (
            "A schedule II controlled substance has no refills."
            if schedule == "II"
            else f"Refills are 0 to {most}"
            + (f" for a schedule {schedule} controlled substance." if schedule else ".")
        )

    diagnosis = (data.diagnosis_code or "").strip().upper()
    if data.problem_id is not None:
        problem = s.get(Problem, data.problem_id)
        if problem is None or problem.patient_id != patient_id or problem.entered_in_error:
            errors["problem_id"] = "That problem is not on this patient's list."
        elif not diagnosis:
            diagnosis = problem.icd10_code
    elif diagnosis:
        from emr.codes.icd10 import get_icd10

        try:
            diagnosis = get_icd10(diagnosis).code
        except NotFound:
            errors["diagnosis_code"] = f"{diagnosis} is not an ICD-10-CM code."
    if len(diagnosis) > 8 and "diagnosis_code" not in errors:
        errors["diagnosis_code"] = "An ICD-10-CM code is at most 8 characters."
    if problem_message := _encounter_problem(s, patient_id, data.encounter_id):
        errors["encounter_id"] = problem_message
    if errors:
        raise ValidationError(errors)
    return dict(
        encounter_id=data.encounter_id,
        drug_name=text["drug_name"],
        brand_name=text["brand_name"],
        rxnorm=rxnorm,
        strength=text["strength"],
        dose_form=text["dose_form"],
        route=route,
        drug_classes=drug_classes,
        schedule=schedule,
        dose_amount=text["dose_amount"],
        dose_unit=text["dose_unit"],
        frequency=frequency,
        duration_days=duration,
        as_needed=data.as_needed,
        as_needed_reason=as_needed_reason,
        sig_text=render_sig(
            dose_amount=text["dose_amount"],
            dose_unit=text["dose_unit"],
            route=route,
            frequency=frequency,
            duration_days=duration,
            as_needed=data.as_needed,
            as_needed_reason=as_needed_reason,
        ),
        quantity=quantity,
        quantity_unit=text["quantity_unit"],
        refills=data.refills,
        dispense_as_written=data.dispense_as_written,
        pharmacy_note=text["pharmacy_note"],
        diagnosis_code=diagnosis,
        problem_id=data.problem_id,
    )


def _encounter_problem(s: Session, patient_id: int, encounter_id: int | None) -> str | None:
    try:
        check_encounter(s, patient_id, encounter_id)
    except ValidationError as exc:
        return exc.field_errors.get("encounter_id", str(exc))
    return None


def _alerts(s: Session, row: Prescription) -> list[Alert]:
    """The checks of one prescription against the chart as it is in this transaction."""
    today = date.today()
    drug = drug_in_hand(
        row.drug_name,
        row.drug_name,
        identity=f"prescription:{row.id}",
        extra_classes=[c for c in row.drug_classes.split(",") if c],
    )
    allergies = [
        AllergyInHand(a.substance, a.category, a.reaction, a.severity)
        for a in s.scalars(
            select(Allergy).where(
                Allergy.patient_id == row.patient_id,
                Allergy.entered_in_error.is_(False),
                Allergy.status == "active",
            )
        )
    ]
    continued = _continued_medication_id(s, row)
    medications = [
        drug_in_hand(m.name, f"{m.name} (current medication)", identity=f"medication:{m.id}")
        for m in s.scalars(
            select(Medication).where(
                Medication.patient_id == row.patient_id,
                Medication.entered_in_error.is_(False),
            )
        )
        if is_current(m.stopped_on, today) and m.id != continued and m.id != row.medication_id
    ]
    drafts = [
        drug_in_hand(
            d.drug_name,
            f"{d.drug_name} (another draft)",
            identity=f"prescription:{d.id}",
            extra_classes=[c for c in d.drug_classes.split(",") if c],
        )
        for d in s.scalars(
            select(Prescription).where(
                Prescription.patient_id == row.patient_id,
                Prescription.status == "draft",
                Prescription.entered_in_error.is_(False),
                Prescription.id != row.id,
            )
        )
    ]
    return check_prescribing(drug, allergies, medications, drafts)


def _continued_medication_id(s: Session, row: Prescription) -> int | None:
    """The current medication a renewal continues (it is not a duplicate of itself)."""
    if row.renewed_from_id is None:
        return None
    old = s.get(Prescription, row.renewed_from_id)
    if old is None or old.medication_id is None:
        return None
    medication = s.get(Medication, old.medication_id)
    if medication is None or medication.entered_in_error:
        return None
    return medication.id if is_current(medication.stopped_on, date.today()) else None


def _medication_fields(row: Prescription) -> dict[str, object]:
    name = " ".join(p for p in (row.drug_name, row.strength, row.dose_form) if p)
    verb_where = ROUTES.get(row.route)
    return dict(
        name=name[:200],
        rxnorm=row.rxnorm[:20],
        dose=f"{row.dose_amount} {unit_text(row.dose_unit, row.dose_amount)}"[:60],
        route=(verb_where[1] if verb_where else row.route)[:30],
        frequency=(row.frequency + (" as needed" if row.as_needed else ""))[:60],
        instructions=row.sig_text[:2000],
        reason=_reason_for(row)[:200],
    )


def _reason_for(row: Prescription) -> str:
    if row.as_needed and row.as_needed_reason:
        return row.as_needed_reason
    return row.diagnosis_code


def _put_on_medication_list(s: Session, actor: Actor, row: Prescription, emergency: bool) -> None:
    """The signed drug on the medication list: a renewal carries on the medication of the
    prescription it renews (while that is current), any other starts a new one. Written here,
    in the signing's transaction, like emr.services.medications.add_medication writes it."""
    values = _medication_fields(row)
    continued_id = _continued_medication_id(s, row)
    if continued_id is not None:
        medication = s.get(Medication, continued_id)
        for key, value in values.items():
            setattr(medication, key, value)
        medication.prescription_id = row.id
        action, detail = "update", f"{medication.name}: renewed by prescription {row.id}"
    else:
        medication = Medication(
            patient_id=row.patient_id,
            encounter_id=row.encounter_id,
            started_on=date.today(),
            source="here",
            prescription_id=row.id,
            **values,
        )
        s.add(medication)
        action, detail = "create", f"{medication.name}: prescription {row.id}"
    s.flush()
    row.medication_id = medication.id
    record_clinical(
        s, actor, action, "medications", medication.id, row.patient_id, detail, emergency=emergency
    )


def _stop_medication(
    s: Session, actor: Actor, row: Prescription, reason: str, emergency: bool
) -> None:
    if row.medication_id is None:
        return
    medication = s.get(Medication, row.medication_id)
    today = date.today()
    if (
        medication is None
        or medication.entered_in_error
        or medication.prescription_id != row.id
        or not is_current(medication.stopped_on, today)
    ):
        return
    medication.stopped_on = today
    medication.stop_reason = reason[:200]
    s.flush()
    record_clinical(
        s,
        actor,
        "update",
        "medications",
        medication.id,
        row.patient_id,
        f"{medication.name} stopped {today.isoformat()}: prescription {row.id} discontinued",
        emergency=emergency,
    )


def _user_names(s: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = s.execute(select(User.id, User.full_name).where(User.id.in_(ids)))
    return {user_id: name for user_id, name in rows}


def _overridden(text: str) -> tuple[OverriddenAlert, ...]:
    if not text:
        return ()
    try:
        items = json.loads(text)
    except ValueError:
        return ()
    return tuple(
        OverriddenAlert(
            key=str(i.get("key", "")),
            severity=str(i.get("severity", "")),
            kind=str(i.get("kind", "")),
            text=str(i.get("text", "")),
            reason=str(i.get("reason", "")),
        )
        for i in items
        if isinstance(i, dict)
    )


def _local(moment: datetime | None) -> datetime | None:
    return to_local(moment) if moment is not None else None


def _record(
    s: Session, row: Prescription, names: dict[int, str] | None = None
) -> PrescriptionRecord:
    if names is None:
        names = _user_names(s, {row.prescriber_id})
    return PrescriptionRecord(
        id=row.id,
        patient_id=row.patient_id,
        encounter_id=row.encounter_id,
        status=row.status,
        drug_name=row.drug_name,
        brand_name=row.brand_name,
        rxnorm=row.rxnorm,
        strength=row.strength,
        dose_form=row.dose_form,
        route=row.route,
        drug_classes=tuple(c for c in row.drug_classes.split(",") if c),
        schedule=row.schedule,
        dose_amount=row.dose_amount,
        dose_unit=row.dose_unit,
        frequency=row.frequency,
        duration_days=row.duration_days,
        as_needed=row.as_needed,
        as_needed_reason=row.as_needed_reason,
        sig=row.sig_text,
        quantity=row.quantity,
        quantity_unit=row.quantity_unit,
        refills=row.refills,
        dispense_as_written=row.dispense_as_written,
        pharmacy_note=row.pharmacy_note,
        diagnosis_code=row.diagnosis_code,
        problem_id=row.problem_id,
        prescriber_id=row.prescriber_id,
        prescriber_name=names.get(row.prescriber_id, ""),
        signed_by=row.signed_by,
        signed_at=_local(row.signed_at),
        discontinued_at=_local(row.discontinued_at),
        discontinue_reason=row.discontinue_reason,
        renewed_from_id=row.renewed_from_id,
        medication_id=row.medication_id,
        times_printed=row.times_printed,
        overridden=_overridden(row.alerts_overridden),
        entered_in_error=row.entered_in_error,
        error_reason=row.error_reason,
        written_at=to_local(row.created_at),
        version=row.version,
    )


def _printable(s: Session, row: Prescription, copy: bool) -> PrintablePrescription:
    patient = s.get(Patient, row.patient_id)
    prescriber = s.get(User, row.prescriber_id)
    name = " ".join(p for p in (patient.given_name, patient.middle_name, patient.family_name) if p)
    town = " ".join(
        p
        for p in (f"{patient.city}," if patient.city else "", patient.state, patient.postal_code)
        if p
    ).strip(", ")
    address = tuple(line for line in (patient.address_line1, patient.address_line2, town) if line)
    return PrintablePrescription(
        prescription=_record(s, row),
        copy=copy,
        patient_name=name,
        patient_dob=patient.date_of_birth,
        patient_address=address,
        patient_mrn=patient.mrn,
        prescriber_name=prescriber.full_name,
        prescriber_npi=prescriber.npi or "",
        prescriber_dea=(prescriber.dea_number or "") if is_controlled(row.schedule) else "",
    )
