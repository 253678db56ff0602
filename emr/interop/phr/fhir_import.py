"""Reading a FHIR R4 file of patient-kept measurements: a Bundle (any type) or a JSON list of
Observations, or one Observation. In a Bundle other resources (the Patient, Conditions …) are
passed over; a list must hold only Observations. Blood pressure comes as the 85354-9 panel with
systolic (8480-6) and diastolic (8462-4) components, or as two separate Observations."""

from __future__ import annotations

import json
from typing import Any

from emr.codes import loinc
from emr.errors import ValidationError
from emr.interop.phr import (
    BLOOD_PRESSURE_PANELS,
    STEPS_CODES,
    STEPS_REASON,
    Parsed,
    Reading,
    parse_time,
    vital_key_for_loinc,
)

LOINC_SYSTEMS = {"http://loinc.org", "urn:oid:2.16.840.1.113883.6.1"}
SYSTOLIC, DIASTOLIC = "8480-6", "8462-4"
_NOT_MEASURED = {"entered-in-error", "cancelled"}


def load_json(data: bytes) -> Any:
    try:
        return json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise ValidationError(
            {"file": "The file is not text in UTF-8: not a FHIR JSON file."}
        ) from None
    except json.JSONDecodeError as exc:
        raise ValidationError(
            {
                "file": f"The file is not valid JSON (line {exc.lineno}, column {exc.colno}: "
                f"{exc.msg}). Nothing was imported."
            }
        ) from None


def observations_of(document: Any) -> list[tuple[str, dict]]:
    """(ref, Observation) of a Bundle, a list of Observations or one Observation; a
    ValidationError for anything else."""
    if isinstance(document, dict) and document.get("resourceType") == "Bundle":
        found: list[tuple[str, dict]] = []
        kinds: set[str] = set()
        for n, entry in enumerate(document.get("entry") or [], start=1):
            resource = entry.get("resource") if isinstance(entry, dict) else None
            if not isinstance(resource, dict):
                continue
            kind = str(resource.get("resourceType", ""))
            kinds.add(kind or "?")
            if kind == "Observation":
                found.append((_ref(resource, f"entry {n}"), resource))
        if not found:
            held = ", ".join(sorted(kinds)) or "nothing"
            raise ValidationError(
                {"file": f"The Bundle holds no Observation (it holds {held}): nothing to import."}
            )
        return found
    if isinstance(document, dict) and document.get("resourceType") == "Observation":
        return [(_ref(document, "the Observation"), document)]
    if isinstance(document, list):
        result = []
        for n, item in enumerate(document, start=1):
            kind = item.get("resourceType") if isinstance(item, dict) else None
            if kind != "Observation":
                what = f"a {kind}" if kind else "not a FHIR resource"
                raise ValidationError(
                    {
                        "file": f"Item {n} of the list is {what}, not an Observation: the file "
                        "must be a FHIR Bundle or a list of Observations. Nothing was imported."
                    }
                )
            result.append((_ref(item, f"item {n}"), item))
        if not result:
            raise ValidationError({"file": "The list is empty: nothing to import."})
        return result
    kind = document.get("resourceType") if isinstance(document, dict) else None
    what = f"a {kind} resource" if kind else "not a FHIR resource"
    raise ValidationError(
        {"file": f"The file is {what}: import a FHIR Bundle or a list of Observations."}
    )


def _ref(resource: dict, fallback: str) -> str:
    rid = resource.get("id")
    return f"Observation {rid}" if rid else fallback


def _loinc_codes(concept: Any) -> list[tuple[str, str]]:
    if not isinstance(concept, dict):
        return []
    return [
        (str(c.get("code", "")).strip(), str(c.get("display", "") or concept.get("text", "")))
        for c in concept.get("coding") or []
        if isinstance(c, dict) and c.get("system") in LOINC_SYSTEMS and c.get("code")
    ]


def _source(resource: dict, default: str) -> str:
    device = resource.get("device")
    if isinstance(device, dict) and device.get("display"):
        return str(device["display"])[:200]
    meta = resource.get("meta")
    if isinstance(meta, dict) and meta.get("source"):
        return str(meta["source"])[:200]
    return default


def _when(resource: dict) -> str:
    for name in ("effectiveDateTime", "effectiveInstant"):
        if resource.get(name):
            return str(resource[name])
    period = resource.get("effectivePeriod")
    if isinstance(period, dict) and period.get("start"):
        return str(period["start"])
    return ""


class _MissingUnit(Exception):
    pass


def _quantity(holder: dict) -> tuple[float, str] | None:
    """The value and unit (UCUM code, else the unit text) of a valueQuantity; None without a
    value; _MissingUnit when there is a value but no unit."""
    q = holder.get("valueQuantity")
    if not isinstance(q, dict) or q.get("value") is None:
        return None
    try:
        value = float(q["value"])
    except (TypeError, ValueError):
        return None
    unit = str(q.get("code") or q.get("unit") or "").strip()
    if not unit:
        raise _MissingUnit
    return value, unit


def parse(data: bytes, default_source: str) -> Parsed:
    """The readings of a FHIR file; a ValidationError (nothing imported) for a file that is
    not one, or an Observation with a value but no unit."""
    parsed = Parsed()
    missing_units: list[str] = []
    for ref, resource in observations_of(load_json(data)):
        try:
            _read_observation(ref, resource, default_source, parsed)
        except _MissingUnit:
            missing_units.append(ref)
    if missing_units:
        shown = ", ".join(missing_units[:5]) + (" …" if len(missing_units) > 5 else "")
        raise ValidationError(
            {
                "file": f"{len(missing_units)} value(s) have no unit ({shown}): without units the "
                "values cannot be stored safely. Nothing was imported."
            }
        )
    return parsed


def _read_observation(ref: str, resource: dict, default_source: str, parsed: Parsed) -> None:
    status = str(resource.get("status", ""))
    if status in _NOT_MEASURED:
        parsed.skipped.append((ref, f"the app marked it {status}"))
        return
    codes = _loinc_codes(resource.get("code"))
    if not codes:
        parsed.skipped.append((ref, "it has no LOINC code, so what was measured is unknown"))
        return
    when_text = _when(resource)
    taken_at = parse_time(when_text)
    if taken_at is None:
        reason = f"its time {when_text!r} is not a date" if when_text else "it has no time"
        parsed.skipped.append((ref, reason))
        return
    source = _source(resource, default_source)
    code_set = {c for c, _ in codes}
    if code_set & BLOOD_PRESSURE_PANELS:
        _read_panel(ref, resource, taken_at, source, parsed)
        return
    if code_set & STEPS_CODES:
        parsed.skipped.append((ref, STEPS_REASON))
        return
    key = next((k for c, _ in codes if (k := vital_key_for_loinc(c))), None)
    if key is None or key == loinc.BLOOD_PRESSURE_PANEL:
        code, display = codes[0]
        what = f"LOINC {code}" + (f" ({display})" if display else "")
        parsed.skipped.append((ref, f"{what} is not a measurement this chart keeps"))
        return
    value = _quantity(resource)
    if value is None:
        parsed.skipped.append((ref, "it has no numeric value"))
        return
    parsed.readings.append(Reading(ref, key, value[0], value[1], taken_at, source))


def _read_panel(ref: str, resource: dict, taken_at, source: str, parsed: Parsed) -> None:
    values: dict[str, tuple[float, str]] = {}
    for component in resource.get("component") or []:
        if not isinstance(component, dict):
            continue
        for code, _ in _loinc_codes(component.get("code")):
            if code in (SYSTOLIC, DIASTOLIC) and (q := _quantity(component)) is not None:
                values[code] = q
    if SYSTOLIC not in values or DIASTOLIC not in values:
        parsed.skipped.append(
            (ref, "the blood pressure lacks its systolic (8480-6) or diastolic (8462-4) value")
        )
        return
    for code, key in ((SYSTOLIC, "systolic"), (DIASTOLIC, "diastolic")):
        value, unit = values[code]
        parsed.readings.append(Reading(ref, key, value, unit, taken_at, source, pair=ref))
