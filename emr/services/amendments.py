"""A patient's requests to amend their record: recorded, then accepted by a physician (the
correction made as an addendum to a signed note, or as an entered-in-error mark, linked to the
request) or denied with a reason; the patient's statement of disagreement can be attached to a
denial. Nothing of it is ever removed: it all stays visible in the chart."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from emr.errors import ValidationError
from emr.localtime import to_local
from emr.models.base import utcnow
from emr.models.chart import Addendum, AmendmentRequest, Encounter, Note
from emr.models.clinical import Allergy, HistoryEntry, Immunization, Medication, Problem
from emr.models.documents import Document
from emr.models.observations import LabPanel, Observation
from emr.models.users import User
from emr.security.permissions import Permission
from emr.services.clinical import (
    check_version,
    load_row,
    mark_entered_in_error_in,
    open_chart_in,
    record_clinical,
)
from emr.services.context import Actor
from emr.services.encounters import add_addendum_in

STATUS_LABELS = {"pending": "Pending", "accepted": "Accepted", "denied": "Denied"}
CORRECTIONS = ("addendum", "entered_in_error")
TEXT_MAX = 4000

# What an accepted request may mark entered in error, by the name kept on the request.
CORRECTABLE: dict[str, tuple[type, str]] = {
    m.__tablename__: (m, what)
    for m, what in (
        (Problem, "problem"),
        (Allergy, "allergy"),
        (Medication, "medication"),
        (Immunization, "immunization"),
        (HistoryEntry, "history entry"),
        (Observation, "observation"),
        (LabPanel, "lab panel"),
        (Document, "document"),
        (Encounter, "encounter"),
    )
}


CHOICES_LIMIT = 500  # the newest records offered to choose from

CORRECTABLE_LABELS: dict[str, str] = {
    "problems": "Problem",
    "allergies": "Allergy",
    "medications": "Medication",
    "immunizations": "Immunization",
    "history_entries": "History entry",
    "observations": "Vital sign or result",
    "lab_panels": "Lab panel",
    "documents": "Document",
    "encounters": "Encounter",
}


def _when(moment: datetime) -> str:
    return f"{to_local(moment):%m/%d/%Y}"


_LABEL: dict[str, Callable[[Any], str]] = {
    "problems": lambda r: f"{r.icd10_code} {r.description} ({r.status})",
    "allergies": lambda r: f"{r.substance} ({r.category}, {r.status})",
    "medications": lambda r: f"{r.name} {r.dose}".strip(),
    "immunizations": lambda r: f"{r.vaccine} {r.given_on:%m/%d/%Y}",
    "history_entries": lambda r: (
        f"{r.kind}: {r.relative + ' ' if r.relative else ''}{r.description}"
    ),
    "observations": lambda r: (
        f"{_when(r.observed_at)} {r.name} "
        f"{r.value_text or ('' if r.value_num is None else f'{r.value_num:g}')} {r.unit}".strip()
    ),
    "lab_panels": lambda r: f"{_when(r.collected_at)} {r.name}",
    "documents": lambda r: f"{r.document_date:%m/%d/%Y} {r.title}",
    "encounters": lambda r: f"{_when(r.occurred_at)} {r.encounter_type} {r.reason}".strip(),
}


@dataclass(frozen=True)
class Choice:
    """A record a physician may choose as the one corrected."""

    entity: str
    id: int
    label: str
    version: int


@dataclass(frozen=True)
class AmendmentRecord:
    id: int
    patient_id: int
    requested_on: date
    what: str
    why: str
    status: str  # pending accepted denied
    decided_by: str  # the physician's full name, "" while pending
    decided_at: datetime | None  # local
    decision_reason: str
    correction: str  # addendum, entered_in_error, "" unless accepted
    linked_entity: str  # the table of what was corrected ("notes" for an addendum)
    linked_id: int | None
    addendum_id: int | None
    addendum_text: str
    disagreement: str
    disagreement_received_on: date | None
    version: int

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def outcome(self) -> str:
        if self.status == "accepted" and self.correction == "addendum":
            return f"Addendum to note {self.linked_id}: {self.addendum_text}"
        if self.status == "accepted":
            what = CORRECTABLE.get(self.linked_entity, (None, self.linked_entity))[1]
            return f"{what} {self.linked_id} marked entered in error"
        if self.status == "denied":
            return f"Denied: {self.decision_reason}"
        return ""


def _record(s: Session, r: AmendmentRequest) -> AmendmentRecord:
    decided_by = ""
    if r.decided_by is not None:
        decided_by = s.scalar(select(User.full_name).where(User.id == r.decided_by)) or ""
    addendum = s.execute(
        select(Addendum).where(Addendum.amendment_request_id == r.id).order_by(Addendum.id)
    ).scalar()
    return AmendmentRecord(
        id=r.id,
        patient_id=r.patient_id,
        requested_on=r.requested_on,
        what=r.what,
        why=r.why,
        status=r.status,
        decided_by=decided_by,
        decided_at=to_local(r.decided_at) if r.decided_at else None,
        decision_reason=r.decision_reason,
        correction=r.correction,
        linked_entity=r.linked_entity,
        linked_id=r.linked_id,
        addendum_id=addendum.id if addendum else None,
        addendum_text=addendum.text if addendum else "",
        disagreement=r.disagreement,
        disagreement_received_on=r.disagreement_received_on,
        version=r.version,
    )


def _text(problems: dict[str, str], field: str, value: str, missing: str) -> str:
    value = value.strip()
    if not value:
        problems[field] = missing
    elif len(value) > TEXT_MAX:
        problems[field] = f"At most {TEXT_MAX} characters."
    return value


def _pending(s: Session, actor: Actor, request_id: int, version: int) -> AmendmentRequest:
    request = load_row(s, AmendmentRequest, request_id, "amendment request")
    open_chart_in(s, actor, request.patient_id, Permission.NOTE_SIGN)
    check_version(request, version, "amendment request")
    if request.status != "pending":
        raise ValidationError({"": f"This request was {request.status} already."})
    return request


def record_request(
    actor: Actor, patient_id: int, requested_on: date, what: str, why: str
) -> AmendmentRecord:
    """Record the patient's request (the part of the record concerned, and why)."""
    problems: dict[str, str] = {}
    what = _text(problems, "what", what, "Say what part of the record the patient wants amended.")
    why = _text(problems, "why", why, "Give the patient's reason for the request.")
    if requested_on > date.today():
        problems["requested_on"] = "The date of the request cannot be in the future."
    if problems:
        raise ValidationError(problems)
    with actor.write() as s:
        emergency = open_chart_in(s, actor, patient_id, Permission.CHART_WRITE)
        request = AmendmentRequest(
            patient_id=patient_id, requested_on=requested_on, what=what, why=why
        )
        s.add(request)
        s.flush()
        record_clinical(
            s,
            actor,
            "create",
            AmendmentRequest.__tablename__,
            request.id,
            patient_id,
            "amendment requested",
            emergency=emergency,
        )
        return _record(s, request)


def accept_request(
    actor: Actor,
    request_id: int,
    version: int,
    correction: str = "addendum",
    *,
    note_id: int | None = None,
    addendum_text: str = "",
    entity: str | None = None,
    entity_id: int | None = None,
    error_reason: str = "",
) -> AmendmentRecord:
    """A physician accepts the request and makes the correction: an addendum (signed by them
    now) to a signed note, or an entered-in-error mark on the record concerned."""
    actor.require(Permission.NOTE_SIGN)
    if correction == "addendum":
        return _accept_with_addendum(actor, request_id, version, note_id, addendum_text)
    if correction == "entered_in_error":
        return _accept_with_error_mark(actor, request_id, version, entity, entity_id, error_reason)
    raise ValidationError({"correction": "The correction is an addendum or entered in error."})


def _accept_with_addendum(
    actor: Actor, request_id: int, version: int, note_id: int | None, addendum_text: str
) -> AmendmentRecord:
    problems: dict[str, str] = {}
    text = _text(problems, "addendum_text", addendum_text, "Write the addendum.")
    if note_id is None:
        problems["note_id"] = "Choose the signed note the addendum corrects."
    if problems:
        raise ValidationError(problems)
    assert note_id is not None
    with actor.write() as s:
        request = _pending(s, actor, request_id, version)
        note = load_row(s, Note, note_id, "note")
        if note.patient_id != request.patient_id:
            raise ValidationError({"note_id": "That note is another patient's."})
        if note.status != "signed":
            raise ValidationError(
                {"note_id": "That note is a draft: correct it directly, or sign it first."}
            )
        addendum = add_addendum_in(s, actor, note, text, request.id)
        _decide(
            request, actor, addendum.signed_at, "accepted", "addendum", Note.__tablename__, note.id
        )
        s.flush()
        record_clinical(
            s,
            actor,
            "update",
            AmendmentRequest.__tablename__,
            request.id,
            request.patient_id,
            "accepted: addendum",
        )
        return _record(s, request)


def _accept_with_error_mark(
    actor: Actor,
    request_id: int,
    version: int,
    entity: str | None,
    entity_id: int | None,
    error_reason: str,
) -> AmendmentRecord:
    problems: dict[str, str] = {}
    reason = _text(problems, "error_reason", error_reason, "Say what was wrong in the record.")
    if entity not in CORRECTABLE:
        problems["entity"] = "Choose the kind of record that is in error."
    if entity_id is None:
        problems["entity_id"] = "Choose the record that is in error."
    if problems:
        raise ValidationError(problems)
    assert entity is not None and entity_id is not None
    model, what = CORRECTABLE[entity]
    with actor.write() as s:  # the mark and the decision: one transaction
        request = _pending(s, actor, request_id, version)
        row = load_row(s, model, entity_id, what)
        if row.patient_id != request.patient_id:
            raise ValidationError({"entity_id": f"That {what} is another patient's."})
        mark_entered_in_error_in(s, actor, row, f"{reason} (amendment request {request_id})", what)
        _decide(request, actor, utcnow(), "accepted", "entered_in_error", entity, entity_id)
        s.flush()
        record_clinical(
            s,
            actor,
            "update",
            AmendmentRequest.__tablename__,
            request.id,
            request.patient_id,
            f"accepted: {what} {entity_id} entered in error",
        )
        return _record(s, request)


def _decide(
    request: AmendmentRequest,
    actor: Actor,
    now: datetime,
    status: str,
    correction: str = "",
    linked_entity: str = "",
    linked_id: int | None = None,
    reason: str = "",
) -> None:
    request.status = status
    request.decided_by = actor.user_id
    request.decided_at = now
    request.correction = correction
    request.linked_entity = linked_entity
    request.linked_id = linked_id
    request.decision_reason = reason


def deny_request(actor: Actor, request_id: int, version: int, reason: str) -> AmendmentRecord:
    """A physician denies the request, giving the reason the patient will be told."""
    actor.require(Permission.NOTE_SIGN)
    problems: dict[str, str] = {}
    reason = _text(problems, "reason", reason, "Give the reason for the denial.")
    if problems:
        raise ValidationError(problems)
    with actor.write() as s:
        request = _pending(s, actor, request_id, version)
        _decide(request, actor, utcnow(), "denied", reason=reason)
        s.flush()
        record_clinical(
            s,
            actor,
            "update",
            AmendmentRequest.__tablename__,
            request.id,
            request.patient_id,
            "denied",
        )
        return _record(s, request)


def attach_disagreement(
    actor: Actor, request_id: int, version: int, statement: str, received_on: date
) -> AmendmentRecord:
    """Attach the patient's statement of disagreement with a denial."""
    problems: dict[str, str] = {}
    statement = _text(problems, "statement", statement, "Enter the patient's statement.")
    if received_on > date.today():
        problems["received_on"] = "The date received cannot be in the future."
    if problems:
        raise ValidationError(problems)
    with actor.write() as s:
        request = load_row(s, AmendmentRequest, request_id, "amendment request")
        emergency = open_chart_in(s, actor, request.patient_id, Permission.CHART_WRITE)
        check_version(request, version, "amendment request")
        if request.status != "denied":
            raise ValidationError(
                {"": "A statement of disagreement is attached to a denied request only."}
            )
        if received_on < request.requested_on:
            raise ValidationError(
                {"received_on": "The statement cannot be received before the request was made."}
            )
        request.disagreement = statement
        request.disagreement_received_on = received_on
        s.flush()
        record_clinical(
            s,
            actor,
            "update",
            AmendmentRequest.__tablename__,
            request.id,
            request.patient_id,
            "statement of disagreement attached",
            emergency=emergency,
        )
        return _record(s, request)


def list_requests(actor: Actor, patient_id: int) -> list[AmendmentRecord]:
    """Every request of the patient, newest first, whatever its outcome."""
    with actor.write() as s:
        emergency = open_chart_in(s, actor, patient_id, Permission.CHART_READ)
        rows = s.scalars(
            select(AmendmentRequest)
            .where(AmendmentRequest.patient_id == patient_id)
            .order_by(AmendmentRequest.requested_on.desc(), AmendmentRequest.id.desc())
        )
        records = [_record(s, r) for r in rows]
        record_clinical(
            s,
            actor,
            "view",
            AmendmentRequest.__tablename__,
            None,
            patient_id,
            "amendment requests",
            emergency=emergency,
        )
        return records


def signed_notes(actor: Actor, patient_id: int) -> list[Choice]:
    """The patient's signed notes, newest first: what an addendum may correct."""
    with actor.write() as s:
        emergency = open_chart_in(s, actor, patient_id, Permission.CHART_READ)
        rows = s.execute(
            select(Note, Encounter)
            .join(Encounter, Encounter.id == Note.encounter_id)
            .where(Note.patient_id == patient_id, Note.status == "signed")
            .order_by(Encounter.occurred_at.desc())
            .limit(CHOICES_LIMIT)
        )
        choices = [
            Choice(
                "notes",
                note.id,
                f"{_when(e.occurred_at)} {e.encounter_type} {e.reason}".strip(),
                note.version,
            )
            for note, e in rows
        ]
        record_clinical(
            s,
            actor,
            "view",
            Note.__tablename__,
            None,
            patient_id,
            "signed notes",
            emergency=emergency,
        )
        return choices


def correctable_records(actor: Actor, patient_id: int, entity: str) -> list[Choice]:
    """The patient's records of one kind not yet entered in error, newest first."""
    if entity not in CORRECTABLE:
        raise ValidationError({"entity": "Choose the kind of record that is in error."})
    model, _ = CORRECTABLE[entity]
    with actor.write() as s:
        emergency = open_chart_in(s, actor, patient_id, Permission.CHART_READ)
        rows = s.scalars(
            select(model)
            .where(model.patient_id == patient_id, model.entered_in_error.is_(False))
            .order_by(model.id.desc())
            .limit(CHOICES_LIMIT)
        )
        choices = [Choice(entity, r.id, _LABEL[entity](r), r.version) for r in rows]
        record_clinical(
            s, actor, "view", entity, None, patient_id, "records to correct", emergency=emergency
        )
        return choices
