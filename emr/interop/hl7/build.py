"""The one entry point of the message layer: build an HL7 message for a record, reading what
it needs from the ORM in the caller's session (so that a message is queued in the same
transaction as the change that caused it), and which messages an audit event calls for."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from emr.errors import NotFound, ValidationError
from emr.interop.hl7 import adt, mdm, oru, rde, ref, vxu
from emr.interop.hl7.encoding import new_control_id
from emr.interop.hl7.segments import ICD10CM, Header
from emr.models.chart import Addendum, Encounter, Note
from emr.models.clinical import Immunization, Problem
from emr.models.observations import LabPanel, Observation
from emr.models.patients import Patient
from emr.models.practice import PracticeProfile
from emr.models.prescribing import Prescription, Referral
from emr.models.users import User

MESSAGE_TYPES = (
    "ADT^A04",
    "ADT^A08",
    "ADT^A28",
    "ADT^A31",
    "ORU^R01",
    "VXU^V04",
    "MDM^T02",
    "MDM^T08",
    "REF^I12",
    "RDE^O11",
)

# The audit trail's entity names (table names or singular words) -> one name here.
_ENTITY_ALIASES = {
    "patient": "patient",
    "patients": "patient",
    "observation": "observations",
    "observations": "observations",
    "vitals": "observations",
    "lab_panel": "lab_panels",
    "lab_panels": "lab_panels",
    "encounter": "encounter",
    "encounters": "encounter",
    "immunization": "immunizations",
    "immunizations": "immunizations",
    "note": "note",
    "notes": "note",
    "addendum": "addendum",
    "addenda": "addendum",
    "referral": "referral",
    "referrals": "referral",
    "prescription": "prescription",
    "prescriptions": "prescription",
}

_EVENTS = {
    ("create", "patient"): ["ADT^A04", "ADT^A28"],
    ("update", "patient"): ["ADT^A08", "ADT^A31"],
    ("create", "observations"): ["ORU^R01"],
    ("create", "lab_panels"): ["ORU^R01"],
    ("create", "immunizations"): ["VXU^V04"],
    ("sign", "note"): ["MDM^T02"],
    ("sign", "addendum"): ["MDM^T08"],
    ("send", "referral"): ["REF^I12"],
    ("sent", "referral"): ["REF^I12"],
    ("sign", "prescription"): ["RDE^O11"],
}

# Which entities each message type is built from.
_SOURCES = {
    "ADT": {"patient"},
    "ORU": {"observations", "lab_panels", "encounter"},
    "VXU": {"immunizations"},
    "MDM^T02": {"note"},
    "MDM^T08": {"addendum"},
    "REF": {"referral"},
    "RDE": {"prescription"},
}


@dataclass(frozen=True)
class BuiltMessage:
    type: str  # "ADT^A08"
    control_id: str  # MSH-10
    patient_id: int
    er7: str  # segments ended by carriage returns


def entity_name(entity: str) -> str:
    return _ENTITY_ALIASES.get(entity, entity)


def message_types_for(action: str, entity: str) -> list[str]:
    """The messages an audit event calls for: ("create", "patient") -> ADT^A04 and ADT^A28."""
    return list(_EVENTS.get((action, entity_name(entity)), []))


def sender_of(session: Session) -> tuple[str, str]:
    """MSH-3 and MSH-4 from the practice profile: the HL7 application and facility (the
    practice's NPI when no facility is set)."""
    profile = session.get(PracticeProfile, 1)
    if profile is None:
        return "SMALLPRACTICE-EMR", ""
    return profile.hl7_application or "SMALLPRACTICE-EMR", profile.hl7_facility or profile.npi


def build_message(
    session: Session,
    message_type: str,
    entity: str,
    entity_id: int,
    *,
    sending_application: str,
    sending_facility: str,
    receiving_application: str = "",
    receiving_facility: str = "",
    control_id: str | None = None,
    now: datetime | None = None,
) -> BuiltMessage:
    """The ER7 message of this type for this record. Raises ValidationError for a type that
    cannot be made from this kind of record, NotFound for a missing row."""
    kind = entity_name(entity)
    if message_type not in MESSAGE_TYPES:
        raise ValidationError(
            {
                "message_type": f"{message_type} is not a message we send ({', '.join(MESSAGE_TYPES)})."
            }
        )
    sources = _SOURCES.get(message_type) or _SOURCES[message_type.split("^")[0]]
    if kind not in sources:
        raise ValidationError(
            {
                "entity": f"A {message_type} is not made from {entity} (only {', '.join(sorted(sources))})."
            }
        )
    header = Header(
        sending_application=sending_application,
        sending_facility=sending_facility,
        receiving_application=receiving_application,
        receiving_facility=receiving_facility,
        control_id=control_id or new_control_id(),
        now=now or datetime.now(UTC),
    )
    patient_id, er7 = _BUILDERS[message_type.split("^")[0]](
        session, message_type, kind, entity_id, header
    )
    return BuiltMessage(message_type, header.control_id, patient_id, er7)


def _row(session: Session, model: type, row_id: int | None, what: str):
    row = session.get(model, row_id) if row_id is not None else None
    if row is None:
        raise NotFound(f"There is no {what} with id {row_id}.")
    return row


def _user(session: Session, user_id: int | None) -> User | None:
    return session.get(User, user_id) if user_id is not None else None


def _adt(s: Session, message_type: str, kind: str, entity_id: int, h: Header) -> tuple[int, str]:
    patient = _row(s, Patient, entity_id, "patient")
    return patient.id, adt.build_adt(message_type.split("^")[1], patient, h)


def _oru(s: Session, message_type: str, kind: str, entity_id: int, h: Header) -> tuple[int, str]:
    if kind == "lab_panels":
        panel = _row(s, LabPanel, entity_id, "lab panel")
        reports = [_panel_report(s, panel)]
        patient_id, encounter_id = panel.patient_id, panel.encounter_id
    elif kind == "observations":
        obs = _row(s, Observation, entity_id, "observation")
        patient_id, encounter_id = obs.patient_id, obs.encounter_id
        if obs.panel_id is not None:
            reports = [_panel_report(s, _row(s, LabPanel, obs.panel_id, "lab panel"))]
        else:  # the whole vitals entry it was recorded in
            rows = [obs]
            if obs.group_id:
                rows = _observations(
                    s,
                    Observation.patient_id == obs.patient_id,
                    Observation.group_id == obs.group_id,
                )
            reports = [oru.vitals_report(rows)]
    else:
        encounter = _row(s, Encounter, entity_id, "encounter")
        patient_id, encounter_id = encounter.patient_id, encounter.id
        reports = _encounter_reports(s, encounter)
        if not reports:
            raise ValidationError({"entity": "This visit has no vital signs or results to send."})
    encounter = s.get(Encounter, encounter_id) if encounter_id else None
    provider = _user(s, encounter.provider_id) if encounter else None
    patient = _row(s, Patient, patient_id, "patient")
    return patient_id, oru.build_oru(patient, reports, h, encounter=encounter, provider=provider)


def _observations(s: Session, *where) -> list[Observation]:
    return list(s.scalars(select(Observation).where(*where).order_by(Observation.id)))


def _panel_report(s: Session, panel: LabPanel) -> oru.Report:
    rows = _observations(s, Observation.panel_id == panel.id)
    return oru.panel_report(panel, rows, _user(s, panel.ordered_by))


def _encounter_reports(s: Session, encounter: Encounter) -> list[oru.Report]:
    """A visit's vitals entries and lab panels, one report each (entered-in-error rows left
    out: they were never sent as this visit's results)."""
    rows = _observations(
        s, Observation.encounter_id == encounter.id, Observation.entered_in_error.is_(False)
    )
    reports: list[oru.Report] = []
    panels: dict[int, list[Observation]] = {}
    vitals: dict[str, list[Observation]] = {}
    for o in rows:
        if o.panel_id is not None:
            panels.setdefault(o.panel_id, []).append(o)
        else:
            vitals.setdefault(o.group_id or f"{o.id}", []).append(o)
    reports += [oru.vitals_report(group) for group in vitals.values()]
    for panel_id, group in panels.items():
        panel = _row(s, LabPanel, panel_id, "lab panel")
        reports.append(oru.panel_report(panel, group, _user(s, panel.ordered_by)))
    return reports


def _vxu(s: Session, message_type: str, kind: str, entity_id: int, h: Header) -> tuple[int, str]:
    row = _row(s, Immunization, entity_id, "immunization")
    patient = _row(s, Patient, row.patient_id, "patient")
    encounter = s.get(Encounter, row.encounter_id) if row.encounter_id else None
    ordering = _user(s, encounter.provider_id) if encounter else None
    return patient.id, vxu.build_vxu(patient, row, ordering, h)


def _mdm(s: Session, message_type: str, kind: str, entity_id: int, h: Header) -> tuple[int, str]:
    if kind == "addendum":
        addendum = _row(s, Addendum, entity_id, "addendum")
        note = _row(s, Note, addendum.note_id, "note")
    else:
        addendum = None
        note = _row(s, Note, entity_id, "note")
        if note.status != "signed":
            raise ValidationError({"entity": "Only a signed note is sent."})
    encounter = _row(s, Encounter, note.encounter_id, "encounter")
    patient = _row(s, Patient, note.patient_id, "patient")
    if addendum is not None:
        author = _user(s, addendum.signed_by)
        return patient.id, mdm.build_addendum(patient, encounter, note, addendum, author, h)
    author = _user(s, note.signed_by or encounter.provider_id)
    return patient.id, mdm.build_note(patient, encounter, note, author, h)


def _icd10(code: str) -> tuple[str, str, str]:
    from emr.codes.icd10 import get_icd10

    try:
        return code, get_icd10(code).description, ICD10CM
    except (NotFound, LookupError):
        return code, "", ICD10CM


def _ref(s: Session, message_type: str, kind: str, entity_id: int, h: Header) -> tuple[int, str]:
    referral = _row(s, Referral, entity_id, "referral")
    patient = _row(s, Patient, referral.patient_id, "patient")
    diagnoses = [_icd10(code)[:2] for code in ref.diagnosis_codes(referral)]
    referring = _user(s, referral.referring_provider_id)
    practice = s.get(PracticeProfile, 1)
    return patient.id, ref.build_ref(patient, referral, referring, practice, diagnoses, h)


def _rde(s: Session, message_type: str, kind: str, entity_id: int, h: Header) -> tuple[int, str]:
    rx = _row(s, Prescription, entity_id, "prescription")
    patient = _row(s, Patient, rx.patient_id, "patient")
    code = rx.diagnosis_code
    if not code and rx.problem_id is not None:
        problem = s.get(Problem, rx.problem_id)
        code = problem.icd10_code if problem else ""
    indication = _icd10(code) if code else None
    prescriber = _user(s, rx.signed_by or rx.prescriber_id)
    return patient.id, rde.build_rde(patient, rx, prescriber, indication, h)


_BUILDERS = {"ADT": _adt, "ORU": _oru, "VXU": _vxu, "MDM": _mdm, "REF": _ref, "RDE": _rde}
