"""Vital signs: entered in the user's units, stored as observations in the vital's canonical
UCUM unit with its LOINC code. Impossible values are refused (a typing error), abnormal ones
are flagged (HL7 "L"/"H" against the adult normal range), BMI is computed from weight and height.

One entry (all the values measured together) shares a group_id and is saved in one transaction;
one bad value refuses the whole entry.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import false, select
from sqlalchemy.orm import Session

from emr.codes import loinc, units
from emr.errors import NotFound, ValidationError
from emr.localtime import now_local, to_local, to_utc
from emr.models.observations import Observation
from emr.security.permissions import Permission
from emr.services.clinical import (
    check_encounter,
    check_version,
    load_row,
    open_chart_in,
    record_clinical,
)
from emr.services.context import Actor

VITAL_SIGNS = "vital-signs"
LABORATORY = "laboratory"
_FUTURE_SLACK = timedelta(minutes=5)
_DECIMALS = 2  # canonical values are kept to 0.01 (10 g, 0.1 mm, 0.01 °C)
_FLAGS = {"low": "L", "high": "H"}

# The short names the vitals table, the dialog and the messages use.
VITAL_LABELS = {
    "systolic": "Systolic BP",
    "diastolic": "Diastolic BP",
    "heart_rate": "Heart rate",
    "respiratory_rate": "Respiratory rate",
    "temperature": "Temperature",
    "spo2": "SpO2",
    "weight": "Weight",
    "height": "Height",
    "bmi": "BMI",
    "head_circumference": "Head circumference",
    "pain": "Pain score",
    "glucose": "Blood glucose",
    "glucose_capillary": "Glucose (fingerstick)",
}


@dataclass(frozen=True)
class ObservationRecord:
    id: int
    version: int
    patient_id: int
    encounter_id: int | None
    category: str  # vital-signs, laboratory
    key: str  # the vital's key ("weight"), or "" for a laboratory result
    loinc_code: str
    name: str
    value_num: float | None
    value_text: str
    unit: str  # UCUM
    ref_low: float | None
    ref_high: float | None
    ref_text: str
    flag: str  # HL7 0078: L H LL HH A, or ""
    observed_at: datetime  # local
    panel_id: int | None
    performing_lab: str
    source: str
    group_id: str
    entered_in_error: bool
    error_reason: str

    @property
    def display_value(self) -> str:
        """The value as written in a table, in the stored unit's label ("68.04 kg")."""
        if self.value_num is None:
            return self.value_text
        return f"{format_number(self.value_num)} {units.unit_label(self.unit)}".strip()


@dataclass(frozen=True)
class VitalsEntry:
    """The values measured together, for one row of the vitals table."""

    group_id: str
    measured_at: datetime  # local
    encounter_id: int | None
    observations: tuple[ObservationRecord, ...]

    def get(self, key: str) -> ObservationRecord | None:
        for observation in self.observations:
            if observation.key == key:
                return observation
        return None

    @property
    def entered_in_error(self) -> bool:
        return all(o.entered_in_error for o in self.observations)


def format_number(value: float) -> str:
    """A value without trailing zeros: 68.04, 120, 37.5."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _key_by_code() -> dict[str, str]:
    return {v.loinc_code: v.key for v in loinc.vital_signs()}


def observation_record(
    o: Observation | Any,
    key_by_code: dict[str, str] | None = None,
    local: dict[datetime, datetime] | None = None,
) -> ObservationRecord:
    """The record of an observation (an ORM row or a row of _COLUMNS); `local` caches the
    conversion of times to local time, which entries share."""
    keys = key_by_code if key_by_code is not None else _key_by_code()
    when = o.observed_at
    if local is None:
        observed_at = to_local(when)
    elif (observed_at := local.get(when)) is None:
        observed_at = local[when] = to_local(when)
    return ObservationRecord(
        id=o.id,
        version=o.version,
        patient_id=o.patient_id,
        encounter_id=o.encounter_id,
        category=o.category,
        key=keys.get(o.loinc_code, "") if o.category == VITAL_SIGNS else "",
        loinc_code=o.loinc_code,
        name=o.name,
        value_num=o.value_num,
        value_text=o.value_text,
        unit=o.unit,
        ref_low=o.ref_low,
        ref_high=o.ref_high,
        ref_text=o.ref_text,
        flag=o.flag,
        observed_at=observed_at,
        panel_id=o.panel_id,
        performing_lab=o.performing_lab,
        source=o.source,
        group_id=o.group_id,
        entered_in_error=o.entered_in_error,
        error_reason=o.error_reason,
    )


_COLUMNS = [
    getattr(Observation, name)
    for name in [
        "id",
        "version",
        "patient_id",
        "encounter_id",
        "category",
        "loinc_code",
        "name",
        "value_num",
        "value_text",
        "unit",
        "ref_low",
        "ref_high",
        "ref_text",
        "flag",
        "observed_at",
        "panel_id",
        "performing_lab",
        "source",
        "group_id",
        "entered_in_error",
        "error_reason",
    ]
]


def vital_flag(key: str, canonical_value: float) -> str:
    """ "L", "H" or "" for a value in the vital's canonical unit."""
    return _FLAGS.get(loinc.flag_vital(key, canonical_value) or "", "")


def compute_bmi(weight_kg: float, height_cm: float) -> float:
    """Body mass index, kg/m², to one decimal."""
    metres = height_cm / 100
    return round(weight_kg / (metres * metres), 1)


def check_taken_at(measured_at: datetime, field: str = "measured_at") -> None:
    if measured_at > now_local() + _FUTURE_SLACK:
        raise ValidationError({field: "The time is in the future: enter when it was measured."})


def _impossible(key: str, value: float, unit: str) -> str:
    """The message for an impossible value, with the limits in the unit it was entered in."""
    vital = loinc.vital_sign(key)
    low = units.from_canonical(key, vital.min_possible or 0.0, unit)
    high = units.from_canonical(key, vital.max_possible or 0.0, unit)
    label = units.unit_label(units.ucum(unit))
    label = "" if label.startswith("(") else f" {label}"
    return (
        f"{format_number(value)}{label} is not a possible {VITAL_LABELS[key].lower()}: "
        f"enter a value from {format_number(low)} to {format_number(high)}{label}."
    )


def canonical_values(values: dict[str, tuple[float, str]]) -> dict[str, float]:
    """The entered values in canonical units, each checked; a ValidationError naming every
    field that is wrong."""
    errors: dict[str, str] = {}
    known = {v.key for v in loinc.vital_signs()}
    result: dict[str, float] = {}
    for key, (value, unit) in values.items():
        if key not in known:
            errors[key] = f"{key!r} is not a vital sign this chart records."
            continue
        name = VITAL_LABELS.get(key, key).lower()
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = math.nan
        if not math.isfinite(number):
            errors[key] = f"Enter a number for the {name}."
            continue
        unit = unit.strip() or units.canonical_unit(key)
        try:
            canonical = round(units.to_canonical(key, number, unit), _DECIMALS)
        except ValidationError as exc:
            errors.update(exc.field_errors)
            continue
        try:
            result[key] = loinc.check_vital(key, canonical)
        except ValidationError:
            errors[key] = _impossible(key, number, unit)
    if ("systolic" in result) != ("diastolic" in result) and not (
        "systolic" in errors or "diastolic" in errors
    ):
        missing = "diastolic" if "systolic" in result else "systolic"
        errors[missing] = "Enter both the systolic and the diastolic pressure."
    elif "systolic" in result and result["systolic"] <= result.get("diastolic", 0):
        errors["diastolic"] = "The diastolic pressure must be lower than the systolic."
    if errors:
        raise ValidationError(errors)
    return result


def _latest_height(s: Session, patient_id: int, before: datetime) -> float | None:
    code = loinc.vital_sign("height").loinc_code
    return s.execute(
        select(Observation.value_num)
        .where(
            Observation.patient_id == patient_id,
            Observation.loinc_code == code,
            Observation.entered_in_error == false(),
            Observation.observed_at <= to_utc(before),
        )
        .order_by(Observation.observed_at.desc(), Observation.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def _bmi_for(s: Session, patient_id: int, measured_at: datetime, values: dict[str, float]):
    weight = values.get("weight")
    if weight is None:
        return None
    height = values.get("height")
    if height is None:
        height = _latest_height(s, patient_id, measured_at)
    if height is None:
        return None
    bmi = compute_bmi(weight, height)
    try:
        return loinc.check_vital("bmi", bmi)
    except ValidationError:
        raise ValidationError(
            {
                "bmi": f"Weight and height give a BMI of {bmi:g}, which is not possible: "
                "check the weight, the height and their units."
            }
        ) from None


def record_vitals(
    actor: Actor,
    patient_id: int,
    measured_at: datetime,
    values: dict[str, tuple[float, str]],
    *,
    encounter_id: int | None = None,
) -> list[ObservationRecord]:
    """Save one entry of vital signs (value and unit as entered, per vital key). BMI is
    computed from the weight and this entry's height, or the latest height before it."""
    if not values:
        raise ValidationError({"": "Enter at least one vital sign."})
    check_taken_at(measured_at)
    canonical = canonical_values(values)
    group_id = str(uuid.uuid4())
    with actor.write() as s:
        emergency = open_chart_in(s, actor, patient_id, Permission.CHART_WRITE)
        check_encounter(s, patient_id, encounter_id)
        bmi = _bmi_for(s, patient_id, measured_at, canonical)
        if bmi is not None:
            canonical["bmi"] = bmi
        rows: list[Observation] = []
        for vital in loinc.vital_signs():  # in the chart's order
            if vital.key not in canonical:
                continue
            value = canonical[vital.key]
            row = Observation(
                patient_id=patient_id,
                encounter_id=encounter_id,
                category=VITAL_SIGNS,
                loinc_code=vital.loinc_code,
                name=vital.display_name,
                value_num=value,
                unit=vital.ucum_unit,
                ref_low=vital.normal_low,
                ref_high=vital.normal_high,
                flag=vital_flag(vital.key, value),
                observed_at=to_utc(measured_at),
                source="manual",
                group_id=group_id,
            )
            s.add(row)
            rows.append(row)
        s.flush()
        for row in rows:
            record_clinical(
                s,
                actor,
                "create",
                Observation.__tablename__,
                row.id,
                patient_id,
                f"vital sign {row.loinc_code}",
                emergency=emergency,
            )
        keys = _key_by_code()
        return [observation_record(row, keys) for row in rows]


def list_vitals(actor: Actor, patient_id: int, include_errors: bool = False) -> list[VitalsEntry]:
    """The patient's vitals entries, newest first (values entered in error left out unless
    asked for)."""
    with actor.write() as s:
        emergency = open_chart_in(s, actor, patient_id)
        # Plain columns, not ORM objects: years of vitals are thousands of rows.
        query = (
            select(*_COLUMNS)
            .where(Observation.patient_id == patient_id, Observation.category == VITAL_SIGNS)
            .order_by(Observation.observed_at.desc(), Observation.id)
        )
        if not include_errors:
            query = query.where(Observation.entered_in_error == false())
        keys = _key_by_code()
        local: dict[datetime, datetime] = {}
        records = [observation_record(row, keys, local) for row in s.execute(query)]
        record_clinical(
            s, actor, "view", "vitals", None, patient_id, "vitals list", emergency=emergency
        )
    entries: dict[str, list[ObservationRecord]] = {}
    for record in records:
        # Values from elsewhere may come without a group: those measured together go together.
        group = record.group_id or f"at {record.observed_at.isoformat()}"
        entries.setdefault(group, []).append(record)
    return [
        VitalsEntry(group, obs[0].observed_at, obs[0].encounter_id, tuple(obs))
        for group, obs in entries.items()
    ]


def vital_series(
    actor: Actor, patient_id: int, key: str, *, unit: str | None = None
) -> list[tuple[datetime, float, str]]:
    """(local time, value, source) of one vital, oldest first, in `unit` (default: canonical);
    the source tells the clinic's measurements ("manual", "import") from the patient's ("phr")."""
    vital = loinc.vital_sign(key)
    convert = None
    if unit is not None and units.ucum(unit) != vital.ucum_unit:
        units.from_canonical(key, 0.0, unit)  # a ValidationError for a unit it cannot have
        convert = unit
    with actor.write() as s:
        emergency = open_chart_in(s, actor, patient_id)
        rows = s.execute(
            select(Observation.observed_at, Observation.value_num, Observation.source)
            .where(
                Observation.patient_id == patient_id,
                Observation.loinc_code == vital.loinc_code,
                Observation.entered_in_error == false(),
                Observation.value_num.is_not(None),
            )
            .order_by(Observation.observed_at)
        ).all()
        record_clinical(
            s, actor, "view", "vitals", None, patient_id, f"series {key}", emergency=emergency
        )
    if convert is None:
        return [(to_local(when), value, source) for when, value, source in rows]
    return [
        (to_local(when), units.from_canonical(key, value, convert), source)
        for when, value, source in rows
    ]


def latest_value(
    actor: Actor, patient_id: int, key: str, *, before: datetime | None = None
) -> tuple[datetime, float] | None:
    """The newest value of one vital (canonical unit) and when it was measured, or None."""
    vital = loinc.vital_sign(key)
    with actor.write() as s:
        emergency = open_chart_in(s, actor, patient_id)
        query = select(Observation.observed_at, Observation.value_num).where(
            Observation.patient_id == patient_id,
            Observation.loinc_code == vital.loinc_code,
            Observation.entered_in_error == false(),
            Observation.value_num.is_not(None),
        )
        if before is not None:
            query = query.where(Observation.observed_at <= to_utc(before))
        row = s.execute(
            query.order_by(Observation.observed_at.desc(), Observation.id.desc()).limit(1)
        ).first()
        record_clinical(
            s, actor, "view", "vitals", None, patient_id, f"latest {key}", emergency=emergency
        )
    return None if row is None else (to_local(row[0]), row[1])


def normal_band(key: str, unit: str | None = None) -> tuple[float, float] | None:
    """The adult normal range of a vital for a plot, in `unit` (default: canonical); None when
    it has none (weight, height, head circumference, pain)."""
    vital = loinc.vital_sign(key)
    if vital.normal_low is None or vital.normal_high is None:
        return None
    low, high = vital.normal_low, vital.normal_high
    if unit is not None:
        low = units.from_canonical(key, low, unit)
        high = units.from_canonical(key, high, unit)
    return low, high


def mark_observations_in_error(
    s: Session, actor: Actor, rows: list[Observation], reason: str, emergency: bool = False
) -> None:
    """Mark rows entered in error in the caller's transaction, one audit event per row."""
    for row in rows:
        if row.entered_in_error:
            continue
        row.entered_in_error = True
        row.error_reason = reason
    s.flush()
    for row in rows:
        record_clinical(
            s,
            actor,
            "delete",
            Observation.__tablename__,
            row.id,
            row.patient_id,
            f"entered in error: {reason}",
            emergency=emergency,
        )


def _reason(reason: str, what: str) -> str:
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": f"Give the reason this {what} is entered in error."})
    return reason


def mark_vitals_entry_in_error(
    actor: Actor, patient_id: int, group_id: str, reason: str
) -> list[ObservationRecord]:
    """Mark every value of one vitals entry entered in error, in one go."""
    reason = _reason(reason, "entry")
    with actor.write() as s:
        open_chart_in(s, actor, patient_id, Permission.CHART_WRITE)
        rows = list(
            s.execute(
                select(Observation).where(
                    Observation.patient_id == patient_id,
                    Observation.category == VITAL_SIGNS,
                    Observation.group_id == group_id,
                    Observation.entered_in_error == false(),
                )
            ).scalars()
        )
        if not rows or not group_id:
            raise NotFound("This vitals entry is not in the chart, or is entered in error already.")
        mark_observations_in_error(s, actor, rows, reason)
        keys = _key_by_code()
        return [observation_record(row, keys) for row in rows]


# A wrong weight or height takes the BMI computed from it along; a blood pressure is a pair.
_TAKEN_ALONG = {
    "weight": ("bmi",),
    "height": ("bmi",),
    "systolic": ("diastolic",),
    "diastolic": ("systolic",),
}


def mark_vital_in_error(
    actor: Actor, observation_id: int, expected_version: int, reason: str
) -> list[ObservationRecord]:
    """Mark one value entered in error, with what depends on it (see _TAKEN_ALONG)."""
    reason = _reason(reason, "value")
    with actor.write() as s:
        row: Observation = load_row(s, Observation, observation_id, "vital sign")
        open_chart_in(s, actor, row.patient_id, Permission.CHART_WRITE)
        check_version(row, expected_version, "vital sign")
        if row.entered_in_error:
            raise ValidationError({"": "This value is marked entered in error already."})
        rows = [row]
        along = _TAKEN_ALONG.get(_key_by_code().get(row.loinc_code, ""), ())
        if row.group_id and along:
            rows += s.execute(
                select(Observation).where(
                    Observation.patient_id == row.patient_id,
                    Observation.group_id == row.group_id,
                    Observation.loinc_code.in_([loinc.vital_sign(k).loinc_code for k in along]),
                    Observation.entered_in_error == false(),
                )
            ).scalars()
        mark_observations_in_error(s, actor, rows, reason)
        keys = _key_by_code()
        return [observation_record(r, keys) for r in rows]
