"""The patient's history: past medical, surgical, family (relative and condition) and social
(tobacco, alcohol, substances, occupation)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from emr.codes.icd10 import get_icd10
from emr.errors import NotFound, ValidationError
from emr.localtime import to_local
from emr.models.clinical import HistoryEntry
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

KINDS = ("medical", "surgical", "family", "social")
KIND_LABELS = {
    "medical": "Past medical history",
    "surgical": "Surgical history",
    "family": "Family history",
    "social": "Social history",
}
SOCIAL_CATEGORIES = ("tobacco", "alcohol", "substances", "occupation")
DESCRIPTION_MAX = 300
RELATIVE_MAX = 40
WHEN_MAX = 40


@dataclass(frozen=True)
class HistoryRecord:
    id: int
    patient_id: int
    encounter_id: int | None
    kind: str
    description: str
    category: str  # social only
    relative: str  # family only
    icd10_code: str
    when_text: str
    notes: str
    entered_in_error: bool
    error_reason: str
    recorded_at: datetime  # local
    version: int

    @property
    def display(self) -> str:
        if self.kind == "family":
            return f"{self.relative}: {self.description}"
        if self.kind == "social":
            return f"{self.category.title()}: {self.description}"
        return self.description


@dataclass(frozen=True)
class HistoryInput:
    kind: str
    description: str
    category: str = ""
    relative: str = ""
    icd10_code: str = ""
    when_text: str = ""
    notes: str = ""

    def cleaned(self) -> HistoryInput:
        return HistoryInput(
            kind=self.kind,
            description=self.description.strip(),
            category=self.category.strip().lower(),
            relative=self.relative.strip(),
            icd10_code=self.icd10_code.strip(),
            when_text=self.when_text.strip(),
            notes=self.notes.strip(),
        )


def _record(h: HistoryEntry) -> HistoryRecord:
    return HistoryRecord(
        id=h.id,
        patient_id=h.patient_id,
        encounter_id=h.encounter_id,
        kind=h.kind,
        description=h.description,
        category=h.category,
        relative=h.relative,
        icd10_code=h.icd10_code,
        when_text=h.when_text,
        notes=h.notes,
        entered_in_error=h.entered_in_error,
        error_reason=h.error_reason,
        recorded_at=to_local(h.created_at),
        version=h.version,
    )


def validate(entry: HistoryInput) -> HistoryInput:
    """The entry cleaned, with its code in printed form; ValidationError by field otherwise."""
    e = entry.cleaned()
    problems: dict[str, str] = {}
    if e.kind not in KINDS:
        problems["kind"] = "The kind is medical, surgical, family or social history."
    if not e.description:
        problems["description"] = {
            "surgical": "Name the operation.",
            "social": "Describe it (e.g. 'never smoked', 'teacher').",
        }.get(e.kind, "Name the condition.")
    elif len(e.description) > DESCRIPTION_MAX:
        problems["description"] = f"At most {DESCRIPTION_MAX} characters."
    if e.kind == "social":
        if e.category not in SOCIAL_CATEGORIES:
            problems["category"] = "Choose tobacco, alcohol, substances or occupation."
    elif e.category:
        problems["category"] = "Only social history has a category."
    if e.kind == "family":
        if not e.relative:
            problems["relative"] = "Name the relative (mother, brother …)."
        elif len(e.relative) > RELATIVE_MAX:
            problems["relative"] = f"At most {RELATIVE_MAX} characters."
    elif e.relative:
        problems["relative"] = "Only family history names a relative."
    if len(e.when_text) > WHEN_MAX:
        problems["when_text"] = f"At most {WHEN_MAX} characters."
    code = ""
    if e.icd10_code:
        try:
            code = get_icd10(e.icd10_code).code
        except NotFound as exc:
            problems["icd10_code"] = exc.message
    if problems:
        raise ValidationError(problems)
    return HistoryInput(e.kind, e.description, e.category, e.relative, code, e.when_text, e.notes)


def add_history(
    actor: Actor, patient_id: int, entry: HistoryInput, *, encounter_id: int | None = None
) -> HistoryRecord:
    e = validate(entry)
    with actor.write() as s:
        emergency = open_chart_in(s, actor, patient_id, Permission.CHART_WRITE)
        check_encounter(s, patient_id, encounter_id)
        row = HistoryEntry(
            patient_id=patient_id,
            encounter_id=encounter_id,
            kind=e.kind,
            description=e.description,
            category=e.category,
            relative=e.relative,
            icd10_code=e.icd10_code,
            when_text=e.when_text,
            notes=e.notes,
        )
        s.add(row)
        s.flush()
        record_clinical(
            s,
            actor,
            "create",
            HistoryEntry.__tablename__,
            row.id,
            patient_id,
            e.kind,
            emergency=emergency,
        )
        return _record(row)


def update_history(
    actor: Actor, entry_id: int, expected_version: int, entry: HistoryInput
) -> HistoryRecord:
    """Change an entry; its kind stays (a wrong kind is entered in error and added again)."""
    e = validate(entry)
    with actor.write() as s:
        row = load_row(s, HistoryEntry, entry_id, "history entry")
        emergency = open_chart_in(s, actor, row.patient_id, Permission.CHART_WRITE)
        check_version(row, expected_version, "history entry")
        if row.entered_in_error:
            raise ValidationError({"": "This entry is marked entered in error: it cannot change."})
        if e.kind != row.kind:
            raise ValidationError({"kind": "An entry keeps its kind of history."})
        row.description = e.description
        row.category = e.category
        row.relative = e.relative
        row.icd10_code = e.icd10_code
        row.when_text = e.when_text
        row.notes = e.notes
        s.flush()
        record_clinical(
            s,
            actor,
            "update",
            HistoryEntry.__tablename__,
            row.id,
            row.patient_id,
            row.kind,
            emergency=emergency,
        )
        return _record(row)


def mark_history_entered_in_error(
    actor: Actor, entry_id: int, expected_version: int, reason: str
) -> None:
    mark_entered_in_error(actor, HistoryEntry, entry_id, expected_version, reason, "history entry")


def list_history(
    actor: Actor, patient_id: int, kind: str | None = None, include_errors: bool = False
) -> list[HistoryRecord]:
    """Entries by kind (medical, surgical, family, social), then in the order recorded."""
    if kind is not None and kind not in KINDS:
        raise ValidationError({"kind": "The kind is medical, surgical, family or social history."})
    with actor.write() as s:
        emergency = open_chart_in(s, actor, patient_id, Permission.CHART_READ)
        query = select(HistoryEntry).where(HistoryEntry.patient_id == patient_id)
        if kind is not None:
            query = query.where(HistoryEntry.kind == kind)
        if not include_errors:
            query = query.where(HistoryEntry.entered_in_error.is_(False))
        rows = [_record(h) for h in s.scalars(query.order_by(HistoryEntry.id))]
        record_clinical(
            s,
            actor,
            "view",
            HistoryEntry.__tablename__,
            None,
            patient_id,
            f"history {kind or 'all'}",
            emergency=emergency,
        )
    rows.sort(key=lambda h: KINDS.index(h.kind) if h.kind in KINDS else len(KINDS))
    return rows
