"""The timeline of a chart: every clinical event of one patient, newest first.

One query per kind of record (never one per row), read as plain columns, so that a chart with
hundreds of encounters and thousands of observations is listed in a few tens of milliseconds.
`entity` is the table an event comes from and `entity_id` its row, for the chart window to
open; an addendum opens its encounter.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session, aliased

from emr.codes.loinc import vital_signs
from emr.codes.units import unit_label
from emr.errors import ValidationError
from emr.localtime import to_local
from emr.models.chart import Addendum, AmendmentRequest, Encounter, Note
from emr.models.clinical import Allergy, Immunization, Medication, Problem
from emr.models.documents import Document
from emr.models.observations import LabPanel, Observation
from emr.models.users import User
from emr.services.clinical import open_chart_in, record_clinical
from emr.services.context import Actor

KINDS = (
    "encounter",
    "problem",
    "allergy",
    "medication",
    "immunization",
    "vitals",
    "lab",
    "document",
    "amendment",
)
KIND_LABELS = {
    "encounter": "Encounter",
    "problem": "Problem",
    "allergy": "Allergy",
    "medication": "Medication",
    "immunization": "Immunization",
    "vitals": "Vitals",
    "lab": "Lab",
    "document": "Document",
    "amendment": "Amendment",
}

_BP = ("systolic", "diastolic")
# How a vitals entry is summed up in one line, in this order.
_VITAL_ABBREVIATIONS = {
    "heart_rate": "HR",
    "respiratory_rate": "RR",
    "temperature": "T",
    "spo2": "SpO2",
    "weight": "Wt",
    "height": "Ht",
    "bmi": "BMI",
    "head_circumference": "HC",
    "pain": "Pain",
    "glucose": "Glucose",
    "glucose_capillary": "Glucose",
}


@dataclass(frozen=True)
class TimelineEvent:
    when: datetime  # local; midnight for events known only by their date
    kind: str  # one of KINDS
    title: str
    detail: str
    entity: str  # the table: encounters, problems, observations, lab_panels, documents …
    entity_id: int
    entered_in_error: bool


def _day(d: date) -> datetime:
    return datetime.combine(d, time())


def _number(value: float) -> str:
    return f"{round(value, 1):g}"


def _value(value_num: float | None, value_text: str, unit: str) -> str:
    if value_num is None:
        return value_text
    label = unit_label(unit)
    if label == "%":
        return f"{_number(value_num)}%"
    if not label or label == "/min" or label[0] in "({":
        return _number(value_num)
    return f"{_number(value_num)} {label}"


def _where_current(column, include_errors: bool):
    return [] if include_errors else [column.is_(False)]


def _encounters(
    s: Session, patient_id: int, include_errors: bool, limit: int | None = None
) -> list[TimelineEvent]:
    provider = aliased(User)
    signer = aliased(User)
    rows = s.execute(
        select(
            Encounter.id,
            Encounter.occurred_at,
            Encounter.encounter_type,
            Encounter.reason,
            Encounter.entered_in_error,
            provider.full_name,
            Note.status,
            signer.full_name,
        )
        .join(provider, provider.id == Encounter.provider_id)
        .outerjoin(Note, Note.encounter_id == Encounter.id)
        .outerjoin(signer, signer.id == Note.signed_by)
        .where(
            Encounter.patient_id == patient_id,
            *_where_current(Encounter.entered_in_error, include_errors),
        )
        .order_by(Encounter.occurred_at.desc(), Encounter.id.desc())
        .limit(limit)
    ).all()
    events = []
    for eid, when, kind, reason, error, provider_name, status, signer_name in rows:
        if status is None:
            note = "no note"
        elif status == "signed":
            note = f"note signed by {signer_name}"
        else:
            note = "note draft, not signed"
        title = f"{kind.capitalize()}: {reason}" if reason else kind.capitalize()
        events.append(
            TimelineEvent(
                to_local(when),
                "encounter",
                title,
                f"{provider_name}; {note}",
                "encounters",
                eid,
                error,
            )
        )
    return events


def _addenda(s: Session, patient_id: int, include_errors: bool) -> list[TimelineEvent]:
    rows = s.execute(
        select(
            Note.encounter_id,
            Addendum.signed_at,
            Addendum.text,
            Encounter.entered_in_error,
            User.full_name,
        )
        .join(Note, Note.id == Addendum.note_id)
        .join(Encounter, Encounter.id == Note.encounter_id)
        .join(User, User.id == Addendum.signed_by)
        .where(
            Addendum.patient_id == patient_id,
            *_where_current(Encounter.entered_in_error, include_errors),
        )
    ).all()
    return [
        TimelineEvent(
            to_local(when),
            "encounter",
            f"Addendum by {author}",
            " ".join(text.split())[:200],
            "encounters",
            encounter_id,
            error,
        )
        for encounter_id, when, text, error, author in rows
    ]


def _problems(s: Session, patient_id: int, include_errors: bool) -> list[TimelineEvent]:
    rows = s.execute(
        select(
            Problem.id,
            Problem.onset,
            Problem.created_at,
            Problem.icd10_code,
            Problem.description,
            Problem.status,
            Problem.resolved_on,
            Problem.entered_in_error,
        ).where(
            Problem.patient_id == patient_id,
            *_where_current(Problem.entered_in_error, include_errors),
        )
    ).all()
    events = []
    for pid, onset, created, code, description, status, resolved_on, error in rows:
        detail = status + (f" since {resolved_on:%Y-%m-%d}" if resolved_on else "")
        detail += "" if onset else "; recorded (onset unknown)"
        when = _day(onset) if onset else to_local(created)
        title = f"{code} {description}".strip()
        events.append(TimelineEvent(when, "problem", title, detail, "problems", pid, error))
    return events


def _allergies(s: Session, patient_id: int, include_errors: bool) -> list[TimelineEvent]:
    rows = s.execute(
        select(
            Allergy.id,
            Allergy.created_at,
            Allergy.substance,
            Allergy.reaction,
            Allergy.severity,
            Allergy.status,
            Allergy.entered_in_error,
        ).where(
            Allergy.patient_id == patient_id,
            *_where_current(Allergy.entered_in_error, include_errors),
        )
    ).all()
    events = []
    for aid, created, substance, reaction, severity, status, error in rows:
        detail = ", ".join(part for part in (reaction, severity) if part) or "reaction not given"
        if status != "active":
            detail += f" ({status})"
        events.append(
            TimelineEvent(
                to_local(created),
                "allergy",
                f"Allergy to {substance}",
                detail,
                "allergies",
                aid,
                error,
            )
        )
    return events


def _medications(s: Session, patient_id: int, include_errors: bool) -> list[TimelineEvent]:
    rows = s.execute(
        select(
            Medication.id,
            Medication.started_on,
            Medication.created_at,
            Medication.stopped_on,
            Medication.name,
            Medication.dose,
            Medication.frequency,
            Medication.reason,
            Medication.stop_reason,
            Medication.entered_in_error,
        ).where(
            Medication.patient_id == patient_id,
            *_where_current(Medication.entered_in_error, include_errors),
        )
    ).all()
    events = []
    for mid, started, created, stopped, name, dose, frequency, reason, stop_reason, error in rows:
        how = " ".join(part for part in (dose, frequency) if part)
        detail = "; ".join(part for part in (how, f"for {reason}" if reason else "") if part)
        when = _day(started) if started else to_local(created)
        events.append(
            TimelineEvent(when, "medication", f"Started {name}", detail, "medications", mid, error)
        )
        if stopped:
            events.append(
                TimelineEvent(
                    _day(stopped),
                    "medication",
                    f"Stopped {name}",
                    stop_reason,
                    "medications",
                    mid,
                    error,
                )
            )
    return events


def _immunizations(s: Session, patient_id: int, include_errors: bool) -> list[TimelineEvent]:
    rows = s.execute(
        select(
            Immunization.id,
            Immunization.given_on,
            Immunization.vaccine,
            Immunization.dose,
            Immunization.lot_number,
            Immunization.historical,
            Immunization.source,
            Immunization.refused,
            Immunization.refusal_reason,
            Immunization.entered_in_error,
        ).where(
            Immunization.patient_id == patient_id,
            *_where_current(Immunization.entered_in_error, include_errors),
        )
    ).all()
    events = []
    for iid, given, vaccine, dose, lot, historical, source, refused, why, error in rows:
        if refused:
            title, detail = f"Refused {vaccine}", why
        else:
            title = vaccine
            parts = [dose, f"lot {lot}" if lot else ""]
            if historical:
                parts.append(f"historical, from {source}" if source else "historical")
            detail = "; ".join(part for part in parts if part)
        events.append(
            TimelineEvent(_day(given), "immunization", title, detail, "immunizations", iid, error)
        )
    return events


def vitals_summary(values: dict[str, str]) -> str:
    """One line for a vitals entry from its values by vital key: "BP 128/82, HR 72, Wt 80 kg"."""
    parts = []
    if "systolic" in values or "diastolic" in values:
        parts.append(f"BP {values.get('systolic', '?')}/{values.get('diastolic', '?')}")
    for key, abbreviation in _VITAL_ABBREVIATIONS.items():
        if key in values:
            parts.append(f"{abbreviation} {values[key]}")
    return ", ".join(parts)


def _vitals(
    s: Session, patient_id: int, include_errors: bool, limit: int | None = None
) -> list[TimelineEvent]:
    """One event per vitals entry (the observations sharing a group_id)."""
    key_of = {v.loinc_code: v.key for v in vital_signs()}
    where = [
        Observation.patient_id == patient_id,
        Observation.category == "vital-signs",
        *_where_current(Observation.entered_in_error, include_errors),
    ]
    if limit is not None:
        # The newest `limit` entries are all at or after the limit-th newest distinct time.
        times = (
            select(Observation.observed_at)
            .where(*where)
            .distinct()
            .order_by(Observation.observed_at.desc())
            .limit(limit)
            .subquery()
        )
        cutoff = s.execute(select(func.min(times.c.observed_at))).scalar()
        if cutoff is not None:
            where.append(Observation.observed_at >= cutoff)
    rows = s.execute(
        select(
            Observation.id,
            Observation.group_id,
            Observation.observed_at,
            Observation.loinc_code,
            Observation.name,
            Observation.value_num,
            Observation.value_text,
            Observation.unit,
            Observation.entered_in_error,
        )
        .where(*where)
        .order_by(Observation.id)
    ).all()
    entries: dict[str, list] = {}
    for row in rows:
        entries.setdefault(row[1] or f"#{row[0]}", []).append(row)
    events = []
    for members in entries.values():
        values: dict[str, str] = {}
        others = []
        for _, _, _, code, name, num, text, unit, _ in members:
            key = key_of.get(code)
            if key in _BP:
                values[key] = _value(num, text, "")  # "BP 128/82"
            elif key in _VITAL_ABBREVIATIONS:
                values[key] = _value(num, text, unit)
            else:
                others.append(f"{name} {_value(num, text, unit)}")
        detail = ", ".join(part for part in (vitals_summary(values), *others) if part)
        first = members[0]
        events.append(
            TimelineEvent(
                to_local(first[2]),
                "vitals",
                "Vitals",
                detail,
                "observations",
                first[0],
                all(member[8] for member in members),
            )
        )
    return events


def _labs(
    s: Session, patient_id: int, include_errors: bool, limit: int | None = None
) -> list[TimelineEvent]:
    # With a limit only the newest panels are read, and only their results counted.
    newest = (
        select(LabPanel.id)
        .where(
            LabPanel.patient_id == patient_id,
            *_where_current(LabPanel.entered_in_error, include_errors),
        )
        .order_by(LabPanel.collected_at.desc(), LabPanel.id.desc())
        .limit(limit)
        .scalar_subquery()
    )
    results = (
        select(
            Observation.panel_id,
            func.count().label("n"),
            func.sum(case((Observation.flag.not_in(("", "N")), 1), else_=0)).label("abnormal"),
        )
        .where(Observation.patient_id == patient_id, Observation.panel_id.in_(newest))
        .where(*_where_current(Observation.entered_in_error, include_errors))
        .group_by(Observation.panel_id)
        .subquery()
    )
    panels = s.execute(
        select(
            LabPanel.id,
            LabPanel.collected_at,
            LabPanel.name,
            LabPanel.performing_lab,
            LabPanel.entered_in_error,
            results.c.n,
            results.c.abnormal,
        )
        .outerjoin(results, results.c.panel_id == LabPanel.id)
        .where(LabPanel.id.in_(newest))
    ).all()
    events = []
    for pid, when, name, lab, error, n, abnormal in panels:
        parts = [f"{n or 0} result{'s' if n != 1 else ''}"]
        if abnormal:
            parts.append(f"{abnormal} abnormal")
        if lab:
            parts.append(lab)
        events.append(
            TimelineEvent(to_local(when), "lab", name, ", ".join(parts), "lab_panels", pid, error)
        )
    loose = s.execute(
        select(
            Observation.id,
            Observation.observed_at,
            Observation.name,
            Observation.value_num,
            Observation.value_text,
            Observation.unit,
            Observation.flag,
            Observation.entered_in_error,
        ).where(
            and_(
                Observation.patient_id == patient_id,
                Observation.category == "laboratory",
                Observation.panel_id.is_(None),
            ),
            *_where_current(Observation.entered_in_error, include_errors),
        )
    ).all()
    for oid, when, name, num, text, unit, flag, error in loose:
        detail = _value(num, text, unit) + (f" ({flag})" if flag else "")
        events.append(
            TimelineEvent(to_local(when), "lab", name, detail, "observations", oid, error)
        )
    return events


def _documents(s: Session, patient_id: int, include_errors: bool) -> list[TimelineEvent]:
    rows = s.execute(
        select(
            Document.id,
            Document.document_date,
            Document.title,
            Document.category,
            Document.file_name,
            Document.entered_in_error,
        ).where(
            Document.patient_id == patient_id,
            *_where_current(Document.entered_in_error, include_errors),
        )
    ).all()
    return [
        TimelineEvent(
            _day(day),
            "document",
            title,
            f"{category.capitalize()}" + (f", {file_name}" if file_name else ""),
            "documents",
            did,
            error,
        )
        for did, day, title, category, file_name, error in rows
    ]


def _amendments(s: Session, patient_id: int, include_errors: bool) -> list[TimelineEvent]:
    rows = s.execute(
        select(
            AmendmentRequest.id,
            AmendmentRequest.requested_on,
            AmendmentRequest.what,
            AmendmentRequest.status,
            AmendmentRequest.decision_reason,
            AmendmentRequest.disagreement,
        ).where(AmendmentRequest.patient_id == patient_id)
    ).all()
    events = []
    for rid, requested_on, what, status, reason, disagreement in rows:
        detail = status + (f": {reason}" if reason else "")
        if disagreement:
            detail += "; statement of disagreement attached"
        events.append(
            TimelineEvent(
                _day(requested_on),
                "amendment",
                "Amendment requested: " + " ".join(what.split())[:120],
                detail,
                "amendment_requests",
                rid,
                False,
            )
        )
    return events


_SOURCES: dict[str, list[Callable[..., list[TimelineEvent]]]] = {
    "encounter": [_encounters, _addenda],
    "problem": [_problems],
    "allergy": [_allergies],
    "medication": [_medications],
    "immunization": [_immunizations],
    "vitals": [_vitals],
    "lab": [_labs],
    "document": [_documents],
    "amendment": [_amendments],
}


def _kinds(kinds: Iterable[str] | None) -> list[str]:
    if kinds is None:
        return list(KINDS)
    unknown = set(kinds) - set(KINDS)
    if unknown:
        raise ValidationError(
            {"kinds": f"Unknown kind {', '.join(sorted(unknown))}; use {', '.join(KINDS)}."}
        )
    return [k for k in KINDS if k in kinds]


_LIMITED = (_vitals, _encounters, _labs)


def timeline(
    actor: Actor,
    patient_id: int,
    *,
    kinds: set[str] | None = None,
    include_errors: bool = False,
    limit: int | None = None,
) -> list[TimelineEvent]:
    """The patient's clinical events of these kinds (all by default), newest first."""
    chosen = _kinds(kinds)
    with actor.write() as s:
        emergency = open_chart_in(s, actor, patient_id)
        events: list[TimelineEvent] = []
        for kind in chosen:
            for source in _SOURCES[kind]:
                if source in _LIMITED:  # the big ones read only their newest `limit` rows
                    events.extend(source(s, patient_id, include_errors, limit))
                else:
                    events.extend(source(s, patient_id, include_errors))
        record_clinical(
            s,
            actor,
            "view",
            "timeline",
            None,
            patient_id,
            "timeline" + ("" if kinds is None else ": " + ", ".join(chosen)),
            emergency=emergency,
        )
    events.sort(key=lambda e: (e.when, KINDS.index(e.kind), e.entity_id), reverse=True)
    return events if limit is None else events[:limit]
