"""Importing measurements a patient kept at home (a PHR app or a device): from a FHIR R4 file
or a phone health app's CSV. Values are converted to the chart's canonical units, impossible
ones are skipped with the reason, values already in the chart (same LOINC, time and value) are
not stored twice. The rest are stored as vital-sign observations marked source "phr" with the
app's name, those measured at the same time sharing one group; all in one transaction, so an
error leaves the chart as it was."""

from __future__ import annotations

import logging
import math
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

from sqlalchemy import false, select

from emr.codes import loinc, units
from emr.errors import ValidationError
from emr.interop.phr import Parsed, Reading, csv_import, fhir_import
from emr.interop.phr.csv_import import ColumnMap, CsvTable
from emr.models.observations import Observation
from emr.security import audit
from emr.security.permissions import Permission
from emr.services.clinical import open_chart_in
from emr.services.context import Actor
from emr.services.vitals import VITAL_LABELS, VITAL_SIGNS, format_number, vital_flag

log = logging.getLogger(__name__)

MAX_BYTES = 20 * 1024 * 1024  # a year of minute-by-minute heart rate is well below this
PHR = "phr"
_DECIMALS = 2  # as the vitals service keeps canonical values
_FUTURE_SLACK = timedelta(minutes=5)

Kind = Literal["auto", "fhir", "csv"]


@dataclass(frozen=True)
class PhrReport:
    imported: int  # values stored (a blood pressure is two: systolic and diastolic)
    duplicates: int  # values already in the chart, or twice in the file
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (row or reference, reason)
    source_names: tuple[str, ...] = ()

    def summary(self) -> str:
        parts = [f"{self.imported} value(s) imported"]
        if self.duplicates:
            parts.append(f"{self.duplicates} already in the chart and not imported again")
        if self.skipped:
            parts.append(f"{len(self.skipped)} skipped")
        return ", ".join(parts) + "."


@dataclass(frozen=True)
class CsvPreview:
    headers: list[str]
    rows: list[list[str]]  # the first rows
    guess: ColumnMap
    row_count: int


def read_file(path_or_bytes: str | Path | bytes) -> tuple[bytes, str]:
    """The file's bytes and its name; a ValidationError when it is missing or too large."""
    if isinstance(path_or_bytes, bytes | bytearray):
        data, name = bytes(path_or_bytes), ""
    else:
        path = Path(path_or_bytes)
        try:
            size = path.stat().st_size
            if size > MAX_BYTES:
                raise ValidationError({"file": _too_large(size)})
            data = path.read_bytes()
        except (FileNotFoundError, IsADirectoryError):
            raise ValidationError({"file": f"There is no file {str(path)!r}."}) from None
        except PermissionError:
            raise ValidationError({"file": f"The file {str(path)!r} cannot be read."}) from None
        name = path.name
    if len(data) > MAX_BYTES:
        raise ValidationError({"file": _too_large(len(data))})
    if not data.strip():
        raise ValidationError({"file": "The file is empty: nothing to import."})
    return data, name


def _too_large(size: int) -> str:
    return (
        f"The file is {size / 1024 / 1024:.1f} MB; the import takes files up to "
        f"{MAX_BYTES // 1024 // 1024} MB. Export a shorter period from the app. Nothing was "
        "imported."
    )


def detect_kind(data: bytes) -> Literal["fhir", "csv"]:
    head = data[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    return "fhir" if head[:1] in (b"{", b"[") else "csv"


def preview_csv(path_or_bytes: str | Path | bytes, rows: int = 5) -> CsvPreview:
    """The header, the first rows and the guessed columns of a CSV, for the mapping step."""
    data, _name = read_file(path_or_bytes)
    table = csv_import.read_table(data)
    return CsvPreview(
        table.headers, table.rows[:rows], csv_import.guess_map(table.headers), len(table.rows)
    )


def _column_map(table: CsvTable, column_map: ColumnMap | Mapping[str, str] | None) -> ColumnMap:
    if column_map is None:
        return csv_import.guess_map(table.headers)
    if isinstance(column_map, ColumnMap):
        return column_map
    unknown = set(column_map) - {"time", "type", "value", "unit", "source"}
    if unknown:
        raise ValidationError(
            {
                "column_map": f"Unknown field(s) {', '.join(sorted(unknown))}: map time, type, "
                "value, unit and (optionally) source."
            }
        )
    return ColumnMap(**dict(column_map))


@dataclass(frozen=True)
class _Value:
    ref: str
    key: str
    value: float  # canonical unit, rounded
    taken_at: datetime  # aware UTC
    source_name: str


def _checked(parsed: Parsed, now: datetime) -> tuple[list[_Value], list[tuple[str, str]]]:
    """The readings in canonical units, and those skipped (unit, impossible, future) with why."""
    skipped = list(parsed.skipped)
    values: list[_Value] = []
    pairs: dict[str, list[_Value | None]] = {}
    for reading in parsed.readings:
        problem, value = _convert(reading, now)
        if problem:
            skipped.append((reading.ref, problem))
            if reading.pair:
                pairs.setdefault(reading.pair, []).append(None)
            continue
        assert value is not None
        if reading.pair:
            pairs.setdefault(reading.pair, []).append(value)
        else:
            values.append(value)
    for ref, halves in pairs.items():
        pair = [v for v in halves if v is not None]
        if len(pair) < len(halves):
            continue  # the other half was skipped with its reason: the pair goes with it
        by_key = {v.key: v for v in pair}
        systolic, diastolic = by_key.get("systolic"), by_key.get("diastolic")
        if systolic and diastolic and systolic.value <= diastolic.value:
            skipped.append((ref, "the diastolic pressure is not lower than the systolic"))
            continue
        values.extend(pair)
    return values, skipped


def _convert(reading: Reading, now: datetime) -> tuple[str, _Value | None]:
    label = VITAL_LABELS.get(reading.key, reading.key).lower()
    if not math.isfinite(reading.value):
        return f"the {label} is not a number", None
    try:
        value = round(units.to_canonical(reading.key, reading.value, reading.unit), _DECIMALS)
    except ValidationError:
        accepted = ", ".join(units.unit_label(u) for u in units.units_for(reading.key))
        return f"{reading.unit!r} is not a unit for {label} (use {accepted})", None
    try:
        loinc.check_vital(reading.key, value)
    except ValidationError:
        vital = loinc.vital_sign(reading.key)
        unit = units.unit_label(vital.ucum_unit)
        unit = "" if unit.startswith("(") else f" {unit}"
        return (
            f"{format_number(reading.value)} {reading.unit} is not a possible {label} (possible: "
            f"{format_number(vital.min_possible or 0)} to {format_number(vital.max_possible or 0)}"
            f"{unit})",
            None,
        )
    if reading.taken_at > now + _FUTURE_SLACK:
        return "its time is in the future", None
    return "", _Value(reading.ref, reading.key, value, reading.taken_at, reading.source_name)


def import_phr(
    actor: Actor,
    patient_id: int,
    path_or_bytes: str | Path | bytes,
    *,
    kind: Kind = "auto",
    column_map: ColumnMap | Mapping[str, str] | None = None,
    source_name: str = "",
) -> PhrReport:
    """Import a PHR file into the patient's vitals; all or nothing. `source_name` names the app
    when the file does not (default: the file's name)."""
    actor.require(Permission.CHART_WRITE)
    data, file_name = read_file(path_or_bytes)
    if kind not in ("auto", "fhir", "csv"):
        raise ValidationError({"kind": "The kind of file is auto, fhir or csv."})
    resolved = detect_kind(data) if kind == "auto" else kind
    default_source = (source_name.strip() or file_name or "PHR import")[:200]
    if resolved == "fhir":
        parsed = fhir_import.parse(data, default_source)
    else:
        table = csv_import.read_table(data)
        parsed = csv_import.parse(table, _column_map(table, column_map), default_source)
    values, skipped = _checked(parsed, datetime.now(UTC))

    with actor.write() as s:
        emergency = open_chart_in(s, actor, patient_id, Permission.CHART_WRITE)
        codes = {loinc.vital_sign(v.key).loinc_code for v in values}
        seen: set[tuple[str, datetime, float]] = set()
        if values:
            first = min(v.taken_at for v in values)
            last = max(v.taken_at for v in values)
            for code, when, number in s.execute(
                select(
                    Observation.loinc_code, Observation.observed_at, Observation.value_num
                ).where(
                    Observation.patient_id == patient_id,
                    Observation.loinc_code.in_(codes),
                    Observation.observed_at >= first,
                    Observation.observed_at <= last,
                    Observation.entered_in_error == false(),
                    Observation.value_num.is_not(None),
                )
            ):
                seen.add((code, when.astimezone(UTC).replace(microsecond=0), round(number, 2)))
        groups: dict[tuple[datetime, str], str] = {}
        rows: list[Observation] = []
        duplicates = 0
        for v in values:
            vital = loinc.vital_sign(v.key)
            identity = (vital.loinc_code, v.taken_at, v.value)
            if identity in seen:
                duplicates += 1
                continue
            seen.add(identity)
            group = groups.setdefault((v.taken_at, v.source_name), str(uuid.uuid4()))
            rows.append(
                Observation(
                    patient_id=patient_id,
                    category=VITAL_SIGNS,
                    loinc_code=vital.loinc_code,
                    name=vital.display_name,
                    value_num=v.value,
                    unit=vital.ucum_unit,
                    ref_low=vital.normal_low,
                    ref_high=vital.normal_high,
                    flag=vital_flag(v.key, v.value),
                    observed_at=v.taken_at,
                    source=PHR,
                    source_name=v.source_name,
                    group_id=group,
                )
            )
        s.add_all(rows)
        s.flush()
        sources = tuple(sorted({row.source_name for row in rows}))
        audit.record(
            s,
            user_id=actor.user_id,
            username=actor.username,
            action="import",
            entity=Observation.__tablename__,
            entity_id=None,
            patient_id=patient_id,
            detail=(
                f"PHR import ({resolved}): {len(rows)} value(s) from {', '.join(sources) or '-'}; "
                f"{duplicates} duplicate(s), {len(skipped)} skipped"
            )[:500],
            emergency=emergency,
        )
    log.info(
        "PHR import for patient %s: %s imported, %s duplicates, %s skipped",
        patient_id,
        len(rows),
        duplicates,
        len(skipped),
    )
    return PhrReport(len(rows), duplicates, skipped, sources)
