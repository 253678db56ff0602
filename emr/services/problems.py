"""The problem list: diagnoses coded in ICD-10-CM (billable codes only), with onset, status
(active, resolved, inactive) and notes. Removing a problem is marking it entered in error."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select

from emr.codes.icd10 import SYSTEM, require_billable
from emr.errors import NotFound, ValidationError
from emr.localtime import to_local
from emr.models.clinical import Problem
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

STATUSES = ("active", "resolved", "inactive")
STATUS_LABELS = {"active": "Active", "resolved": "Resolved", "inactive": "Inactive"}
NOTES_MAX = 4000


@dataclass(frozen=True)
class ProblemRecord:
    id: int
    patient_id: int
    encounter_id: int | None
    icd10_code: str
    description: str
    onset: date | None
    status: str
    resolved_on: date | None
    notes: str
    entered_in_error: bool
    error_reason: str
    recorded_at: datetime  # local
    version: int
    code_system: str = SYSTEM

    @property
    def display(self) -> str:
        return f"{self.icd10_code} {self.description}"


def _record(p: Problem) -> ProblemRecord:
    return ProblemRecord(
        id=p.id,
        patient_id=p.patient_id,
        encounter_id=p.encounter_id,
        icd10_code=p.icd10_code,
        description=p.description,
        onset=p.onset,
        status=p.status,
        resolved_on=p.resolved_on,
        notes=p.notes,
        entered_in_error=p.entered_in_error,
        error_reason=p.error_reason,
        recorded_at=to_local(p.created_at),
        version=p.version,
    )


def _check_fields(
    status: str, onset: date | None, resolved_on: date | None, notes: str, today: date
) -> None:
    problems: dict[str, str] = {}
    if status not in STATUSES:
        problems["status"] = "The status is active, resolved or inactive."
    if onset is not None and onset > today:
        problems["onset"] = "The onset cannot be in the future."
    if resolved_on is not None:
        if resolved_on > today:
            problems["resolved_on"] = "The date resolved cannot be in the future."
        elif onset is not None and resolved_on < onset:
            problems["resolved_on"] = "The date resolved cannot be before the onset."
    if len(notes) > NOTES_MAX:
        problems["notes"] = f"Notes are at most {NOTES_MAX} characters."
    if problems:
        raise ValidationError(problems)


def _coded(icd10_code: str) -> tuple[str, str]:
    """(code, description) of a billable code; ValidationError naming the field otherwise."""
    try:
        code = require_billable(icd10_code)
    except ValidationError as exc:
        raise ValidationError({"icd10_code": exc.message}) from exc
    except NotFound as exc:
        raise ValidationError({"icd10_code": exc.message}) from exc
    return code.code, code.description


def _resolved_on(status: str, resolved_on: date | None, today: date) -> date | None:
    if status != "resolved":
        return None
    return resolved_on or today


def add_problem(
    actor: Actor,
    patient_id: int,
    icd10_code: str,
    *,
    onset: date | None = None,
    status: str = "active",
    notes: str = "",
    encounter_id: int | None = None,
    resolved_on: date | None = None,
) -> ProblemRecord:
    """Put a diagnosis on the patient's problem list (a billable ICD-10-CM code)."""
    code, description = _coded(icd10_code)
    today = date.today()
    notes = notes.strip()
    resolved_on = _resolved_on(status, resolved_on, today)
    _check_fields(status, onset, resolved_on, notes, today)
    with actor.write() as s:
        emergency = open_chart_in(s, actor, patient_id, Permission.CHART_WRITE)
        check_encounter(s, patient_id, encounter_id)
        problem = Problem(
            patient_id=patient_id,
            encounter_id=encounter_id,
            icd10_code=code,
            description=description,
            onset=onset,
            status=status,
            resolved_on=resolved_on,
            notes=notes,
        )
        s.add(problem)
        s.flush()
        record_clinical(
            s,
            actor,
            "create",
            Problem.__tablename__,
            problem.id,
            patient_id,
            f"{code} {status}",
            emergency=emergency,
        )
        return _record(problem)


def update_problem(
    actor: Actor,
    problem_id: int,
    expected_version: int,
    *,
    status: str,
    onset: date | None,
    notes: str,
    resolved_on: date | None = None,
    icd10_code: str | None = None,
) -> ProblemRecord:
    """Change a problem's status, onset, notes (or its code). A resolved problem gets its date
    resolved (today unless given); any other status clears it."""
    coded = _coded(icd10_code) if icd10_code else None
    today = date.today()
    notes = notes.strip()
    resolved_on = _resolved_on(status, resolved_on, today)
    _check_fields(status, onset, resolved_on, notes, today)
    with actor.write() as s:
        problem = load_row(s, Problem, problem_id, "problem")
        emergency = open_chart_in(s, actor, problem.patient_id, Permission.CHART_WRITE)
        check_version(problem, expected_version, "problem")
        if problem.entered_in_error:
            raise ValidationError(
                {"": "This problem is marked entered in error: it cannot change."}
            )
        if coded is not None:
            problem.icd10_code, problem.description = coded
        problem.status = status
        problem.onset = onset
        problem.resolved_on = resolved_on
        problem.notes = notes
        s.flush()
        record_clinical(
            s,
            actor,
            "update",
            Problem.__tablename__,
            problem.id,
            problem.patient_id,
            f"{problem.icd10_code} {status}",
            emergency=emergency,
        )
        return _record(problem)


def resolve_problem(
    actor: Actor, problem_id: int, expected_version: int, resolved_on: date | None = None
) -> ProblemRecord:
    """Mark a problem resolved (today unless a date is given), keeping the rest as it is."""
    with actor.read() as s:
        problem = load_row(s, Problem, problem_id, "problem")
        onset, notes = problem.onset, problem.notes
    return update_problem(
        actor,
        problem_id,
        expected_version,
        status="resolved",
        onset=onset,
        notes=notes,
        resolved_on=resolved_on,
    )


def mark_problem_entered_in_error(
    actor: Actor, problem_id: int, expected_version: int, reason: str
) -> None:
    mark_entered_in_error(actor, Problem, problem_id, expected_version, reason, "problem")


_ORDER = {"active": 0, "inactive": 1, "resolved": 1}


def list_problems(
    actor: Actor, patient_id: int, include_errors: bool = False, status: str | None = None
) -> list[ProblemRecord]:
    """The problem list: active problems first, then resolved and inactive ones; newest onset
    first within each."""
    if status is not None and status not in STATUSES:
        raise ValidationError({"status": "The status is active, resolved or inactive."})
    with actor.write() as s:
        emergency = open_chart_in(s, actor, patient_id, Permission.CHART_READ)
        query = select(Problem).where(Problem.patient_id == patient_id)
        if not include_errors:
            query = query.where(Problem.entered_in_error.is_(False))
        if status is not None:
            query = query.where(Problem.status == status)
        rows = [_record(p) for p in s.scalars(query)]
        record_clinical(
            s,
            actor,
            "view",
            Problem.__tablename__,
            None,
            patient_id,
            "problem list",
            emergency=emergency,
        )
    rows.sort(key=lambda p: (p.entered_in_error, _ORDER.get(p.status, 2), _onset_key(p), -p.id))
    return rows


def _onset_key(p: ProblemRecord) -> int:
    """Newest onset first; no onset after those with one."""
    return -p.onset.toordinal() if p.onset else 0
