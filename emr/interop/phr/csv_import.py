"""Reading a CSV of measurements as phone health apps export them: one measurement a row, with
columns for the date and time, the type ("Heart Rate", "HKQuantityTypeIdentifierBodyMass",
"Blood Pressure" with "120/80" …), the value and the unit. Which column is which is a
`ColumnMap` (guessed from the headers, chosen by the user in the import dialog)."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

from emr.codes import loinc
from emr.errors import ValidationError
from emr.interop.phr import STEPS_REASON, Parsed, Reading, parse_time, vital_key_for_loinc

BLOOD_PRESSURE = "blood_pressure"
STEPS = "steps"


@dataclass(frozen=True)
class ColumnMap:
    """The header of each column ("" when the file has none such; source is optional)."""

    time: str = ""
    type: str = ""
    value: str = ""
    unit: str = ""
    source: str = ""

    REQUIRED = ("time", "type", "value", "unit")


@dataclass(frozen=True)
class CsvTable:
    headers: list[str]
    rows: list[list[str]]


def _fold(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


_TYPES: dict[str, tuple[str, ...]] = {
    "systolic": ("systolic", "bloodpressuresystolic", "systolicbloodpressure", "sbp", "bpsystolic"),
    "diastolic": (
        "diastolic",
        "bloodpressurediastolic",
        "diastolicbloodpressure",
        "dbp",
        "bpdiastolic",
    ),
    BLOOD_PRESSURE: ("bloodpressure", "bp"),
    "heart_rate": ("heartrate", "pulse", "hr", "pulserate"),
    "respiratory_rate": ("respiratoryrate",),
    "temperature": ("temperature", "bodytemperature"),
    "spo2": ("spo2", "oxygensaturation", "bloodoxygen", "bloodoxygensaturation", "pulseoximetry"),
    "weight": ("weight", "bodyweight", "bodymass"),
    "height": ("height", "bodyheight"),
    "bmi": ("bmi", "bodymassindex"),
    "glucose": ("glucose", "bloodglucose", "bloodsugar"),
    STEPS: ("steps", "stepcount", "step"),
}
_TYPE_BY_NAME = {
    name: key for key, names in _TYPES.items() for name in names
} | {  # Apple Health's identifiers: HKQuantityTypeIdentifierBodyMass ...
    f"hkquantitytypeidentifier{name}": key for key, names in _TYPES.items() for name in names
}


def measurement_type(text: str) -> str | None:
    """The vital key (or blood_pressure, steps) of a type as an app names it, a LOINC code or a
    vital key; None if unknown."""
    text = text.strip()
    if (key := vital_key_for_loinc(text)) is not None:
        return key
    if text in {v.key for v in loinc.vital_signs()}:
        return text
    return _TYPE_BY_NAME.get(_fold(text))


_GUESSES = {
    "time": ("datetime", "date", "time", "startdate", "timestamp", "measuredat", "when", "start"),
    "type": ("type", "measurement", "metric", "datatype", "kind", "name"),
    "value": ("value", "reading", "measurementvalue", "amount", "result"),
    "unit": ("unit", "units", "uom"),
    "source": ("sourcename", "source", "device", "app"),
}


def guess_map(headers: list[str]) -> ColumnMap:
    """The columns whose headers say what they are ("Date/Time", "Type", "Value", "Unit")."""
    folded = {_fold(h): h for h in headers}
    found = {
        field: next((folded[g] for g in guesses if g in folded), "")
        for field, guesses in _GUESSES.items()
    }
    return ColumnMap(**found)


def read_table(data: bytes) -> CsvTable:
    """The header and rows of a CSV (comma, semicolon or tab separated; UTF-8 or Windows-1252)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    if "\x00" in text:
        raise ValidationError({"file": "This is not a CSV text file. Nothing was imported."})
    sample = text[:8192]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        rows = [
            row for row in csv.reader(io.StringIO(text), dialect) if any(c.strip() for c in row)
        ]
    except csv.Error as exc:
        raise ValidationError({"file": f"The CSV cannot be read: {exc}."}) from None
    if len(rows) < 2:
        raise ValidationError(
            {
                "file": "The CSV needs a header row and at least one measurement. Nothing was "
                "imported."
            }
        )
    headers = [h.strip() for h in rows[0]]
    return CsvTable(headers, rows[1:])


def check_map(table: CsvTable, columns: ColumnMap) -> None:
    errors: dict[str, str] = {}
    for field in ColumnMap.REQUIRED:
        name = getattr(columns, field)
        label = "date/time" if field == "time" else field
        if not name:
            errors[field] = f"Choose the column that holds the {label}."
        elif name not in table.headers:
            errors[field] = f"The file has no column {name!r}."
    if columns.source and columns.source not in table.headers:
        errors["source"] = f"The file has no column {columns.source!r}."
    chosen = [getattr(columns, f) for f in ColumnMap.REQUIRED if getattr(columns, f)]
    if not errors and len(set(chosen)) < len(chosen):
        errors[""] = "Choose a different column for each of date/time, type, value and unit."
    if errors:
        raise ValidationError(errors)


def _number(text: str) -> float | None:
    text = text.strip().replace("\u00a0", "").replace(" ", "")
    if "," in text and "." not in text:
        text = text.replace(",", ".")  # a decimal comma
    try:
        return float(text)
    except ValueError:
        return None


def parse(table: CsvTable, columns: ColumnMap, default_source: str) -> Parsed:
    """The readings of the rows (row numbers as in a spreadsheet: the header is row 1); a
    ValidationError when a column is not chosen or a value has no unit."""
    check_map(table, columns)
    index = {h: i for i, h in enumerate(table.headers)}

    def cell(row: list[str], name: str) -> str:
        i = index.get(name)
        return row[i].strip() if i is not None and i < len(row) else ""

    parsed = Parsed()
    missing_units: list[str] = []
    for n, row in enumerate(table.rows, start=2):
        ref = f"row {n}"
        type_text, value_text = cell(row, columns.type), cell(row, columns.value)
        unit = cell(row, columns.unit)
        key = measurement_type(type_text)
        if key is None:
            parsed.skipped.append(
                (ref, f"{type_text or 'an empty type'!r} is not a measurement this chart keeps")
            )
            continue
        if key == STEPS:
            parsed.skipped.append((ref, STEPS_REASON))
            continue
        taken_at = parse_time(cell(row, columns.time))
        if taken_at is None:
            parsed.skipped.append((ref, f"{cell(row, columns.time)!r} is not a date and time"))
            continue
        source = (cell(row, columns.source) if columns.source else "") or default_source
        if key == BLOOD_PRESSURE:
            pair = re.fullmatch(r"\s*(\d+(?:[.,]\d+)?)\s*/\s*(\d+(?:[.,]\d+)?)\s*", value_text)
            if pair is None:
                parsed.skipped.append(
                    (ref, f"{value_text!r} is not a blood pressure written as systolic/diastolic")
                )
                continue
            if not unit:
                missing_units.append(ref)
                continue
            for k, text in (("systolic", pair.group(1)), ("diastolic", pair.group(2))):
                value = _number(text) or 0.0
                parsed.readings.append(Reading(ref, k, value, unit, taken_at, source, pair=ref))
            continue
        value = _number(value_text)
        if value is None:
            parsed.skipped.append((ref, f"{value_text or 'an empty value'!r} is not a number"))
            continue
        if not unit:
            missing_units.append(ref)
            continue
        if key == "spo2" and 0 < value <= 1 and unit.strip() == "%":
            value *= 100  # Apple Health writes oxygen saturation as a fraction with unit "%"
        parsed.readings.append(Reading(ref, key, value, unit, taken_at, source))
    if missing_units:
        shown = ", ".join(missing_units[:5]) + (" …" if len(missing_units) > 5 else "")
        raise ValidationError(
            {
                "unit": f"{len(missing_units)} value(s) have no unit ({shown}): without units the "
                "values cannot be stored safely. Nothing was imported."
            }
        )
    return parsed
