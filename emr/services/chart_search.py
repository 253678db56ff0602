"""Search inside one chart: notes and addenda, problems, medications, allergies, immunizations,
results, lab panels, documents and history, whatever the case and accents ("metformin",
"A1c", "muller" finds "Müller").

Each kind of record is one query over the patient's rows (indexed by patient_id). On SQLite a
LIKE narrows them first: LIKE ignores the case of ASCII letters only, so rows holding any other
character are read too and every candidate is checked with emr.normalize.fold in Python.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import ColumnElement, Select, false, literal, or_, select, true
from sqlalchemy.orm import Session

from emr.codes.loinc import lab_tests, vital_signs
from emr.localtime import to_local
from emr.models.chart import Addendum, Encounter, Note
from emr.models.clinical import Allergy, HistoryEntry, Immunization, Medication, Problem
from emr.models.documents import Document
from emr.models.observations import LabPanel, Observation
from emr.normalize import fold
from emr.services.clinical import open_chart_in, record_clinical
from emr.services.context import Actor

MIN_QUERY_LENGTH = 2
SNIPPET_BEFORE = 40
SNIPPET_AFTER = 80
_NON_ASCII_GLOB = "*[^\x01-\x7f]*"


@dataclass(frozen=True)
class ChartHit:
    kind: str  # note, addendum, problem, medication, allergy, immunization, vitals, lab,
    # document, history
    when: datetime  # local; midnight for what is known only by its date
    title: str
    snippet: str  # the words around the first match, with the field's name
    entity: str  # the table to open: encounters (for notes and addenda), problems …
    entity_id: int
    entered_in_error: bool = False


def _fold_mapped(text: str) -> tuple[str, list[int] | None]:
    """The folded text, and for non-ASCII text the position in `text` of each folded char."""
    if text.isascii():
        return text.lower(), None
    folded: list[str] = []
    positions: list[int] = []
    for i, char in enumerate(text):
        piece = fold(char)
        folded.append(piece)
        positions.extend([i] * len(piece))
    return "".join(folded), positions


def _snippet(label: str, text: str, query: str) -> str | None:
    """`label: …words around the match…`, or None when `query` (folded) is not in `text`."""
    folded, positions = _fold_mapped(text)
    at = folded.find(query)
    if at < 0:
        return None
    if positions is None:
        start, end = at, at + len(query)
    else:
        start, end = positions[at], positions[at + len(query) - 1] + 1
    first = max(0, start - SNIPPET_BEFORE)
    last = min(len(text), end + SNIPPET_AFTER)
    if first > 0 and " " in text[first:start]:  # start on a word
        first = text.index(" ", first, start) + 1
    words = " ".join(text[first:last].split())
    return f"{label}: {'…' if first > 0 else ''}{words}{'…' if last < len(text) else ''}"


def _when(value: datetime | date) -> datetime:
    if isinstance(value, datetime):
        return to_local(value)
    return datetime.combine(value, time())


@dataclass(frozen=True)
class _Source:
    """One kind of record: its query (rows with id, when, title, error and the searched
    fields), and the searched fields' names as shown in a snippet."""

    kind: str | Callable[[Any], str]
    entity: str
    fields: Sequence[tuple[str, Any]]  # (label, column)
    base: Callable[[int], Select]  # columns id, when, title, error; filtered to the patient
    error: Any  # the entered-in-error column
    extra: Callable[[str], ColumnElement[bool]] | None = None  # more ways a row matches
    title: Callable[[Any], str] = lambda row: row.title


def _sources() -> list[_Source]:
    def notes(patient_id: int) -> Select:
        return (
            select(
                Encounter.id.label("id"),
                Encounter.occurred_at.label("when"),
                Encounter.encounter_type.label("title"),
                Encounter.entered_in_error.label("error"),
            )
            .join(Note, Note.encounter_id == Encounter.id)
            .where(Note.patient_id == patient_id)
        )

    def addenda(patient_id: int) -> Select:
        return (
            select(
                Encounter.id.label("id"),
                Addendum.signed_at.label("when"),
                Encounter.encounter_type.label("title"),
                Encounter.entered_in_error.label("error"),
            )
            .join(Note, Note.id == Addendum.note_id)
            .join(Encounter, Encounter.id == Note.encounter_id)
            .where(Addendum.patient_id == patient_id)
        )

    def of(model, when, title) -> Callable[[int], Select]:
        return lambda patient_id: select(
            model.id.label("id"),
            when.label("when"),
            title.label("title"),
            model.entered_in_error.label("error"),
        ).where(model.patient_id == patient_id)

    def observations(patient_id: int) -> Select:
        return of(Observation, Observation.observed_at, Observation.name)(patient_id).add_columns(
            Observation.category,
            Observation.value_num,
            Observation.value_text,
            Observation.unit,
            Observation.flag,
        )

    return [
        _Source(
            "note",
            "encounters",
            [
                ("Reason", Encounter.reason),
                ("Subjective", Note.subjective),
                ("Objective", Note.objective),
                ("Assessment", Note.assessment),
                ("Plan", Note.plan),
            ],
            notes,
            Encounter.entered_in_error,
            title=lambda row: f"Note, {row.title}",
        ),
        _Source(
            "addendum",
            "encounters",
            [("Addendum", Addendum.text)],
            addenda,
            Encounter.entered_in_error,
            title=lambda row: f"Addendum, {row.title}",
        ),
        _Source(
            "problem",
            "problems",
            [
                ("Code", Problem.icd10_code),
                ("Problem", Problem.description),
                ("Notes", Problem.notes),
            ],
            of(Problem, Problem.created_at, Problem.description),
            Problem.entered_in_error,
        ),
        _Source(
            "medication",
            "medications",
            [
                ("Medication", Medication.name),
                ("Reason", Medication.reason),
                ("Instructions", Medication.instructions),
                ("Stopped because", Medication.stop_reason),
            ],
            of(Medication, Medication.created_at, Medication.name),
            Medication.entered_in_error,
        ),
        _Source(
            "allergy",
            "allergies",
            [
                ("Substance", Allergy.substance),
                ("Reaction", Allergy.reaction),
                ("Notes", Allergy.notes),
            ],
            of(Allergy, Allergy.created_at, Allergy.substance),
            Allergy.entered_in_error,
            title=lambda row: f"Allergy to {row.title}",
        ),
        _Source(
            "immunization",
            "immunizations",
            [
                ("Vaccine", Immunization.vaccine),
                ("Manufacturer", Immunization.manufacturer),
                ("Lot", Immunization.lot_number),
                ("Refused because", Immunization.refusal_reason),
            ],
            of(Immunization, Immunization.given_on, Immunization.vaccine),
            Immunization.entered_in_error,
        ),
        _Source(
            lambda row: "vitals" if row.category == "vital-signs" else "lab",
            "observations",
            [
                ("Test", Observation.name),
                ("LOINC", Observation.loinc_code),
                ("Result", Observation.value_text),
            ],
            observations,
            Observation.entered_in_error,
            extra=_known_tests,
            title=_result_title,
        ),
        _Source(
            "lab",
            "lab_panels",
            [
                ("Panel", LabPanel.name),
                ("LOINC", LabPanel.loinc_code),
                ("Laboratory", LabPanel.performing_lab),
                ("Notes", LabPanel.notes),
            ],
            of(LabPanel, LabPanel.collected_at, LabPanel.name),
            LabPanel.entered_in_error,
        ),
        _Source(
            "document",
            "documents",
            [("Title", Document.title), ("File", Document.file_name)],
            of(Document, Document.document_date, Document.title),
            Document.entered_in_error,
        ),
        _Source(
            "history",
            "history_entries",
            [
                ("History", HistoryEntry.description),
                ("Code", HistoryEntry.icd10_code),
                ("Relative", HistoryEntry.relative),
                ("Category", HistoryEntry.category),
                ("When", HistoryEntry.when_text),
                ("Notes", HistoryEntry.notes),
            ],
            of(HistoryEntry, HistoryEntry.created_at, HistoryEntry.description),
            HistoryEntry.entered_in_error,
            title=lambda row: f"{row.kind.capitalize()} history: {row.title}",
        ),
    ]


def _known_tests(query: str) -> ColumnElement[bool]:
    """Results whose LOINC code names the query in the code table, whatever they were called
    when entered ("hemoglobin a1c" finds a result entered as "HbA1c")."""
    codes = {
        item.loinc_code
        for item in [*lab_tests(), *vital_signs()]
        if query in fold(item.display_name) or query in item.key.replace("_", " ")
    }
    return Observation.loinc_code.in_(sorted(codes)) if codes else false()


def _result_title(row: Any) -> str:
    number = row.value_num
    value = row.value_text if number is None else f"{number:g} {row.unit}".strip()
    flag = f" ({row.flag})" if row.flag and row.flag != "N" else ""
    return f"{row.title}: {value}{flag}" if value else row.title


def _like_pattern(query: str) -> str:
    escaped = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _prefilter(s: Session, source: _Source, query: str) -> ColumnElement[bool]:
    extra = source.extra(query) if source.extra is not None else false()
    if s.get_bind().dialect.name != "sqlite":
        return true()
    pattern = _like_pattern(query)
    tests = [extra]
    for _, column in source.fields:
        tests.append(column.like(pattern, escape="\\"))
        tests.append(column.op("GLOB")(literal(_NON_ASCII_GLOB)))
    return or_(*tests)


def _hits(
    s: Session, source: _Source, patient_id: int, query: str, include_errors: bool
) -> list[ChartHit]:
    columns = [column.label(f"field_{i}") for i, (_, column) in enumerate(source.fields)]
    statement = source.base(patient_id).add_columns(*columns).where(_prefilter(s, source, query))
    if source.entity == "history_entries":
        statement = statement.add_columns(HistoryEntry.kind)
    if not include_errors:
        statement = statement.where(source.error.is_(False))
    if source.extra is not None:
        statement = statement.add_columns(source.extra(query).label("known"))
    hits = []
    for row in s.execute(statement):
        snippet = None
        for i, (label, _) in enumerate(source.fields):
            text = getattr(row, f"field_{i}") or ""
            snippet = _snippet(label, text, query) if text else None
            if snippet is not None:
                break
        if snippet is None and source.extra is not None and row.known:
            snippet = f"Test: {row.title} (LOINC {row.field_1})"
        if snippet is None:
            continue
        kind = source.kind if isinstance(source.kind, str) else source.kind(row)
        hits.append(
            ChartHit(
                kind,
                _when(row.when),
                source.title(row),
                snippet,
                source.entity,
                row.id,
                bool(row.error),
            )
        )
    return hits


def search_chart(
    actor: Actor,
    patient_id: int,
    query: str,
    limit: int = 100,
    *,
    include_errors: bool = False,
) -> list[ChartHit]:
    """What in this patient's chart mentions `query`, newest first. A query shorter than two
    characters finds nothing (and is not audited)."""
    wanted = " ".join(fold(query).split())
    if len(wanted) < MIN_QUERY_LENGTH:
        return []
    with actor.write() as s:
        emergency = open_chart_in(s, actor, patient_id)
        hits: list[ChartHit] = []
        for source in _sources():
            hits.extend(_hits(s, source, patient_id, wanted, include_errors))
        record_clinical(
            s,
            actor,
            "view",
            "chart_search",
            None,
            patient_id,
            f"search: {query.strip()}",
            emergency=emergency,
        )
    hits.sort(key=lambda h: (h.when, h.entity_id), reverse=True)
    return hits[:limit]
