"""The patient's medication list: what they take now and what they took, prescribed here or
elsewhere, with start and stop dates and the reason for stopping.

A medication is current while it has no stop date or its stop date is still to come. The
prescribing issue adds medications with source "here" and the prescription that started them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from emr.errors import ValidationError
from emr.localtime import to_local
from emr.models.clinical import Medication
from emr.models.patients import Patient
from emr.security.permissions import Permission
from emr.services.clinical import (
    check_encounter,
    check_version,
    load_row,
    mark_entered_in_error,
    open_chart_in,
    record_clinical,
)
from emr.services.context import Actor

SOURCES = {"elsewhere": "Prescribed elsewhere", "here": "Prescribed here"}
ENTITY = "medications"
MAX_INSTRUCTIONS = 2000
_LENGTHS = {  # the columns' sizes (emr/models/clinical.py)
    "name": 200,
    "dose": 60,
    "route": 30,
    "frequency": 60,
    "reason": 200,
    "rxnorm": 20,
    "instructions": MAX_INSTRUCTIONS,
}
MAX_STOP_REASON = 200

# Offered in the form; any other text is kept as typed.
COMMON_ROUTES = (
    "by mouth",
    "under the tongue",
    "inhaled",
    "applied to the skin",
    "subcutaneous",
    "intramuscular",
    "in the eye",
    "in the ear",
    "in the nose",
    "rectal",
    "vaginal",
    "transdermal patch",
)
COMMON_FREQUENCIES = (
    "once daily",
    "twice daily",
    "three times daily",
    "four times daily",
    "every morning",
    "at bedtime",
    "every 4 hours as needed",
    "every 6 hours as needed",
    "as needed",
    "once weekly",
)
COMMON_STOP_REASONS = (
    "Course completed",
    "Side effects",
    "Not effective",
    "Replaced by another medication",
    "Patient's choice",
    "No longer needed",
    "Cost",
)


@dataclass(frozen=True)
class MedicationRecord:
    id: int
    patient_id: int
    name: str
    dose: str
    route: str
    frequency: str
    instructions: str
    reason: str
    started_on: date | None
    stopped_on: date | None
    stop_reason: str
    source: str  # "here" or "elsewhere"
    rxnorm: str
    encounter_id: int | None
    prescription_id: int | None
    current: bool  # as of the day it was read
    entered_in_error: bool
    error_reason: str
    recorded_at: datetime  # local
    version: int

    @property
    def sig(self) -> str:
        """Dose, route and frequency as one line: "500 mg by mouth twice daily"."""
        return " ".join(part for part in (self.dose, self.route, self.frequency) if part)

    @property
    def source_label(self) -> str:
        return SOURCES.get(self.source, self.source)


def is_current(stopped_on: date | None, today: date) -> bool:
    return stopped_on is None or stopped_on > today


def add_medication(
    actor: Actor,
    patient_id: int,
    name: str,
    *,
    dose: str = "",
    route: str = "",
    frequency: str = "",
    instructions: str = "",
    reason: str = "",
    started_on: date | None = None,
    source: str = "elsewhere",
    rxnorm: str = "",
    encounter_id: int | None = None,
    prescription_id: int | None = None,
) -> MedicationRecord:
    """Put a medication on the patient's list (current, as it has no stop date)."""
    today = date.today()
    with actor.write() as s:
        emergency = open_chart_in(s, actor, patient_id, Permission.CHART_WRITE)
        fields = _clean(
            name=name,
            dose=dose,
            route=route,
            frequency=frequency,
            instructions=instructions,
            reason=reason,
            rxnorm=rxnorm,
        )
        _check_source(source)
        _check_started_on(s, patient_id, started_on, today)
        check_encounter(s, patient_id, encounter_id)
        row = Medication(
            patient_id=patient_id,
            encounter_id=encounter_id,
            started_on=started_on,
            source=source,
            prescription_id=prescription_id,
            **fields,
        )
        s.add(row)
        s.flush()
        record_clinical(
            s, actor, "create", ENTITY, row.id, patient_id, row.name, emergency=emergency
        )
        return _record(row, today)


def update_medication(
    actor: Actor,
    medication_id: int,
    expected_version: int,
    *,
    name: str,
    dose: str,
    route: str,
    frequency: str,
    instructions: str,
    reason: str,
    started_on: date | None,
    source: str,
    rxnorm: str = "",
) -> MedicationRecord:
    """Correct what the list says of a medication (all its details are given again); ending it
    is `stop_medication`."""
    today = date.today()
    with actor.write() as s:
        row = load_row(s, Medication, medication_id, "medication")
        emergency = open_chart_in(s, actor, row.patient_id, Permission.CHART_WRITE)
        fields = _clean(
            name=name,
            dose=dose,
            route=route,
            frequency=frequency,
            instructions=instructions,
            reason=reason,
            rxnorm=rxnorm,
        )
        _check_source(source)
        check_version(row, expected_version, "medication")
        _check_not_in_error(row)
        if row.prescription_id is not None and (fields["name"] != row.name or source != row.source):
            raise ValidationError(
                {
                    "name": "This medication was prescribed here: its name and source come from "
                    "the prescription."
                }
            )
        _check_started_on(s, row.patient_id, started_on, today)
        if started_on is not None and row.stopped_on is not None and started_on > row.stopped_on:
            raise ValidationError(
                {
                    "started_on": f"It was stopped on {row.stopped_on:%m/%d/%Y}: it cannot have "
                    "started after that."
                }
            )
        changed = [k for k, v in fields.items() if getattr(row, k) != v]
        changed += [
            k for k, v in (("started_on", started_on), ("source", source)) if getattr(row, k) != v
        ]
        for key, value in fields.items():
            setattr(row, key, value)
        row.started_on = started_on
        row.source = source
        s.flush()
        record_clinical(
            s,
            actor,
            "update",
            ENTITY,
            row.id,
            row.patient_id,
            f"{row.name}: {', '.join(changed) or 'nothing changed'}",
            emergency=emergency,
        )
        return _record(row, today)


def stop_medication(
    actor: Actor, medication_id: int, expected_version: int, stopped_on: date, stop_reason: str
) -> MedicationRecord:
    """End a medication on a day (today or before), with the reason; it moves to the past."""
    stop_reason = stop_reason.strip()
    errors: dict[str, str] = {}
    if not stop_reason:
        errors["stop_reason"] = "Give the reason the medication was stopped."
    elif len(stop_reason) > MAX_STOP_REASON:
        errors["stop_reason"] = f"The reason may be at most {MAX_STOP_REASON} characters."
    today = date.today()
    if stopped_on is None:
        errors["stopped_on"] = "Give the day it was stopped."
    elif stopped_on > today:
        errors["stopped_on"] = "The stop date cannot be in the future."
    with actor.write() as s:
        row = load_row(s, Medication, medication_id, "medication")
        emergency = open_chart_in(s, actor, row.patient_id, Permission.CHART_WRITE)
        check_version(row, expected_version, "medication")
        _check_not_in_error(row)
        if row.stopped_on is not None and row.stopped_on <= today:
            raise ValidationError(
                {"": f"{row.name} was stopped already, on {row.stopped_on:%m/%d/%Y}."}
            )
        if "stopped_on" not in errors and row.started_on and stopped_on < row.started_on:
            errors["stopped_on"] = (
                f"It started on {row.started_on:%m/%d/%Y}: it cannot stop before that."
            )
        if errors:
            raise ValidationError(errors)
        row.stopped_on = stopped_on
        row.stop_reason = stop_reason
        s.flush()
        record_clinical(
            s,
            actor,
            "update",
            ENTITY,
            row.id,
            row.patient_id,
            f"{row.name} stopped {stopped_on.isoformat()}: {stop_reason}",
            emergency=emergency,
        )
        return _record(row, today)


def mark_medication_entered_in_error(
    actor: Actor, medication_id: int, expected_version: int, reason: str
) -> None:
    """The medication was never right for this patient: it stays in the chart, struck."""
    mark_entered_in_error(actor, Medication, medication_id, expected_version, reason, "medication")


def get_medication(actor: Actor, medication_id: int) -> MedicationRecord:
    with actor.write() as s:  # the view is audited
        row = load_row(s, Medication, medication_id, "medication")
        emergency = open_chart_in(s, actor, row.patient_id, Permission.CHART_READ)
        record_clinical(
            s, actor, "view", ENTITY, row.id, row.patient_id, row.name, emergency=emergency
        )
        return _record(row, date.today())


def list_medications(
    actor: Actor, patient_id: int, *, current_only: bool = False, include_errors: bool = False
) -> list[MedicationRecord]:
    """Current medications by name, then past ones, most recently stopped first."""
    today = date.today()
    with actor.write() as s:  # the view is audited
        emergency = open_chart_in(s, actor, patient_id, Permission.CHART_READ)
        query = select(Medication).where(Medication.patient_id == patient_id)
        if not include_errors:
            query = query.where(Medication.entered_in_error.is_(False))
        records = [_record(row, today) for row in s.execute(query).scalars()]
        record_clinical(
            s,
            actor,
            "view",
            ENTITY,
            None,
            patient_id,
            "current medications" if current_only else "medication list",
            emergency=emergency,
        )
    current = sorted((r for r in records if r.current), key=lambda r: (r.name.casefold(), r.id))
    if current_only:
        return current
    past = sorted(
        (r for r in records if not r.current),
        key=lambda r: (r.stopped_on or date.min, r.id),
        reverse=True,
    )
    return current + past


# --- rules -------------------------------------------------------------------------------------


def _clean(**fields: str) -> dict[str, str]:
    cleaned = {key: (value or "").strip() for key, value in fields.items()}
    errors: dict[str, str] = {}
    if not cleaned["name"]:
        errors["name"] = "Give the medication's name."
    for key, value in cleaned.items():
        limit = _LENGTHS[key]
        if len(value) > limit and key not in errors:
            errors[key] = f"At most {limit} characters ({len(value)} given)."
    if cleaned["rxnorm"] and not cleaned["rxnorm"].isdigit() and "rxnorm" not in errors:
        errors["rxnorm"] = "An RxNorm code is digits only (RXCUI)."
    if errors:
        raise ValidationError(errors)
    return cleaned


def _check_source(source: str) -> None:
    if source not in SOURCES:
        raise ValidationError({"source": "The source is 'here' or 'elsewhere'."})


def _check_started_on(s: Session, patient_id: int, started_on: date | None, today: date) -> None:
    if started_on is None:
        return
    if started_on > today:
        raise ValidationError({"started_on": "The start date cannot be in the future."})
    born = s.get(Patient, patient_id).date_of_birth
    if started_on < born:
        raise ValidationError(
            {"started_on": f"The start date is before the patient's birth ({born:%m/%d/%Y})."}
        )


def _check_not_in_error(row: Medication) -> None:
    if row.entered_in_error:
        raise ValidationError(
            {"": "This medication is marked entered in error: it stays as it is."}
        )


def _record(row: Medication, today: date) -> MedicationRecord:
    return MedicationRecord(
        id=row.id,
        patient_id=row.patient_id,
        name=row.name,
        dose=row.dose,
        route=row.route,
        frequency=row.frequency,
        instructions=row.instructions,
        reason=row.reason,
        started_on=row.started_on,
        stopped_on=row.stopped_on,
        stop_reason=row.stop_reason,
        source=row.source,
        rxnorm=row.rxnorm,
        encounter_id=row.encounter_id,
        prescription_id=row.prescription_id,
        current=is_current(row.stopped_on, today),
        entered_in_error=row.entered_in_error,
        error_reason=row.error_reason,
        recorded_at=to_local(row.created_at),
        version=row.version,
    )
