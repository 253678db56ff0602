"""Encounters and their SOAP notes: start a visit (from an appointment or not), save the draft
(and autosave it), sign it, correct a signed note by addenda, verify the signatures, and read
a visit with everything made in it.

A signed note never changes: its four sections are hashed (SHA-256, length-prefixed like the
audit chain) when signed, and each addendum is hashed when made, so `verify_note` can tell
whether the stored text is still what was signed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, true
from sqlalchemy.orm import Session, aliased

from emr.codes.units import unit_label
from emr.errors import NotFound, PermissionDenied, ValidationError
from emr.localtime import to_local, to_utc
from emr.models.base import utcnow
from emr.models.chart import Addendum, AmendmentRequest, Encounter, Note, NoteTemplate
from emr.models.clinical import Immunization, Medication, Problem
from emr.models.observations import Observation
from emr.models.prescribing import Prescription, Referral
from emr.models.scheduling import Appointment, AppointmentType
from emr.models.users import User
from emr.security.permissions import Permission, Role
from emr.services.clinical import (
    check_version,
    load_row,
    mark_entered_in_error,
    open_chart_in,
    record_clinical,
)
from emr.services.context import Actor

ENCOUNTER_TYPES = (
    "Office visit",
    "New patient",
    "Follow-up",
    "Annual physical",
    "Telehealth",
    "Procedure",
    "Nurse visit",
)
SECTIONS = ("subjective", "objective", "assessment", "plan")
SIGNED_NOTE_MESSAGE = "A signed note is never edited: add an addendum."
REASON_MAX = 200

# --- records ------------------------------------------------------------------------------


@dataclass(frozen=True)
class EncounterRecord:
    id: int
    version: int
    patient_id: int
    provider_id: int
    provider_name: str
    appointment_id: int | None
    occurred_at: datetime  # local
    encounter_type: str
    reason: str
    entered_in_error: bool
    error_reason: str
    note_id: int


@dataclass(frozen=True)
class NoteRecord:
    id: int
    version: int
    encounter_id: int
    patient_id: int
    subjective: str
    objective: str
    assessment: str
    plan: str
    status: str  # draft, signed
    template_id: int | None
    author_name: str  # who started it
    created_at: datetime  # local
    last_editor_name: str
    updated_at: datetime  # local
    signed_by_name: str
    signed_at: datetime | None  # local
    signed_hash: str | None

    @property
    def signed(self) -> bool:
        return self.status == "signed"

    @property
    def sections(self) -> tuple[str, str, str, str]:
        return (self.subjective, self.objective, self.assessment, self.plan)


@dataclass(frozen=True)
class AddendumRecord:
    id: int
    note_id: int
    text: str
    author_name: str
    signed_at: datetime  # local
    signed_hash: str
    amendment_request_id: int | None


@dataclass(frozen=True)
class MadeInVisit:
    """Something recorded during the encounter, as a line of the visit's list."""

    kind: str  # vitals, lab, diagnosis, medication, immunization, prescription, referral
    description: str


@dataclass(frozen=True)
class EncounterDetail:
    encounter: EncounterRecord
    note: NoteRecord
    addenda: tuple[AddendumRecord, ...]
    made: tuple[MadeInVisit, ...]

    def made_of(self, kind: str) -> list[MadeInVisit]:
        return [m for m in self.made if m.kind == kind]


@dataclass(frozen=True)
class EncounterSummary:
    id: int
    version: int
    occurred_at: datetime  # local
    encounter_type: str
    provider_name: str
    reason: str
    note_id: int
    note_status: str
    entered_in_error: bool
    error_reason: str


# --- signatures ---------------------------------------------------------------------------


def _length_prefixed_hash(fields: list[str]) -> str:
    # Length-prefixed so that moving text from one section to the next changes the hash.
    payload = "".join(f"{len(f)}:{f}" for f in fields)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def note_hash(subjective: str, objective: str, assessment: str, plan: str) -> str:
    return _length_prefixed_hash([subjective, objective, assessment, plan])


def addendum_hash(text: str) -> str:
    """One field needs no length prefix; emr.services.amendments hashes its addenda alike."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- reading rows into records ------------------------------------------------------------


def _names(s: Session, *user_ids: int | None) -> dict[int, str]:
    wanted = {u for u in user_ids if u is not None}
    if not wanted:
        return {}
    rows = s.execute(select(User.id, User.full_name).where(User.id.in_(wanted)))
    return {uid: name for uid, name in rows}


def _encounter_record(e: Encounter, provider_name: str, note_id: int) -> EncounterRecord:
    return EncounterRecord(
        id=e.id,
        version=e.version,
        patient_id=e.patient_id,
        provider_id=e.provider_id,
        provider_name=provider_name,
        appointment_id=e.appointment_id,
        occurred_at=to_local(e.occurred_at),
        encounter_type=e.encounter_type,
        reason=e.reason,
        entered_in_error=e.entered_in_error,
        error_reason=e.error_reason,
        note_id=note_id,
    )


def _note_record(s: Session, n: Note) -> NoteRecord:
    names = _names(s, n.created_by, n.updated_by, n.signed_by)
    return NoteRecord(
        id=n.id,
        version=n.version,
        encounter_id=n.encounter_id,
        patient_id=n.patient_id,
        subjective=n.subjective,
        objective=n.objective,
        assessment=n.assessment,
        plan=n.plan,
        status=n.status,
        template_id=n.template_id,
        author_name=names.get(n.created_by or 0, "operator"),
        created_at=to_local(n.created_at),
        last_editor_name=names.get(n.updated_by or 0, "operator"),
        updated_at=to_local(n.updated_at),
        signed_by_name=names.get(n.signed_by or 0, ""),
        signed_at=to_local(n.signed_at) if n.signed_at else None,
        signed_hash=n.signed_hash,
    )


def _addendum_record(a: Addendum, author_name: str) -> AddendumRecord:
    return AddendumRecord(
        id=a.id,
        note_id=a.note_id,
        text=a.text,
        author_name=author_name,
        signed_at=to_local(a.signed_at),
        signed_hash=a.signed_hash,
        amendment_request_id=a.amendment_request_id,
    )


def _encounter_of(s: Session, e: Encounter) -> EncounterRecord:
    note_id = s.execute(select(Note.id).where(Note.encounter_id == e.id)).scalar_one()
    provider_name = s.execute(select(User.full_name).where(User.id == e.provider_id)).scalar_one()
    return _encounter_record(e, provider_name, note_id)


def _note_for_update(s: Session, actor: Actor, note_id: int) -> tuple[Note, bool]:
    note = load_row(s, Note, note_id, "note")
    emergency = open_chart_in(s, actor, note.patient_id, Permission.CHART_WRITE)
    encounter = s.get(Encounter, note.encounter_id)
    if encounter is not None and encounter.entered_in_error:
        raise ValidationError(
            {"": "This encounter is marked entered in error; its note is closed."}
        )
    return note, emergency


# --- starting an encounter ----------------------------------------------------------------


def _check_provider(s: Session, provider_id: int) -> User:
    provider = s.get(User, provider_id)
    if provider is None or provider.role != Role.PHYSICIAN.value or not provider.active:
        raise ValidationError({"provider_id": "Choose an active physician as the provider."})
    return provider


def _appointment_type_name(s: Session, appointment: Appointment) -> str:
    return s.execute(
        select(AppointmentType.name).where(AppointmentType.id == appointment.type_id)
    ).scalar_one()


def _existing_for_appointment(s: Session, appointment_id: int) -> Encounter | None:
    return s.execute(
        select(Encounter)
        .where(Encounter.appointment_id == appointment_id, Encounter.entered_in_error.is_(False))
        .order_by(Encounter.id)
        .limit(1)
    ).scalar_one_or_none()


def start_encounter(
    actor: Actor,
    patient_id: int,
    *,
    provider_id: int,
    occurred_at: datetime,
    encounter_type: str,
    reason: str = "",
    appointment_id: int | None = None,
    template_id: int | None = None,
) -> EncounterRecord:
    """A new encounter with its draft note (filled from the template when one is given)."""
    actor.require(Permission.CHART_WRITE)
    encounter_type = encounter_type.strip()
    reason = reason.strip()
    errors: dict[str, str] = {}
    if len(reason) > REASON_MAX:
        errors["reason"] = f"The reason is longer than {REASON_MAX} characters."
    with actor.write() as s:
        emergency = open_chart_in(s, actor, patient_id, Permission.CHART_WRITE)
        _check_provider(s, provider_id)
        allowed_types = set(ENCOUNTER_TYPES)
        if appointment_id is not None:
            appointment = s.get(Appointment, appointment_id)
            if appointment is None or appointment.patient_id != patient_id:
                raise NotFound(f"This patient has no appointment with id {appointment_id}.")
            if _existing_for_appointment(s, appointment_id) is not None:
                raise ValidationError(
                    {"appointment_id": "This appointment has its encounter already: open it."}
                )
            allowed_types.add(_appointment_type_name(s, appointment))
        if encounter_type not in allowed_types:
            errors["encounter_type"] = "Choose the type of visit from the list."
        template = None
        if template_id is not None:
            template = s.get(NoteTemplate, template_id)
            if template is None or not template.active:
                errors["template_id"] = "That template is retired or does not exist."
        if errors:
            raise ValidationError(errors)
        encounter = Encounter(
            patient_id=patient_id,
            provider_id=provider_id,
            appointment_id=appointment_id,
            occurred_at=to_utc(occurred_at),
            encounter_type=encounter_type,
            reason=reason,
        )
        s.add(encounter)
        s.flush()
        note = Note(encounter_id=encounter.id, patient_id=patient_id, status="draft")
        if template is not None:
            note.template_id = template.id
            for section in SECTIONS:
                setattr(note, section, getattr(template, section))
        s.add(note)
        s.flush()
        detail = f"{encounter_type}" + (f", appointment {appointment_id}" if appointment_id else "")
        if template is not None:
            detail += f", template {template.id}"
        record_clinical(
            s, actor, "create", "encounter", encounter.id, patient_id, detail, emergency=emergency
        )
        return _encounter_of(s, encounter)


def start_from_appointment(
    actor: Actor, appointment_id: int, *, template_id: int | None = None
) -> EncounterRecord:
    """The appointment's encounter: made from its patient, provider, type and reason the first
    time, the same one every later time."""
    actor.require(Permission.CHART_WRITE)
    with actor.write() as s:
        appointment = s.get(Appointment, appointment_id)
        if appointment is None:
            raise NotFound(f"There is no appointment with id {appointment_id}.")
        existing = _existing_for_appointment(s, appointment_id)
        if existing is not None:
            emergency = open_chart_in(s, actor, existing.patient_id, Permission.CHART_READ)
            record_clinical(
                s,
                actor,
                "view",
                "encounter",
                existing.id,
                existing.patient_id,
                f"from appointment {appointment_id}",
                emergency=emergency,
            )
            return _encounter_of(s, existing)
        patient_id = appointment.patient_id
        provider_id = appointment.provider_id
        occurred_at = to_local(appointment.starts_at)
        type_name = _appointment_type_name(s, appointment)
        reason = appointment.reason
    return start_encounter(
        actor,
        patient_id,
        provider_id=provider_id,
        occurred_at=occurred_at,
        encounter_type=type_name,
        reason=reason,
        appointment_id=appointment_id,
        template_id=template_id,
    )


# --- the note -----------------------------------------------------------------------------


def save_draft(
    actor: Actor,
    note_id: int,
    expected_version: int,
    subjective: str,
    objective: str,
    assessment: str,
    plan: str,
    *,
    autosave: bool = False,
) -> NoteRecord:
    """Save the draft's four sections; the new version comes back. Saving unchanged text
    writes nothing (an autosave of an idle editor leaves no trace in the audit trail)."""
    actor.require(Permission.CHART_WRITE)
    text = (subjective, objective, assessment, plan)
    with actor.write() as s:
        note, emergency = _note_for_update(s, actor, note_id)
        if note.status == "signed":
            raise ValidationError({"": SIGNED_NOTE_MESSAGE})
        check_version(note, expected_version, "note")
        if tuple(getattr(note, section) for section in SECTIONS) == text:
            return _note_record(s, note)
        for section, value in zip(SECTIONS, text, strict=True):
            setattr(note, section, value)
        s.flush()
        record_clinical(
            s,
            actor,
            "update",
            "note",
            note.id,
            note.patient_id,
            "autosave" if autosave else "saved",
            emergency=emergency,
        )
        return _note_record(s, note)


def sign_note(actor: Actor, note_id: int, expected_version: int) -> NoteRecord:
    """The physician signs the note as it is stored; from then on it never changes."""
    if not actor.can(Permission.NOTE_SIGN) or actor.user_id is None:
        raise PermissionDenied(
            "Only a physician signs a note. Save it as a draft; a physician will sign it."
        )
    with actor.write() as s:
        note, emergency = _note_for_update(s, actor, note_id)
        open_chart_in(s, actor, note.patient_id, Permission.NOTE_SIGN)
        if note.status == "signed":
            raise ValidationError({"": "This note is signed already: add an addendum."})
        check_version(note, expected_version, "note")
        if not any(getattr(note, section).strip() for section in SECTIONS):
            raise ValidationError({"": "The note is empty: write it before you sign it."})
        note.status = "signed"
        note.signed_by = actor.user_id
        note.signed_at = utcnow()
        note.signed_hash = note_hash(note.subjective, note.objective, note.assessment, note.plan)
        s.flush()
        record_clinical(
            s, actor, "sign", "note", note.id, note.patient_id, "signed", emergency=emergency
        )
        return _note_record(s, note)


def add_addendum(
    actor: Actor, note_id: int, text: str, amendment_request_id: int | None = None
) -> AddendumRecord:
    """A correction or addition to a signed note, signed by its author as it is made."""
    if not actor.can(Permission.NOTE_SIGN) or actor.user_id is None:
        raise PermissionDenied("Only a physician adds an addendum to a signed note.")
    text = text.strip()
    if not text:
        raise ValidationError({"text": "Write the addendum."})
    with actor.write() as s:
        note = load_row(s, Note, note_id, "note")
        emergency = open_chart_in(s, actor, note.patient_id, Permission.NOTE_SIGN)
        if note.status != "signed":
            raise ValidationError({"": "The note is a draft: change the draft itself."})
        if amendment_request_id is not None:
            request = s.get(AmendmentRequest, amendment_request_id)
            if request is None or request.patient_id != note.patient_id:
                raise NotFound(
                    f"This patient has no amendment request with id {amendment_request_id}."
                )
        addendum = add_addendum_in(s, actor, note, text, amendment_request_id, emergency)
        return _addendum_record(addendum, actor.full_name)


def add_addendum_in(
    s: Session,
    actor: Actor,
    note: Note,
    text: str,
    amendment_request_id: int | None = None,
    emergency: bool = False,
) -> Addendum:
    """The addendum row, signed now by the actor, in the caller's transaction (add_addendum,
    and accepting a patient's amendment request)."""
    addendum = Addendum(
        note_id=note.id,
        patient_id=note.patient_id,
        text=text,
        signed_by=actor.user_id,
        signed_at=utcnow(),
        signed_hash=addendum_hash(text),
        amendment_request_id=amendment_request_id,
    )
    s.add(addendum)
    s.flush()
    detail = f"addendum to note {note.id}"
    if amendment_request_id is not None:
        detail += f", amendment request {amendment_request_id}"
    record_clinical(
        s, actor, "sign", "addendum", addendum.id, note.patient_id, detail, emergency=emergency
    )
    return addendum


def verify_note(actor: Actor, note_id: int) -> bool:
    """True when the note is signed and its text, and each addendum's, is what was signed."""
    actor.require(Permission.CHART_READ)
    with actor.write() as s:
        note = load_row(s, Note, note_id, "note")
        emergency = open_chart_in(s, actor, note.patient_id, Permission.CHART_READ)
        record_clinical(
            s, actor, "view", "note", note.id, note.patient_id, "verify", emergency=emergency
        )
        if note.status != "signed" or not note.signed_hash:
            return False
        if note.signed_hash != note_hash(
            note.subjective, note.objective, note.assessment, note.plan
        ):
            return False
        addenda = s.execute(select(Addendum).where(Addendum.note_id == note.id)).scalars()
        return all(a.signed_hash == addendum_hash(a.text) for a in addenda)


# --- reading encounters -------------------------------------------------------------------


def _number(value: float) -> str:
    return f"{value:g}"


def _observations_made(s: Session, encounter_id: int) -> list[MadeInVisit]:
    rows = s.execute(
        select(Observation)
        .where(Observation.encounter_id == encounter_id, Observation.entered_in_error.is_(False))
        .order_by(Observation.observed_at, Observation.id)
    ).scalars()
    made = []
    for o in rows:
        value = _number(o.value_num) if o.value_num is not None else o.value_text
        unit = unit_label(o.unit) if o.unit else ""
        flag = f" ({o.flag})" if o.flag else ""
        kind = "vitals" if o.category == "vital-signs" else "lab"
        made.append(MadeInVisit(kind, f"{o.name}: {value} {unit}".rstrip() + flag))
    return made


def _problems_made(s: Session, encounter_id: int) -> list[MadeInVisit]:
    rows = s.execute(
        select(Problem.icd10_code, Problem.description)
        .where(Problem.encounter_id == encounter_id, Problem.entered_in_error.is_(False))
        .order_by(Problem.id)
    )
    return [MadeInVisit("diagnosis", f"{code} {description}") for code, description in rows]


def _medications_made(s: Session, encounter_id: int) -> list[MadeInVisit]:
    rows = s.execute(
        select(Medication)
        .where(Medication.encounter_id == encounter_id, Medication.entered_in_error.is_(False))
        .order_by(Medication.id)
    ).scalars()
    return [
        MadeInVisit("medication", " ".join(p for p in (m.name, m.dose, m.frequency) if p))
        for m in rows
    ]


def _immunizations_made(s: Session, encounter_id: int) -> list[MadeInVisit]:
    rows = s.execute(
        select(Immunization)
        .where(Immunization.encounter_id == encounter_id, Immunization.entered_in_error.is_(False))
        .order_by(Immunization.id)
    ).scalars()
    return [
        MadeInVisit("immunization", f"{i.vaccine} (refused)" if i.refused else i.vaccine)
        for i in rows
    ]


def _prescriptions_made(s: Session, encounter_id: int) -> list[MadeInVisit]:
    rows = s.execute(
        select(Prescription)
        .where(Prescription.encounter_id == encounter_id, Prescription.entered_in_error.is_(False))
        .order_by(Prescription.id)
    ).scalars()
    return [
        MadeInVisit(
            "prescription",
            " ".join(p for p in (rx.drug_name, rx.strength, f"({rx.status})") if p),
        )
        for rx in rows
    ]


def _referrals_made(s: Session, encounter_id: int) -> list[MadeInVisit]:
    rows = s.execute(
        select(Referral.to_name, Referral.to_specialty, Referral.reason)
        .where(Referral.encounter_id == encounter_id, Referral.entered_in_error.is_(False))
        .order_by(Referral.id)
    )
    return [
        MadeInVisit(
            "referral", f"To {name}" + (f" ({specialty})" if specialty else "") + f": {reason}"
        )
        for name, specialty, reason in rows
    ]


# What a visit lists as made in it: each a function (session, encounter id) -> MadeInVisit list.
MADE_IN_VISIT: list[Callable[[Session, int], list[MadeInVisit]]] = [
    _observations_made,
    _problems_made,
    _medications_made,
    _immunizations_made,
    _prescriptions_made,
    _referrals_made,
]


def get_encounter(actor: Actor, encounter_id: int) -> EncounterDetail:
    actor.require(Permission.CHART_READ)
    with actor.write() as s:
        encounter = load_row(s, Encounter, encounter_id, "encounter")
        emergency = open_chart_in(s, actor, encounter.patient_id, Permission.CHART_READ)
        note = s.execute(select(Note).where(Note.encounter_id == encounter.id)).scalar_one()
        signer = aliased(User)
        addenda = [
            _addendum_record(a, name)
            for a, name in s.execute(
                select(Addendum, signer.full_name)
                .join(signer, signer.id == Addendum.signed_by)
                .where(Addendum.note_id == note.id)
                .order_by(Addendum.signed_at, Addendum.id)
            )
        ]
        made = [item for reader in MADE_IN_VISIT for item in reader(s, encounter.id)]
        record_clinical(
            s, actor, "view", "encounter", encounter.id, encounter.patient_id, emergency=emergency
        )
        return EncounterDetail(
            encounter=_encounter_of(s, encounter),
            note=_note_record(s, note),
            addenda=tuple(addenda),
            made=tuple(made),
        )


def get_note(actor: Actor, note_id: int) -> NoteRecord:
    actor.require(Permission.CHART_READ)
    with actor.write() as s:
        note = load_row(s, Note, note_id, "note")
        emergency = open_chart_in(s, actor, note.patient_id, Permission.CHART_READ)
        record_clinical(s, actor, "view", "note", note.id, note.patient_id, emergency=emergency)
        return _note_record(s, note)


def list_encounters(
    actor: Actor, patient_id: int, include_errors: bool = False
) -> list[EncounterSummary]:
    """The patient's encounters, newest first, in one query."""
    actor.require(Permission.CHART_READ)
    stmt = (
        select(
            Encounter.id,
            Encounter.version,
            Encounter.occurred_at,
            Encounter.encounter_type,
            User.full_name,
            Encounter.reason,
            Note.id,
            Note.status,
            Encounter.entered_in_error,
            Encounter.error_reason,
        )
        .join(User, User.id == Encounter.provider_id)
        .join(Note, Note.encounter_id == Encounter.id)
        .where(Encounter.patient_id == patient_id)
        .order_by(Encounter.occurred_at.desc(), Encounter.id.desc())
    )
    if not include_errors:
        stmt = stmt.where(Encounter.entered_in_error.is_not(true()))
    with actor.write() as s:
        emergency = open_chart_in(s, actor, patient_id, Permission.CHART_READ)
        rows = s.execute(stmt).all()
        record_clinical(
            s, actor, "view", "encounter", None, patient_id, "list", emergency=emergency
        )
    return [
        EncounterSummary(
            id=r[0],
            version=r[1],
            occurred_at=to_local(r[2]),
            encounter_type=r[3],
            provider_name=r[4],
            reason=r[5],
            note_id=r[6],
            note_status=r[7],
            entered_in_error=r[8],
            error_reason=r[9],
        )
        for r in rows
    ]


def mark_encounter_entered_in_error(
    actor: Actor, encounter_id: int, expected_version: int, reason: str
) -> None:
    """An encounter started by mistake (wrong patient, duplicate). Only while its note is
    unsigned: a signed note is corrected by addenda."""
    actor.require(Permission.CHART_WRITE)
    with actor.read() as s:
        encounter = load_row(s, Encounter, encounter_id, "encounter")
        open_chart_in(s, actor, encounter.patient_id, Permission.CHART_WRITE)
        status = s.execute(select(Note.status).where(Note.encounter_id == encounter_id)).scalar()
    if status == "signed":
        raise ValidationError(
            {"": "The note of this encounter is signed: correct it with an addendum."}
        )
    mark_entered_in_error(actor, Encounter, encounter_id, expected_version, reason, "encounter")
