"""Allergies and the explicit "no known allergies" state.

A chart's allergy state is one of three: allergies recorded (the active ones are shown in red),
"no known allergies" (only when someone recorded it), or "allergies not recorded" (never assume
none). Recording an allergy clears the "no known allergies" mark; that mark is refused while
the patient has an active allergy.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from emr.errors import ValidationError
from emr.localtime import to_local
from emr.models.clinical import Allergy, AllergyStatus
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

CATEGORIES = ("drug", "drug_class", "food", "environmental")
CATEGORY_LABELS = {
    "drug": "Drug",
    "drug_class": "Drug class",
    "food": "Food",
    "environmental": "Environmental",
}
SEVERITIES = ("mild", "moderate", "severe")  # or "" when not known
STATUSES = ("active", "inactive", "resolved")
SUBSTANCE_MAX = 200
REACTION_MAX = 200

StateKind = Literal["recorded", "no_known", "not_recorded"]


@dataclass(frozen=True)
class AllergyRecord:
    id: int
    patient_id: int
    encounter_id: int | None
    substance: str
    category: str
    reaction: str
    severity: str
    status: str
    onset: date | None
    notes: str
    entered_in_error: bool
    error_reason: str
    recorded_at: datetime  # local
    version: int

    @property
    def display(self) -> str:
        details = ", ".join(x for x in (self.reaction, self.severity) if x)
        return f"{self.substance} ({details})" if details else self.substance


@dataclass(frozen=True)
class AllergyState:
    """What the chart header shows: `kind` and, when recorded, the active allergies."""

    kind: StateKind
    allergies: tuple[AllergyRecord, ...] = ()

    @property
    def text(self) -> str:
        if self.kind == "recorded":
            return "Allergies: " + "; ".join(a.display for a in self.allergies)
        if self.kind == "no_known":
            return "No known allergies"
        return "Allergies not recorded"


def _record(a: Allergy) -> AllergyRecord:
    return AllergyRecord(
        id=a.id,
        patient_id=a.patient_id,
        encounter_id=a.encounter_id,
        substance=a.substance,
        category=a.category,
        reaction=a.reaction,
        severity=a.severity,
        status=a.status,
        onset=a.onset,
        notes=a.notes,
        entered_in_error=a.entered_in_error,
        error_reason=a.error_reason,
        recorded_at=to_local(a.created_at),
        version=a.version,
    )


def _check(
    substance: str, category: str, reaction: str, severity: str, status: str, onset: date | None
) -> None:
    problems: dict[str, str] = {}
    if not substance:
        problems["substance"] = "Name the substance the patient is allergic to."
    elif len(substance) > SUBSTANCE_MAX:
        problems["substance"] = f"The substance is at most {SUBSTANCE_MAX} characters."
    if category not in CATEGORIES:
        problems["category"] = "The category is drug, drug class, food or environmental."
    if len(reaction) > REACTION_MAX:
        problems["reaction"] = f"The reaction is at most {REACTION_MAX} characters."
    if severity not in (*SEVERITIES, ""):
        problems["severity"] = "The severity is mild, moderate or severe."
    if status not in STATUSES:
        problems["status"] = "The status is active, inactive or resolved."
    if onset is not None and onset > date.today():
        problems["onset"] = "The onset cannot be in the future."
    if problems:
        raise ValidationError(problems)


def _status_row(s: Session, patient_id: int) -> AllergyStatus | None:
    return s.execute(
        select(AllergyStatus).where(AllergyStatus.patient_id == patient_id)
    ).scalar_one_or_none()


def _clear_no_known(s: Session, patient_id: int) -> None:
    row = _status_row(s, patient_id)
    if row is not None and row.no_known_allergies:
        row.no_known_allergies = False


def _active_allergies(s: Session, patient_id: int) -> list[Allergy]:
    return list(
        s.scalars(
            select(Allergy)
            .where(
                Allergy.patient_id == patient_id,
                Allergy.entered_in_error.is_(False),
                Allergy.status == "active",
            )
            .order_by(Allergy.id)
        )
    )


def record_no_known_allergies(actor: Actor, patient_id: int) -> AllergyState:
    """Record that the patient was asked and has no known allergies."""
    with actor.write() as s:
        emergency = open_chart_in(s, actor, patient_id, Permission.CHART_WRITE)
        active = _active_allergies(s, patient_id)
        if active:
            names = ", ".join(a.substance for a in active)
            raise ValidationError(
                f"The patient has active allergies ({names}): mark them inactive or entered "
                "in error before recording no known allergies."
            )
        row = _status_row(s, patient_id)
        if row is None:
            row = AllergyStatus(patient_id=patient_id, no_known_allergies=True)
            s.add(row)
        row.no_known_allergies = True
        s.flush()
        record_clinical(
            s,
            actor,
            "update",
            AllergyStatus.__tablename__,
            row.id,
            patient_id,
            "no known allergies",
            emergency=emergency,
        )
        return AllergyState("no_known")


def add_allergy(
    actor: Actor,
    patient_id: int,
    substance: str,
    category: str,
    *,
    reaction: str = "",
    severity: str = "",
    status: str = "active",
    onset: date | None = None,
    notes: str = "",
    encounter_id: int | None = None,
) -> AllergyRecord:
    substance, reaction, notes = substance.strip(), reaction.strip(), notes.strip()
    _check(substance, category, reaction, severity, status, onset)
    with actor.write() as s:
        emergency = open_chart_in(s, actor, patient_id, Permission.CHART_WRITE)
        check_encounter(s, patient_id, encounter_id)
        allergy = Allergy(
            patient_id=patient_id,
            encounter_id=encounter_id,
            substance=substance,
            category=category,
            reaction=reaction,
            severity=severity,
            status=status,
            onset=onset,
            notes=notes,
        )
        s.add(allergy)
        _clear_no_known(s, patient_id)
        s.flush()
        record_clinical(
            s,
            actor,
            "create",
            Allergy.__tablename__,
            allergy.id,
            patient_id,
            f"{category} {status}",
            emergency=emergency,
        )
        return _record(allergy)


def update_allergy(
    actor: Actor,
    allergy_id: int,
    expected_version: int,
    *,
    substance: str,
    category: str,
    reaction: str,
    severity: str,
    status: str,
    onset: date | None,
    notes: str,
) -> AllergyRecord:
    substance, reaction, notes = substance.strip(), reaction.strip(), notes.strip()
    _check(substance, category, reaction, severity, status, onset)
    with actor.write() as s:
        allergy = load_row(s, Allergy, allergy_id, "allergy")
        emergency = open_chart_in(s, actor, allergy.patient_id, Permission.CHART_WRITE)
        check_version(allergy, expected_version, "allergy")
        if allergy.entered_in_error:
            raise ValidationError(
                {"": "This allergy is marked entered in error: it cannot change."}
            )
        allergy.substance = substance
        allergy.category = category
        allergy.reaction = reaction
        allergy.severity = severity
        allergy.status = status
        allergy.onset = onset
        allergy.notes = notes
        if status == "active":
            _clear_no_known(s, allergy.patient_id)
        s.flush()
        record_clinical(
            s,
            actor,
            "update",
            Allergy.__tablename__,
            allergy.id,
            allergy.patient_id,
            f"{category} {status}",
            emergency=emergency,
        )
        return _record(allergy)


def mark_allergy_entered_in_error(
    actor: Actor, allergy_id: int, expected_version: int, reason: str
) -> None:
    mark_entered_in_error(actor, Allergy, allergy_id, expected_version, reason, "allergy")


_ORDER = {"active": 0, "inactive": 1, "resolved": 1}


def list_allergies(
    actor: Actor, patient_id: int, include_errors: bool = False
) -> list[AllergyRecord]:
    """Active allergies first, then inactive and resolved ones; entered-in-error ones last."""
    with actor.write() as s:
        emergency = open_chart_in(s, actor, patient_id, Permission.CHART_READ)
        query = select(Allergy).where(Allergy.patient_id == patient_id)
        if not include_errors:
            query = query.where(Allergy.entered_in_error.is_(False))
        rows = [_record(a) for a in s.scalars(query)]
        record_clinical(
            s,
            actor,
            "view",
            Allergy.__tablename__,
            None,
            patient_id,
            "allergy list",
            emergency=emergency,
        )
    rows.sort(key=lambda a: (a.entered_in_error, _ORDER.get(a.status, 2), a.substance.lower()))
    return rows


def allergy_state(actor: Actor, patient_id: int) -> AllergyState:
    """Recorded (with the active allergies), no known allergies, or not recorded."""
    with actor.write() as s:
        emergency = open_chart_in(s, actor, patient_id, Permission.CHART_READ)
        active = _active_allergies(s, patient_id)
        row = _status_row(s, patient_id)
        record_clinical(
            s,
            actor,
            "view",
            Allergy.__tablename__,
            None,
            patient_id,
            "allergy state",
            emergency=emergency,
        )
        if active:
            return AllergyState("recorded", tuple(_record(a) for a in active))
        if row is not None and row.no_known_allergies:
            return AllergyState("no_known")
        return AllergyState("not_recorded")
