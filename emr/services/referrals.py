"""Referrals: a letter to another provider, merged from a template with the patient's chart
(problems, medications, allergies, recent results), edited by the physician, printed, and
tracked until the specialist's report comes back.

Who may do what: a nurse or physician (CHART_WRITE) drafts a referral and its letter and
records its progress (appointment made, report received, cancelled); only a physician
(NOTE_SIGN) marks it sent, since the letter goes out under a physician's name. Templates are
kept by physicians and administrators. Everything is audited.

Status flow: draft → sent → appointment made → report received; any open referral may be
cancelled. Each change adds a dated line to the referral's status notes.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import false, or_, select
from sqlalchemy.orm import Session

from emr.codes.icd10 import require_billable
from emr.errors import NotFound, PermissionDenied, ValidationError
from emr.localtime import to_local
from emr.models.clinical import Allergy, AllergyStatus, Medication, Problem
from emr.models.observations import Observation
from emr.models.patients import Patient
from emr.models.practice import PracticeProfile
from emr.models.prescribing import Referral, ReferralTemplate
from emr.models.users import User
from emr.security.permissions import Permission, Role
from emr.services.clinical import (
    check_encounter,
    check_version,
    load_row,
    mark_entered_in_error,
    open_chart_in,
    record_clinical,
)
from emr.services.context import Actor
from emr.services.users import npi_is_valid

ENTITY = Referral.__tablename__
TEMPLATE_ENTITY = ReferralTemplate.__tablename__
URGENCIES = ("routine", "urgent", "stat")
STATUSES = ("draft", "sent", "appointment_made", "report_received", "cancelled")
STATUS_LABELS = {
    "draft": "Draft",
    "sent": "Sent",
    "appointment_made": "Appointment made",
    "report_received": "Report received",
    "cancelled": "Cancelled",
}
# Which status may follow which; a new appointment date may replace the old one.
NEXT_STATUSES: dict[str, tuple[str, ...]] = {
    "draft": ("sent", "cancelled"),
    "sent": ("appointment_made", "report_received", "cancelled"),
    "appointment_made": ("appointment_made", "report_received", "cancelled"),
    "report_received": (),
    "cancelled": (),
}
MERGE_FIELDS = (
    "patient_name",
    "patient_dob",
    "patient_mrn",
    "referring_provider",
    "receiving_provider",
    "specialty",
    "reason",
    "problems",
    "medications",
    "allergies",
    "recent_results",
    "today",
    "practice_name",
)
# Fields the caller of merge_letter may give (the rest come from the chart).
GIVEN_FIELDS = ("referring_provider", "receiving_provider", "specialty", "reason")
RECENT_RESULTS_MAX = 10
NAME_MAX = 200
TEMPLATE_NAME_MAX = 100
SPECIALTY_MAX = 100
DIAGNOSES_MAX = 100
LETTER_MAX = 20_000
_MERGE = re.compile(r"\{\{|\}\}|\{(\w*)\}")


# --- records ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReferralTemplateRecord:
    id: int
    version: int
    name: str
    specialty: str  # "" = any specialty
    body: str
    active: bool


@dataclass(frozen=True)
class ReferralInput:
    to_name: str
    reason: str
    to_specialty: str = ""
    to_organization: str = ""
    to_address: str = ""
    to_phone: str = ""
    to_fax: str = ""
    to_npi: str = ""
    urgency: str = "routine"
    diagnosis_codes: tuple[str, ...] = ()
    template_id: int | None = None
    letter_text: str = ""
    encounter_id: int | None = None
    referring_provider_id: int | None = None  # default: the acting physician


@dataclass(frozen=True)
class ReferralRecord:
    id: int
    version: int
    patient_id: int
    encounter_id: int | None
    referring_provider_id: int
    referring_provider_name: str
    referring_provider_npi: str
    to_name: str
    to_specialty: str
    to_organization: str
    to_address: str
    to_phone: str
    to_fax: str
    to_npi: str
    reason: str
    urgency: str
    diagnosis_codes: tuple[str, ...]
    template_id: int | None
    letter_text: str
    status: str
    sent_on: date | None
    appointment_on: date | None
    report_received_on: date | None
    status_note: str
    created_at: datetime  # local
    entered_in_error: bool
    error_reason: str

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    @property
    def receiving(self) -> str:
        """ "Dr Lee (Cardiology), Heart Clinic" for a list."""
        text = self.to_name + (f" ({self.to_specialty})" if self.to_specialty else "")
        return text + (f", {self.to_organization}" if self.to_organization else "")

    @property
    def status_date(self) -> date | None:
        return {
            "sent": self.sent_on,
            "appointment_made": self.appointment_on,
            "report_received": self.report_received_on,
        }.get(self.status)

    @property
    def next_statuses(self) -> tuple[str, ...]:
        return () if self.entered_in_error else NEXT_STATUSES.get(self.status, ())


# --- merge fields -------------------------------------------------------------------------


def unknown_fields(body: str) -> list[str]:
    """The {names} in a template that are not merge fields (a typo would print as is)."""
    return sorted(
        {m.group(1) for m in _MERGE.finditer(body) if m.group(0)[:2] not in ("{{", "}}")}
        - set(MERGE_FIELDS)
    )


def merge_text(body: str, values: Mapping[str, str]) -> str:
    """The template with each {field} replaced by its value ("" when not given); {{ and }}
    stand for literal braces. Nothing else is interpreted (no attribute or format tricks)."""

    def replace(match: re.Match[str]) -> str:
        token = match.group(0)
        if token == "{{":
            return "{"
        if token == "}}":
            return "}"
        name = match.group(1)
        return values.get(name, "") if name in MERGE_FIELDS else token

    return _MERGE.sub(replace, body)


def _lines(items: list[str], empty: str) -> str:
    return "\n".join(f"- {item}" for item in items) if items else empty


def _patient_name(p: Patient) -> str:
    return " ".join(part for part in (p.given_name, p.middle_name, p.family_name) if part)


def chart_values(s: Session, patient: Patient, today: date) -> dict[str, str]:
    pid = patient.id
    problems = [
        f"{code} {description}"
        for code, description in s.execute(
            select(Problem.icd10_code, Problem.description)
            .where(
                Problem.patient_id == pid,
                Problem.entered_in_error == false(),
                Problem.status == "active",
            )
            .order_by(Problem.onset.is_(None), Problem.onset, Problem.id)
        )
    ]
    medications = [
        " ".join(part for part in row if part)
        for row in s.execute(
            select(Medication.name, Medication.dose, Medication.route, Medication.frequency)
            .where(
                Medication.patient_id == pid,
                Medication.entered_in_error == false(),
                or_(Medication.stopped_on.is_(None), Medication.stopped_on > today),
                or_(Medication.started_on.is_(None), Medication.started_on <= today),
            )
            .order_by(Medication.name)
        )
    ]
    return {
        "patient_name": _patient_name(patient),
        "patient_dob": f"{patient.date_of_birth:%m/%d/%Y}",
        "patient_mrn": patient.mrn,
        "problems": _lines(problems, "No active problems recorded."),
        "medications": _lines(medications, "No current medications recorded."),
        "allergies": _allergy_text(s, pid),
        "recent_results": _lines(_recent_results(s, pid), "No laboratory results recorded."),
        "today": f"{today:%B} {today.day}, {today.year}",
        "practice_name": s.execute(select(PracticeProfile.name)).scalar() or "",
    }


def _allergy_text(s: Session, patient_id: int) -> str:
    rows = s.execute(
        select(Allergy.substance, Allergy.reaction, Allergy.severity)
        .where(
            Allergy.patient_id == patient_id,
            Allergy.entered_in_error == false(),
            Allergy.status == "active",
        )
        .order_by(Allergy.substance)
    ).all()
    if rows:
        return "; ".join(
            substance
            + (
                f" ({', '.join(x for x in (reaction, severity) if x)})"
                if reaction or severity
                else ""
            )
            for substance, reaction, severity in rows
        )
    nka = s.execute(
        select(AllergyStatus.no_known_allergies).where(AllergyStatus.patient_id == patient_id)
    ).scalar()
    return "No known allergies" if nka else "Allergies not recorded"


def _recent_results(s: Session, patient_id: int) -> list[str]:
    """The latest result of each laboratory test, newest first."""
    rows = s.execute(
        select(Observation)
        .where(
            Observation.patient_id == patient_id,
            Observation.category == "laboratory",
            Observation.entered_in_error == false(),
        )
        .order_by(Observation.observed_at.desc(), Observation.id.desc())
        .limit(200)
    ).scalars()
    from emr.codes.units import unit_label

    seen: set[str] = set()
    lines: list[str] = []
    for o in rows:
        key = o.loinc_code or o.name.casefold()
        if key in seen:
            continue
        seen.add(key)
        value = f"{o.value_num:g}" if o.value_num is not None else o.value_text
        unit = unit_label(o.unit) if o.unit else ""
        flag = f" ({o.flag})" if o.flag else ""
        lines.append(
            f"{o.name}: {value} {unit}".rstrip() + f"{flag} on {to_local(o.observed_at):%m/%d/%Y}"
        )
        if len(lines) == RECENT_RESULTS_MAX:
            break
    return lines


def merge_letter(actor: Actor, patient_id: int, template_id: int, **fields: str) -> str:
    """The template's letter for this patient, its fields filled from the chart; the caller
    gives referring_provider (default: the acting user), receiving_provider, specialty and
    reason. Audited as a view of the chart."""
    actor.require(Permission.CHART_READ)
    wrong = sorted(set(fields) - set(GIVEN_FIELDS))
    if wrong:
        raise ValidationError({"": f"These are not fields to give: {', '.join(wrong)}."})
    with actor.write() as s:
        emergency = open_chart_in(s, actor, patient_id, Permission.CHART_READ)
        template = load_row(s, ReferralTemplate, template_id, "referral template")
        values = chart_values(s, s.get(Patient, patient_id), date.today())
        values["referring_provider"] = actor.full_name
        values.update({k: v.strip() for k, v in fields.items() if v is not None})
        record_clinical(
            s,
            actor,
            "view",
            ENTITY,
            None,
            patient_id,
            f"referral letter merged from template {template.id}",
            emergency=emergency,
        )
        return merge_text(template.body, values)


# --- templates ----------------------------------------------------------------------------


def templates_folder() -> Path:
    frozen_base = getattr(sys, "_MEIPASS", None)
    base = Path(frozen_base) if frozen_base else Path(__file__).resolve().parents[2]
    return base / "resources" / "templates"


def read_template_file(path: Path) -> tuple[str, str, str]:
    """(name, specialty, body) of a starter template: header lines "name: …" and
    "specialty: …", a line "---", then the body."""
    text = path.read_text(encoding="utf-8")
    header, separator, body = text.partition("\n---\n")
    if not separator:
        raise ValueError(f"{path.name}: no line '---' between the header and the body")
    info = {}
    for line in header.splitlines():
        key, _, value = line.partition(":")
        info[key.strip().lower()] = value.strip()
    return info.get("name") or path.stem, info.get("specialty", ""), body.strip() + "\n"


def _seed_in(s: Session) -> int:
    if s.execute(select(ReferralTemplate.id).limit(1)).first():
        return 0
    count = 0
    for path in sorted(templates_folder().glob("referral_*.txt")):
        name, specialty, body = read_template_file(path)
        s.add(ReferralTemplate(name=name, specialty=specialty, body=body, active=True))
        count += 1
    s.flush()
    return count


def seed_starter_templates(actor: Actor) -> int:
    """Load the starter templates (resources/templates/referral_*.txt) when the practice has
    none yet; returns how many were added."""
    with actor.write() as s:
        return _seed_in(s)


def _template_record(t: ReferralTemplate) -> ReferralTemplateRecord:
    return ReferralTemplateRecord(t.id, t.version, t.name, t.specialty, t.body, t.active)


def list_templates(
    actor: Actor, *, specialty: str = "", include_retired: bool = False
) -> list[ReferralTemplateRecord]:
    """The templates by name (the starter ones are loaded on first use); with a specialty,
    that specialty's templates and the general ones."""
    if not (actor.can(Permission.CHART_READ) or actor.can(Permission.SETTINGS_MANAGE)):
        actor.require(Permission.CHART_READ)
    with actor.write() as s:
        _seed_in(s)
        query = select(ReferralTemplate)
        if not include_retired:
            query = query.where(ReferralTemplate.active.is_(True))
        rows = [_template_record(t) for t in s.scalars(query)]
    if specialty.strip():
        wanted = specialty.strip().casefold()
        rows = [t for t in rows if t.specialty.casefold() in ("", wanted)]
    return sorted(rows, key=lambda t: (t.name.casefold(), t.id))


def _require_template_keeper(actor: Actor) -> None:
    if not (actor.can(Permission.NOTE_SIGN) or actor.can(Permission.SETTINGS_MANAGE)):
        raise PermissionDenied(
            f"{actor.full_name or actor.username} ({actor.role.replace('_', ' ')}) may not "
            "change referral templates: physicians and administrators keep them."
        )


def save_template(
    actor: Actor,
    template_id: int | None,
    *,
    name: str,
    body: str,
    specialty: str = "",
    expected_version: int | None = None,
) -> ReferralTemplateRecord:
    """Add a template (template_id None) or change one."""
    _require_template_keeper(actor)
    name, specialty = name.strip(), specialty.strip()
    problems: dict[str, str] = {}
    if not name:
        problems["name"] = "Give the template a name."
    elif len(name) > TEMPLATE_NAME_MAX:
        problems["name"] = f"The name is at most {TEMPLATE_NAME_MAX} characters."
    if len(specialty) > SPECIALTY_MAX:
        problems["specialty"] = f"The specialty is at most {SPECIALTY_MAX} characters."
    if not body.strip():
        problems["body"] = "Write the letter's text."
    elif unknown := unknown_fields(body):
        problems["body"] = (
            "Unknown merge fields: "
            + ", ".join(f"{{{u}}}" for u in unknown)
            + ". The fields are: "
            + ", ".join(f"{{{f}}}" for f in MERGE_FIELDS)
            + " (write {{ and }} for a brace)."
        )
    if problems:
        raise ValidationError(problems)
    with actor.write() as s:
        _seed_in(s)
        if template_id is None:
            row = ReferralTemplate(name=name, specialty=specialty, body=body, active=True)
            s.add(row)
            action = "create"
        else:
            row = load_row(s, ReferralTemplate, template_id, "referral template")
            if expected_version is not None:
                check_version(row, expected_version, "referral template")
            row.name, row.specialty, row.body = name, specialty, body
            action = "update"
        s.flush()
        _audit_template(s, actor, action, row.id, name)
        return _template_record(row)


def retire_template(
    actor: Actor, template_id: int, expected_version: int
) -> ReferralTemplateRecord:
    """A template no longer offered; the referrals made from it keep their letters."""
    _require_template_keeper(actor)
    with actor.write() as s:
        row = load_row(s, ReferralTemplate, template_id, "referral template")
        check_version(row, expected_version, "referral template")
        row.active = False
        s.flush()
        _audit_template(s, actor, "update", row.id, f"retired {row.name}")
        return _template_record(row)


def _audit_template(s: Session, actor: Actor, action: str, template_id: int, detail: str) -> None:
    from emr.security import audit

    audit.record(
        s,
        user_id=actor.user_id,
        username=actor.username,
        action=action,
        entity=TEMPLATE_ENTITY,
        entity_id=template_id,
        detail=detail[:200],
    )


# --- referrals ----------------------------------------------------------------------------


def _record(s: Session, r: Referral) -> ReferralRecord:
    provider = s.get(User, r.referring_provider_id)
    return ReferralRecord(
        id=r.id,
        version=r.version,
        patient_id=r.patient_id,
        encounter_id=r.encounter_id,
        referring_provider_id=r.referring_provider_id,
        referring_provider_name=provider.full_name if provider else "",
        referring_provider_npi=(provider.npi or "") if provider else "",
        to_name=r.to_name,
        to_specialty=r.to_specialty,
        to_organization=r.to_organization,
        to_address=r.to_address,
        to_phone=r.to_phone,
        to_fax=r.to_fax,
        to_npi=r.to_npi,
        reason=r.reason,
        urgency=r.urgency,
        diagnosis_codes=tuple(c for c in r.diagnosis_codes.split(",") if c),
        template_id=r.template_id,
        letter_text=r.letter_text,
        status=r.status,
        sent_on=r.sent_on,
        appointment_on=r.appointment_on,
        report_received_on=r.report_received_on,
        status_note=r.status_note,
        created_at=to_local(r.created_at),
        entered_in_error=r.entered_in_error,
        error_reason=r.error_reason,
    )


def _checked(data: ReferralInput) -> tuple[ReferralInput, str]:
    """The input with its text trimmed, and the diagnosis codes as stored; ValidationError
    naming every field that is wrong."""
    from dataclasses import replace

    data = replace(
        data,
        to_name=data.to_name.strip(),
        reason=data.reason.strip(),
        to_specialty=data.to_specialty.strip(),
        to_organization=data.to_organization.strip(),
        to_address=data.to_address.strip(),
        to_phone=data.to_phone.strip(),
        to_fax=data.to_fax.strip(),
        to_npi=data.to_npi.strip(),
        urgency=data.urgency.strip().lower(),
    )
    problems: dict[str, str] = {}
    if not data.to_name:
        problems["to_name"] = "Name the provider the patient is referred to."
    elif len(data.to_name) > NAME_MAX:
        problems["to_name"] = f"The name is at most {NAME_MAX} characters."
    if not data.reason:
        problems["reason"] = "Give the reason for the referral."
    if len(data.to_specialty) > SPECIALTY_MAX:
        problems["to_specialty"] = f"The specialty is at most {SPECIALTY_MAX} characters."
    if len(data.to_organization) > NAME_MAX:
        problems["to_organization"] = f"The organization is at most {NAME_MAX} characters."
    for key in ("to_phone", "to_fax"):
        if len(getattr(data, key)) > 40:
            problems[key] = "At most 40 characters."
    if data.to_npi and not npi_is_valid(data.to_npi):
        problems["to_npi"] = "An NPI is 10 digits with a valid check digit."
    if data.urgency not in URGENCIES:
        problems["urgency"] = "The urgency is routine, urgent or stat."
    if len(data.letter_text) > LETTER_MAX:
        problems["letter_text"] = f"The letter is at most {LETTER_MAX:,} characters."
    codes: list[str] = []
    for raw in data.diagnosis_codes:
        code = raw.strip().upper()
        if not code:
            continue
        try:
            codes.append(require_billable(code).code)
        except (ValidationError, NotFound) as exc:
            problems["diagnosis_codes"] = str(exc)
    stored = ",".join(dict.fromkeys(codes))
    if len(stored) > DIAGNOSES_MAX:
        problems["diagnosis_codes"] = "Too many diagnosis codes for one referral."
    if problems:
        raise ValidationError(problems)
    return data, stored


def _referring_provider(s: Session, actor: Actor, provider_id: int | None) -> int:
    if provider_id is None:
        if actor.role != Role.PHYSICIAN or actor.user_id is None:
            raise ValidationError(
                {"referring_provider_id": "Choose the physician who makes this referral."}
            )
        return actor.user_id
    user = s.get(User, provider_id)
    if user is None or user.role != Role.PHYSICIAN or not user.active:
        raise ValidationError(
            {"referring_provider_id": "The referring provider must be an active physician."}
        )
    return user.id


def create_referral(actor: Actor, patient_id: int, data: ReferralInput) -> ReferralRecord:
    """A draft referral; a nurse may draft one for a physician (referring_provider_id)."""
    actor.require(Permission.CHART_WRITE)
    data, codes = _checked(data)
    with actor.write() as s:
        emergency = open_chart_in(s, actor, patient_id, Permission.CHART_WRITE)
        check_encounter(s, patient_id, data.encounter_id)
        provider_id = _referring_provider(s, actor, data.referring_provider_id)
        if data.template_id is not None:
            load_row(s, ReferralTemplate, data.template_id, "referral template")
        row = Referral(
            patient_id=patient_id,
            encounter_id=data.encounter_id,
            referring_provider_id=provider_id,
            to_name=data.to_name,
            to_specialty=data.to_specialty,
            to_organization=data.to_organization,
            to_address=data.to_address,
            to_phone=data.to_phone,
            to_fax=data.to_fax,
            to_npi=data.to_npi,
            reason=data.reason,
            urgency=data.urgency,
            diagnosis_codes=codes,
            template_id=data.template_id,
            letter_text=data.letter_text,
            status="draft",
        )
        s.add(row)
        s.flush()
        record_clinical(
            s,
            actor,
            "create",
            ENTITY,
            row.id,
            patient_id,
            f"referral to {data.to_specialty or 'provider'} ({data.urgency})",
            emergency=emergency,
        )
        return _record(s, row)


def update_referral(
    actor: Actor, referral_id: int, expected_version: int, data: ReferralInput
) -> ReferralRecord:
    """Change a draft referral, its letter included; once sent, the letter is what was sent."""
    actor.require(Permission.CHART_WRITE)
    data, codes = _checked(data)
    with actor.write() as s:
        row = load_row(s, Referral, referral_id, "referral")
        emergency = open_chart_in(s, actor, row.patient_id, Permission.CHART_WRITE)
        check_version(row, expected_version, "referral")
        if row.entered_in_error:
            raise ValidationError({"": "This referral is marked entered in error."})
        if row.status != "draft":
            raise ValidationError(
                {"": "Only a draft referral is changed: this one was sent already."}
            )
        check_encounter(s, row.patient_id, data.encounter_id)
        if data.referring_provider_id is not None:
            row.referring_provider_id = _referring_provider(s, actor, data.referring_provider_id)
        if data.template_id is not None:
            load_row(s, ReferralTemplate, data.template_id, "referral template")
        for key in (
            "to_name",
            "to_specialty",
            "to_organization",
            "to_address",
            "to_phone",
            "to_fax",
            "to_npi",
            "reason",
            "urgency",
            "template_id",
            "letter_text",
            "encounter_id",
        ):
            setattr(row, key, getattr(data, key))
        row.diagnosis_codes = codes
        s.flush()
        record_clinical(
            s,
            actor,
            "update",
            ENTITY,
            row.id,
            row.patient_id,
            "referral edited",
            emergency=emergency,
        )
        return _record(s, row)


def set_referral_status(
    actor: Actor,
    referral_id: int,
    expected_version: int,
    status: str,
    *,
    on: date | None = None,
    note: str = "",
) -> ReferralRecord:
    """Move a referral on: sent (a physician; on = the day, default today), appointment made
    (on = the appointment's date, required), report received (on = default today), or
    cancelled (a note saying why is required). The note is kept with the date."""
    actor.require(Permission.CHART_WRITE)
    if status == "sent" and not actor.can(Permission.NOTE_SIGN):
        raise PermissionDenied(
            f"{actor.full_name or actor.username} ({actor.role.replace('_', ' ')}) may not "
            "send a referral: a physician sends it."
        )
    if status not in STATUSES or status == "draft":
        raise ValidationError(
            {"status": "The status is sent, appointment made, report received or cancelled."}
        )
    note = note.strip()
    today = date.today()
    problems: dict[str, str] = {}
    if status == "appointment_made" and on is None:
        problems["on"] = "Give the date of the appointment."
    if status in ("sent", "report_received") and on is not None and on > today:
        problems["on"] = "That date is in the future."
    if status == "cancelled" and not note:
        problems["note"] = "Say why the referral is cancelled."
    if problems:
        raise ValidationError(problems)
    with actor.write() as s:
        row = load_row(s, Referral, referral_id, "referral")
        emergency = open_chart_in(s, actor, row.patient_id, Permission.CHART_WRITE)
        check_version(row, expected_version, "referral")
        if row.entered_in_error:
            raise ValidationError({"": "This referral is marked entered in error."})
        if status not in NEXT_STATUSES.get(row.status, ()):
            raise ValidationError(
                {
                    "status": f"A referral that is {STATUS_LABELS[row.status].lower()} cannot "
                    f"become {STATUS_LABELS[status].lower()}."
                }
            )
        if status == "sent" and not row.letter_text.strip():
            raise ValidationError({"letter_text": "Write the letter before sending it."})
        day = on or today
        if status == "sent":
            row.sent_on = day
        elif status == "appointment_made":
            if day < (row.sent_on or day):
                raise ValidationError({"on": "The appointment cannot be before the referral."})
            row.appointment_on = day
        elif status == "report_received":
            row.report_received_on = day
        row.status = status
        line = f"{today:%m/%d/%Y} {STATUS_LABELS[status]}"
        if on is not None and status != "cancelled":
            line += f" ({day:%m/%d/%Y})"
        line += f": {note}" if note else ""
        row.status_note = f"{row.status_note}\n{line}".strip()
        s.flush()
        record_clinical(
            s,
            actor,
            "update",
            ENTITY,
            row.id,
            row.patient_id,
            f"status {status}" + (f": {note}" if note else ""),
            emergency=emergency,
        )
        return _record(s, row)


def get_referral(actor: Actor, referral_id: int) -> ReferralRecord:
    actor.require(Permission.CHART_READ)
    with actor.write() as s:
        row = load_row(s, Referral, referral_id, "referral")
        emergency = open_chart_in(s, actor, row.patient_id, Permission.CHART_READ)
        record_clinical(s, actor, "view", ENTITY, row.id, row.patient_id, emergency=emergency)
        return _record(s, row)


def list_referrals(
    actor: Actor, patient_id: int, *, include_errors: bool = False
) -> list[ReferralRecord]:
    """The patient's referrals, newest first."""
    actor.require(Permission.CHART_READ)
    with actor.write() as s:
        emergency = open_chart_in(s, actor, patient_id, Permission.CHART_READ)
        query = select(Referral).where(Referral.patient_id == patient_id)
        if not include_errors:
            query = query.where(Referral.entered_in_error == false())
        rows = s.scalars(query.order_by(Referral.created_at.desc(), Referral.id.desc())).all()
        records = [_record(s, r) for r in rows]
        record_clinical(
            s, actor, "view", ENTITY, None, patient_id, "referral list", emergency=emergency
        )
        return records


def mark_referral_entered_in_error(
    actor: Actor, referral_id: int, expected_version: int, reason: str
) -> None:
    actor.require(Permission.CHART_WRITE)
    mark_entered_in_error(actor, Referral, referral_id, expected_version, reason, "referral")
