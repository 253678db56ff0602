"""Laboratory results: a panel (one report: name, collection time, performing lab) of results,
each with its test name, LOINC code when known, value (number or text), UCUM unit, reference
range and abnormal flag (HL7 0078), entered by hand or imported from a CSV file; shown as a
flowsheet (tests by date).

The CSV import reads one panel per file, UTF-8, with a header row naming these columns:

    test,loinc,value,unit,low,high,flag,collected_at,lab

`test`, `value` and `collected_at` (ISO date or date and time, e.g. 2024-03-05 08:30) are
needed; the others may be empty. An optional `ref` column holds a text reference ("Negative").
Every row must have the same collection time and lab. Any bad row refuses the whole file.
"""

from __future__ import annotations

import contextlib
import csv
import math
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import false, select

from emr.codes import loinc, units
from emr.errors import NotFound, ValidationError
from emr.localtime import to_local, to_utc
from emr.models.observations import LabPanel, Observation
from emr.security.permissions import Permission
from emr.services.clinical import (
    check_encounter,
    check_version,
    load_row,
    open_chart_in,
    record_clinical,
)
from emr.services.context import Actor
from emr.services.vitals import (
    LABORATORY,
    ObservationRecord,
    check_taken_at,
    format_number,
    mark_observations_in_error,
    observation_record,
)

FLAGS = ("L", "H", "LL", "HH", "A")
FLAG_WORDS = {
    "L": "low",
    "H": "high",
    "LL": "critically low",
    "HH": "critically high",
    "A": "abnormal",
}
SOURCES = ("manual", "import", "phr")
CSV_COLUMNS = ("test", "loinc", "value", "unit", "low", "high", "flag", "collected_at", "lab")
_NORMAL_TEXT = {"", "n", "normal"}


@dataclass(frozen=True)
class LabResultInput:
    test: str
    loinc_code: str = ""
    value: float | str = ""
    unit: str = ""
    ref_low: float | None = None
    ref_high: float | None = None
    ref_text: str = ""
    flag: str = ""  # computed from the range when empty
    critical_low: float | None = None
    critical_high: float | None = None


@dataclass(frozen=True)
class LabPanelRecord:
    id: int
    version: int
    patient_id: int
    encounter_id: int | None
    name: str
    loinc_code: str
    collected_at: datetime  # local
    performing_lab: str
    source: str
    entered_in_error: bool
    error_reason: str
    results: tuple[ObservationRecord, ...] = field(default=())


@dataclass(frozen=True)
class FlowsheetTest:
    name: str
    loinc_code: str


@dataclass(frozen=True)
class FlowsheetCell:
    observation_id: int
    value: str  # as shown: "7.2" or "Positive"
    value_num: float | None
    unit: str
    flag: str
    ref_low: float | None
    ref_high: float | None
    ref_text: str

    @property
    def abnormal(self) -> bool:
        return bool(self.flag)


@dataclass(frozen=True)
class Flowsheet:
    tests: tuple[FlowsheetTest, ...]  # rows, in the order of the newest panel first
    dates: tuple[datetime, ...]  # columns, newest first (local)
    cells: dict[tuple[int, int], FlowsheetCell]  # (row, column) -> cell

    def cell(self, row: int, column: int) -> FlowsheetCell | None:
        return self.cells.get((row, column))


def row_field(row: int, name: str) -> str:
    """The ValidationError key of one field of one result row (row counted from 1)."""
    return f"row {row} {name}"


def compute_flag(
    value: float | None,
    text: str,
    ref_low: float | None,
    ref_high: float | None,
    ref_text: str = "",
    critical_low: float | None = None,
    critical_high: float | None = None,
) -> str:
    """HL7 0078 flag of a result: LL/HH beyond the critical limits, L/H outside the reference
    range, A for a text result that differs from its text reference, "" when normal."""
    if value is not None:
        if critical_low is not None and value < critical_low:
            return "LL"
        if critical_high is not None and value > critical_high:
            return "HH"
        if ref_low is not None and value < ref_low:
            return "L"
        if ref_high is not None and value > ref_high:
            return "H"
        return ""
    if ref_text and text.strip().casefold() != ref_text.strip().casefold():
        return "A"
    return ""


def _number(value: float | str | None) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value).strip().replace(",", "."))
    except ValueError:
        return None


@dataclass(frozen=True)
class _CheckedResult:
    test: str
    loinc_code: str
    value_num: float | None
    value_text: str
    unit: str
    ref_low: float | None
    ref_high: float | None
    ref_text: str
    flag: str


def _check_result(item: LabResultInput, label) -> tuple[_CheckedResult | None, dict[str, str]]:
    errors: dict[str, str] = {}
    code = item.loinc_code.strip()
    test = item.test.strip()
    if code and not loinc.loinc_check_digit_ok(code):
        errors[label("loinc_code")] = (
            f"{code} is not a LOINC code: its check digit (after the dash) does not match."
        )
    if not test and code and not errors:
        with contextlib.suppress(NotFound):
            test = loinc.by_loinc(code).display_name
    if not test:
        errors[label("test")] = "Enter the name of the test."
    text = str(item.value).strip() if not isinstance(item.value, int | float) else ""
    number = _number(item.value)
    if number is not None and not math.isfinite(number):
        number = None
        errors[label("value")] = "Enter a number or a text result."
    if number is None and not text:
        errors.setdefault(label("value"), f"Enter the result of {test or 'the test'}.")
    low, high = item.ref_low, item.ref_high
    if low is not None and high is not None and low > high:
        errors[label("ref_low")] = "The low end of the reference range is above the high end."
    flag = item.flag.strip().upper()
    if flag == "N":
        flag = ""
    if flag and flag not in FLAGS:
        errors[label("flag")] = (
            f"{item.flag!r} is not a flag: use L, H, LL, HH, A or leave it empty."
        )
    if errors:
        return None, errors
    if not flag:
        flag = compute_flag(
            number, text, low, high, item.ref_text, item.critical_low, item.critical_high
        )
    return (
        _CheckedResult(
            test=test[:200],
            loinc_code=code,
            value_num=number,
            value_text="" if number is not None else text[:200],
            unit=units.ucum(item.unit) if item.unit.strip() else "",
            ref_low=low,
            ref_high=high,
            ref_text=item.ref_text.strip()[:60],
            flag=flag,
        ),
        {},
    )


def _check_panel(
    name: str, collected_at: datetime, results: list[LabResultInput], source: str, label_of
) -> list[_CheckedResult]:
    errors: dict[str, str] = {}
    if not name.strip():
        errors["name"] = "Enter the name of the panel (e.g. Basic metabolic panel)."
    try:
        check_taken_at(collected_at, "collected_at")
    except ValidationError as exc:
        errors.update(exc.field_errors)
    if source not in SOURCES:
        errors["source"] = f"{source!r} is not a source of results."
    if not results:
        errors["results"] = "Enter at least one result."
    checked: list[_CheckedResult] = []
    for number, item in enumerate(results, start=1):
        result, problems = _check_result(item, label_of(number))
        errors.update(problems)
        if result is not None:
            checked.append(result)
    if errors:
        raise ValidationError(errors)
    return checked


def _panel_record(panel: LabPanel, results: list[Observation]) -> LabPanelRecord:
    return LabPanelRecord(
        id=panel.id,
        version=panel.version,
        patient_id=panel.patient_id,
        encounter_id=panel.encounter_id,
        name=panel.name,
        loinc_code=panel.loinc_code,
        collected_at=to_local(panel.collected_at),
        performing_lab=panel.performing_lab,
        source=panel.source,
        entered_in_error=panel.entered_in_error,
        error_reason=panel.error_reason,
        results=tuple(observation_record(o, {}) for o in results),
    )


def _save_panel(
    actor: Actor,
    patient_id: int,
    *,
    name: str,
    collected_at: datetime,
    performing_lab: str,
    checked: list[_CheckedResult],
    encounter_id: int | None,
    source: str,
    loinc_code: str,
) -> LabPanelRecord:
    with actor.write() as s:
        emergency = open_chart_in(s, actor, patient_id, Permission.CHART_WRITE)
        check_encounter(s, patient_id, encounter_id)
        lab = performing_lab.strip()[:200]
        panel = LabPanel(
            patient_id=patient_id,
            encounter_id=encounter_id,
            name=name.strip()[:200],
            loinc_code=loinc_code.strip(),
            collected_at=to_utc(collected_at),
            performing_lab=lab,
            ordered_by=None,
            source=source,
        )
        s.add(panel)
        s.flush()
        rows = [
            Observation(
                patient_id=patient_id,
                encounter_id=encounter_id,
                category=LABORATORY,
                loinc_code=r.loinc_code,
                name=r.test,
                value_num=r.value_num,
                value_text=r.value_text,
                unit=r.unit,
                ref_low=r.ref_low,
                ref_high=r.ref_high,
                ref_text=r.ref_text,
                flag=r.flag,
                observed_at=to_utc(collected_at),
                panel_id=panel.id,
                performing_lab=lab,
                source=source,
            )
            for r in checked
        ]
        s.add_all(rows)
        s.flush()
        record_clinical(
            s,
            actor,
            "create",
            LabPanel.__tablename__,
            panel.id,
            patient_id,
            f"lab panel ({source}), {len(rows)} results",
            emergency=emergency,
        )
        return _panel_record(panel, rows)


def record_lab_panel(
    actor: Actor,
    patient_id: int,
    *,
    name: str,
    collected_at: datetime,
    performing_lab: str = "",
    results: list[LabResultInput],
    encounter_id: int | None = None,
    source: str = "manual",
    loinc_code: str = "",
) -> LabPanelRecord:
    """Save one panel of results; flags not given are computed from the reference ranges."""
    checked = _check_panel(name, collected_at, results, source, lambda n: lambda f: row_field(n, f))
    if loinc_code.strip() and not loinc.loinc_check_digit_ok(loinc_code):
        raise ValidationError({"loinc_code": f"{loinc_code.strip()} is not a LOINC code."})
    return _save_panel(
        actor,
        patient_id,
        name=name,
        collected_at=collected_at,
        performing_lab=performing_lab,
        checked=checked,
        encounter_id=encounter_id,
        source=source,
        loinc_code=loinc_code,
    )


def _csv_number(text: str, key: str, errors: dict[str, str]) -> float | None:
    text = text.strip()
    if not text:
        return None
    number = _number(text)
    if number is None:
        errors[key] = f"{text!r} is not a number."
    return number


def read_lab_csv(path: Path) -> tuple[datetime, str, list[LabResultInput]]:
    """The collection time, lab and results of a panel CSV file (format in the module doc)."""
    try:
        with Path(path).open(encoding="utf-8-sig", newline="") as f:
            reader = csv.DictReader(f)
            header = [(h or "").strip().lower() for h in reader.fieldnames or []]
            rows = [{(k or "").strip().lower(): (v or "") for k, v in r.items()} for r in reader]
    except FileNotFoundError:
        raise ValidationError({"file": f"There is no file {Path(path).name}."}) from None
    except (UnicodeDecodeError, csv.Error):
        raise ValidationError({"file": f"{Path(path).name} is not a UTF-8 CSV file."}) from None
    missing = [c for c in ("test", "value", "collected_at") if c not in header]
    if missing:
        raise ValidationError(
            {
                "file": "The CSV header must name the columns "
                + ",".join(CSV_COLUMNS)
                + f"; missing: {', '.join(missing)}."
            }
        )
    if not rows:
        raise ValidationError({"file": "The file has no results."})
    errors: dict[str, str] = {}
    results: list[LabResultInput] = []
    times: set[datetime] = set()
    labs: set[str] = set()
    for line, row in enumerate(rows, start=2):
        key = f"line {line}"
        when_text = row.get("collected_at", "").strip()
        try:
            times.add(datetime.fromisoformat(when_text).replace(tzinfo=None))
        except ValueError:
            errors[key] = f"{when_text!r} is not a date (write 2024-03-05 or 2024-03-05 08:30)."
        labs.add(row.get("lab", "").strip())
        low = _csv_number(row.get("low", ""), key, errors)
        high = _csv_number(row.get("high", ""), key, errors)
        results.append(
            LabResultInput(
                test=row.get("test", ""),
                loinc_code=row.get("loinc", ""),
                value=row.get("value", "").strip(),
                unit=row.get("unit", ""),
                ref_low=low,
                ref_high=high,
                ref_text=row.get("ref", ""),
                flag=row.get("flag", ""),
            )
        )
    if not errors and len(times) > 1:
        errors["collected_at"] = "Every row must have the same collection time: one panel a file."
    if not errors and len(labs) > 1:
        errors["lab"] = "Every row must name the same performing lab: one panel a file."
    if errors:
        raise ValidationError(errors)
    return times.pop(), labs.pop(), results


def import_lab_panel_csv(
    actor: Actor,
    patient_id: int,
    path: Path | str,
    *,
    name: str | None = None,
    encounter_id: int | None = None,
) -> LabPanelRecord:
    """Import one panel from a CSV file (format in the module doc); any bad row refuses the
    whole file, naming its line. The panel is named after the file unless a name is given."""
    actor.require(Permission.CHART_WRITE)
    path = Path(path)
    collected_at, lab, results = read_lab_csv(path)
    panel_name = name or path.stem.replace("_", " ").strip() or "Imported panel"
    checked = _check_panel(
        panel_name, collected_at, results, "import", lambda n: lambda f: f"line {n + 1}"
    )
    return _save_panel(
        actor,
        patient_id,
        name=panel_name,
        collected_at=collected_at,
        performing_lab=lab,
        checked=checked,
        encounter_id=encounter_id,
        source="import",
        loinc_code="",
    )


def list_panels(
    actor: Actor, patient_id: int, include_errors: bool = False
) -> list[LabPanelRecord]:
    """The patient's panels with their results, newest first."""
    with actor.write() as s:
        emergency = open_chart_in(s, actor, patient_id)
        query = select(LabPanel).where(LabPanel.patient_id == patient_id)
        if not include_errors:
            query = query.where(LabPanel.entered_in_error == false())
        panels = list(
            s.execute(query.order_by(LabPanel.collected_at.desc(), LabPanel.id.desc())).scalars()
        )
        results: dict[int, list[Observation]] = {p.id: [] for p in panels}
        obs_query = select(Observation).where(
            Observation.patient_id == patient_id, Observation.panel_id.is_not(None)
        )
        if not include_errors:
            obs_query = obs_query.where(Observation.entered_in_error == false())
        for o in s.execute(obs_query.order_by(Observation.id)).scalars():
            if o.panel_id in results:
                results[o.panel_id].append(o)
        record_clinical(
            s,
            actor,
            "view",
            LabPanel.__tablename__,
            None,
            patient_id,
            "lab panels",
            emergency=emergency,
        )
        return [_panel_record(p, results[p.id]) for p in panels]


def _test_key(loinc_code: str, name: str) -> str:
    return loinc_code or f"name:{name.strip().casefold()}"


def flowsheet(actor: Actor, patient_id: int, *, since: datetime | None = None) -> Flowsheet:
    """Tests (rows) by collection time (columns, newest first), values entered in error left
    out. One indexed query over the patient's observations, plain columns only."""
    with actor.write() as s:
        emergency = open_chart_in(s, actor, patient_id)
        query = select(
            Observation.id,
            Observation.loinc_code,
            Observation.name,
            Observation.value_num,
            Observation.value_text,
            Observation.unit,
            Observation.flag,
            Observation.ref_low,
            Observation.ref_high,
            Observation.ref_text,
            Observation.observed_at,
        ).where(
            Observation.patient_id == patient_id,
            Observation.category == LABORATORY,
            Observation.entered_in_error == false(),
        )
        if since is not None:
            query = query.where(Observation.observed_at >= to_utc(since))
        rows = s.execute(query.order_by(Observation.observed_at.desc(), Observation.id)).all()
        record_clinical(
            s, actor, "view", "lab_results", None, patient_id, "flowsheet", emergency=emergency
        )
    tests: list[FlowsheetTest] = []
    row_of: dict[str, int] = {}
    dates: list[datetime] = []
    column_of: dict[datetime, int] = {}
    cells: dict[tuple[int, int], FlowsheetCell] = {}
    for oid, code, name, num, text, unit, flag, low, high, ref_text, when in rows:
        key = _test_key(code, name)
        if key not in row_of:
            row_of[key] = len(tests)
            tests.append(FlowsheetTest(name, code))
        if when not in column_of:
            column_of[when] = len(dates)
            dates.append(to_local(when))
        place = (row_of[key], column_of[when])
        if place in cells:
            continue  # the same test twice at one time: the first entered is shown
        cells[place] = FlowsheetCell(
            oid,
            format_number(num) if num is not None else text,
            num,
            unit,
            flag,
            low,
            high,
            ref_text,
        )
    return Flowsheet(tuple(tests), tuple(dates), cells)


def lab_series(
    actor: Actor, patient_id: int, loinc_code: str, *, test_name: str = ""
) -> list[tuple[datetime, float]]:
    """(local time, value) of one test's numeric results, oldest first; by LOINC code, or by
    the test's name when it has none."""
    with actor.write() as s:
        emergency = open_chart_in(s, actor, patient_id)
        query = select(Observation.observed_at, Observation.value_num).where(
            Observation.patient_id == patient_id,
            Observation.category == LABORATORY,
            Observation.entered_in_error == false(),
            Observation.value_num.is_not(None),
        )
        if loinc_code:
            query = query.where(Observation.loinc_code == loinc_code)
        else:
            query = query.where(Observation.loinc_code == "", Observation.name == test_name)
        rows = s.execute(query.order_by(Observation.observed_at)).all()
        record_clinical(
            s,
            actor,
            "view",
            "lab_results",
            None,
            patient_id,
            f"series {loinc_code or 'by name'}",
            emergency=emergency,
        )
    return [(to_local(when), value) for when, value in rows]


def mark_panel_in_error(
    actor: Actor, panel_id: int, expected_version: int, reason: str
) -> LabPanelRecord:
    """Mark a whole panel and its results entered in error (e.g. filed in the wrong chart)."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Give the reason this panel is entered in error."})
    with actor.write() as s:
        panel: LabPanel = load_row(s, LabPanel, panel_id, "lab panel")
        open_chart_in(s, actor, panel.patient_id, Permission.CHART_WRITE)
        check_version(panel, expected_version, "lab panel")
        if panel.entered_in_error:
            raise ValidationError({"": "This panel is marked entered in error already."})
        panel.entered_in_error = True
        panel.error_reason = reason
        rows = list(
            s.execute(select(Observation).where(Observation.panel_id == panel.id)).scalars()
        )
        mark_observations_in_error(s, actor, rows, reason)
        record_clinical(
            s,
            actor,
            "delete",
            LabPanel.__tablename__,
            panel.id,
            panel.patient_id,
            f"entered in error: {reason}",
        )
        return _panel_record(panel, rows)


def describe_flag(flag: str) -> str:
    return FLAG_WORDS.get(flag, "")
