"""Measurements a patient kept at home (a personal health record app or a device), read from a
FHIR R4 file (fhir_import.py) or a CSV export of a phone health app (csv_import.py) into
`Reading`s: one value, its unit as given, when it was measured and by which app. What a file
holds but the chart cannot take is listed as skipped, with the reason.

The services (emr/services/phr.py) convert units, refuse impossible values, drop duplicates
and store the rest."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from emr.codes import loinc
from emr.localtime import to_utc


@dataclass(frozen=True)
class Reading:
    ref: str  # where in the file: "row 12", "Observation bp-1"
    key: str  # the vital sign's key in emr/codes/loinc.py ("weight")
    value: float
    unit: str  # as the file gives it (UCUM or as people write it)
    taken_at: datetime  # aware, UTC, whole seconds
    source_name: str  # the app or device
    pair: str = ""  # systolic and diastolic of one blood pressure share it


@dataclass
class Parsed:
    readings: list[Reading] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (ref, reason)


BLOOD_PRESSURE_PANELS = {"85354-9", "55284-4"}  # BP panel; BP systolic & diastolic
STEPS_CODES = {"41950-7", "55423-8"}  # steps in 24 hours; number of steps

# Codes apps use for what the chart keeps under another code of the same vital sign.
_ALIASES = {
    "2708-6": "spo2",  # oxygen saturation in arterial blood
    "3141-9": "weight",  # body weight measured
    "15074-8": "glucose",  # glucose [moles/volume] in blood
    "14743-9": "glucose_capillary",  # glucose [moles/volume] in capillary blood by glucometer
}

STEPS_REASON = "step counts are not kept in this chart (it keeps vital signs only); not imported"


def vital_key_for_loinc(code: str) -> str | None:
    """The vital sign a LOINC code is stored as, or None."""
    code = code.strip()
    for vital in loinc.vital_signs():
        if vital.loinc_code == code:
            return vital.key
    return _ALIASES.get(code)


_FORMATS = (
    "%Y-%m-%d %H:%M:%S %z",  # Apple Health: 2024-01-05 08:30:00 -0500
    "%Y-%m-%d %H:%M %z",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y",
)


def parse_time(text: str) -> datetime | None:
    """A date and time as apps write them, as aware UTC (whole seconds); a time without a zone
    is this practice's local time; None if it is not a date."""
    text = text.strip()
    if not text:
        return None
    moment: datetime | None = None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        for fmt in _FORMATS:
            try:
                moment = datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
    if moment is None:
        return None
    moment = moment.astimezone(UTC) if moment.tzinfo else to_utc(moment)
    return moment.replace(microsecond=0)
