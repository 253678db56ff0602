"""The patient's immunizations: doses given here (with lot, expiry, site, route, who gave it),
doses recorded from another source ("historical"), and refusals. Each names its vaccine by CDC
CVX code; sites and routes are stored as their HL7 codes, which the VXU message sends.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from emr.codes.cvx import Vaccine, get_cvx
from emr.errors import NotFound, ValidationError
from emr.localtime import to_local
from emr.models.clinical import Immunization
from emr.models.patients import Patient
from emr.security.permissions import Permission
from emr.services.clinical import (
    encounter_problem,
    mark_entered_in_error,
    open_chart_in,
    record_clinical,
)
from emr.services.context import Actor

ENTITY = "immunizations"


@dataclass(frozen=True)
class CodedChoice:
    code: str
    label: str
    ncit: str = ""  # the NCI Thesaurus code the CDC's HL7 guide prefers for routes


# HL7 table 0163 (body site), the sites the CDC's immunization guide lists.
SITES: tuple[CodedChoice, ...] = (
    CodedChoice("LA", "Left arm"),
    CodedChoice("RA", "Right arm"),
    CodedChoice("LD", "Left deltoid"),
    CodedChoice("RD", "Right deltoid"),
    CodedChoice("LT", "Left thigh"),
    CodedChoice("RT", "Right thigh"),
    CodedChoice("LVL", "Left vastus lateralis"),
    CodedChoice("RVL", "Right vastus lateralis"),
    CodedChoice("LG", "Left gluteus medius"),
    CodedChoice("RG", "Right gluteus medius"),
    CodedChoice("LLFA", "Left lower forearm"),
    CodedChoice("RLFA", "Right lower forearm"),
)

# HL7 table 0162 (route of administration) with the matching NCIT codes.
ROUTES: tuple[CodedChoice, ...] = (
    CodedChoice("IM", "Intramuscular", "C28161"),
    CodedChoice("SC", "Subcutaneous", "C38299"),
    CodedChoice("ID", "Intradermal", "C38238"),
    CodedChoice("PO", "Oral", "C38288"),
    CodedChoice("IN", "Intranasal", "C38284"),
    CodedChoice("IV", "Intravenous", "C38276"),
    CodedChoice("TD", "Transdermal", "C38305"),
)

# CDC table NIP002 (substance refusal reason); the label is what is stored.
REFUSAL_REASONS: tuple[CodedChoice, ...] = (
    CodedChoice("03", "Patient decision"),
    CodedChoice("00", "Parental decision"),
    CodedChoice("01", "Religious exemption"),
    CodedChoice("02", "Other"),
)

COMMON_MANUFACTURERS = (
    "AstraZeneca",
    "Dynavax",
    "GlaxoSmithKline",
    "Merck",
    "Moderna",
    "Novavax",
    "Pfizer",
    "Sanofi Pasteur",
    "Seqirus",
)

NO_VACCINE_CODES = {"998"}  # "no vaccine administered": not a dose, and refused is its own mark
UNKNOWN_VACCINE_CODES = {"998", "999"}

_LENGTHS = {  # the columns' sizes (emr/models/clinical.py)
    "lot_number": 40,
    "manufacturer": 100,
    "dose": 30,
    "administered_by": 200,
    "source": 200,
    "reason": 200,
}


def site_label(code: str) -> str:
    return next((c.label for c in SITES if c.code == code), code)


def route_label(code: str) -> str:
    return next((c.label for c in ROUTES if c.code == code), code)


@dataclass(frozen=True)
class ImmunizationRecord:
    id: int
    patient_id: int
    cvx_code: str
    vaccine: str
    given_on: date  # the day it was given, or refused
    lot_number: str
    expires_on: date | None
    manufacturer: str
    site: str  # HL7 0163 code
    route: str  # HL7 0162 code
    dose: str
    administered_by: str
    historical: bool
    source: str
    refused: bool
    refusal_reason: str
    encounter_id: int | None
    entered_in_error: bool
    error_reason: str
    recorded_at: datetime  # local
    version: int

    @property
    def site_label(self) -> str:
        return site_label(self.site)

    @property
    def route_label(self) -> str:
        return route_label(self.route)

    @property
    def kind(self) -> str:
        return "refused" if self.refused else "historical" if self.historical else "given"


def record_immunization(
    actor: Actor,
    patient_id: int,
    cvx_code: str,
    given_on: date,
    *,
    lot_number: str,
    expires_on: date | None,
    manufacturer: str,
    site: str,
    route: str,
    dose: str,
    administered_by: str,
    encounter_id: int | None = None,
) -> ImmunizationRecord:
    """A dose given here: the product must be a current CVX code, the lot unexpired."""
    errors: dict[str, str] = {}
    vaccine = _vaccine(cvx_code, errors)
    if vaccine is not None and not vaccine.active:
        errors["cvx_code"] = (
            f"{vaccine.display} is not a vaccine given in the US now ({vaccine.status}): choose "
            "the product given, or record an earlier dose as historical."
        )
    text = _clean(
        errors,
        lot_number=lot_number,
        manufacturer=manufacturer,
        dose=dose,
        administered_by=administered_by,
    )
    if not text["lot_number"]:
        errors.setdefault("lot_number", "Give the lot number (it is on the vial or syringe).")
    if expires_on is None:
        errors.setdefault("expires_on", "Give the lot's expiry date (it is on the vial).")
    elif given_on is not None and expires_on < given_on:
        errors["expires_on"] = (
            f"This lot expired on {expires_on:%m/%d/%Y}, before the day it was given "
            f"({given_on:%m/%d/%Y}): an expired vaccine is not recorded as a valid dose."
        )
    if not text["administered_by"]:
        errors.setdefault("administered_by", "Say who gave the vaccine.")
    _check_codes(errors, site, route)
    return _insert(
        actor,
        patient_id,
        errors,
        ("given_on", given_on),
        encounter_id,
        lambda v: f"given: {v.display}, lot {text['lot_number']}",
        vaccine,
        expires_on=expires_on,
        site=site,
        route=route,
        **text,
    )


def record_historical(
    actor: Actor,
    patient_id: int,
    cvx_code: str,
    given_on: date,
    source: str,
    *,
    lot_number: str = "",
    expires_on: date | None = None,
    manufacturer: str = "",
    site: str = "",
    route: str = "",
    dose: str = "",
    administered_by: str = "",
    encounter_id: int | None = None,
) -> ImmunizationRecord:
    """A dose given elsewhere, as another source tells it (an old card, a registry, a letter)."""
    errors: dict[str, str] = {}
    vaccine = _vaccine(cvx_code, errors)
    if vaccine is not None and vaccine.code in NO_VACCINE_CODES:
        errors["cvx_code"] = f"{vaccine.display} is not a dose; record a refusal instead."
    text = _clean(
        errors,
        source=source,
        lot_number=lot_number,
        manufacturer=manufacturer,
        dose=dose,
        administered_by=administered_by,
    )
    if not text["source"]:
        errors.setdefault("source", "Say where this dose is recorded (card, registry, letter …).")
    _check_codes(errors, site, route)
    return _insert(
        actor,
        patient_id,
        errors,
        ("given_on", given_on),
        encounter_id,
        lambda v: f"historical: {v.display} ({text['source']})",
        vaccine,
        expires_on=expires_on,
        site=site,
        route=route,
        historical=True,
        **text,
    )


def record_refusal(
    actor: Actor,
    patient_id: int,
    cvx_code: str,
    on: date,
    reason: str,
    *,
    encounter_id: int | None = None,
) -> ImmunizationRecord:
    """The patient (or parent) declined a vaccine on a day, for a reason."""
    errors: dict[str, str] = {}
    vaccine = _vaccine(cvx_code, errors)
    if vaccine is not None and vaccine.code in UNKNOWN_VACCINE_CODES:
        errors["cvx_code"] = "Choose the vaccine that was refused."
    text = _clean(errors, reason=reason)
    if not text["reason"]:
        errors.setdefault("reason", "Give the reason for the refusal.")
    return _insert(
        actor,
        patient_id,
        errors,
        ("on", on),
        encounter_id,
        lambda v: f"refused: {v.display}: {text['reason']}",
        vaccine,
        refused=True,
        refusal_reason=text["reason"],
    )


def mark_immunization_entered_in_error(
    actor: Actor, immunization_id: int, expected_version: int, reason: str
) -> None:
    """The entry was wrong (wrong patient, never given): it stays in the chart, struck."""
    mark_entered_in_error(
        actor, Immunization, immunization_id, expected_version, reason, "immunization"
    )


def list_immunizations(
    actor: Actor, patient_id: int, include_errors: bool = False
) -> list[ImmunizationRecord]:
    """Every dose, historical dose and refusal, newest first."""
    with actor.write() as s:  # the view is audited
        emergency = open_chart_in(s, actor, patient_id, Permission.CHART_READ)
        query = (
            select(Immunization)
            .where(Immunization.patient_id == patient_id)
            .order_by(Immunization.given_on.desc(), Immunization.id.desc())
        )
        if not include_errors:
            query = query.where(Immunization.entered_in_error.is_(False))
        records = [_record(row) for row in s.execute(query).scalars()]
        record_clinical(
            s, actor, "view", ENTITY, None, patient_id, "immunizations", emergency=emergency
        )
        return records


# --- rules -------------------------------------------------------------------------------------


def _vaccine(cvx_code: str, errors: dict[str, str]) -> Vaccine | None:
    try:
        vaccine = get_cvx(cvx_code or "")
    except NotFound as exc:
        errors["cvx_code"] = f"{exc} Choose the vaccine from the list."
        return None
    if vaccine.use_instead:
        instead = get_cvx(vaccine.use_instead)
        errors["cvx_code"] = (
            f"The CDC says not to use CVX {vaccine.code}: use {instead.display} instead."
        )
        return None
    return vaccine


def _clean(errors: dict[str, str], **fields: str) -> dict[str, str]:
    cleaned = {key: (value or "").strip() for key, value in fields.items()}
    for key, value in cleaned.items():
        if len(value) > _LENGTHS[key]:
            errors[key] = f"At most {_LENGTHS[key]} characters ({len(value)} given)."
    return cleaned


def _check_codes(errors: dict[str, str], site: str, route: str) -> None:
    if site and site not in {c.code for c in SITES}:
        errors["site"] = f"{site} is not a body site code (HL7 table 0163)."
    if route and route not in {c.code for c in ROUTES}:
        errors["route"] = f"{route} is not a route code (HL7 table 0162)."


def _check_given_on(
    s: Session, errors: dict[str, str], patient_id: int, day: date | None, field: str
) -> None:
    if day is None:
        errors[field] = "Give the date."
        return
    if day > date.today():
        errors[field] = "The date cannot be in the future."
        return
    born = s.get(Patient, patient_id).date_of_birth
    if day < born:
        errors[field] = f"The date is before the patient's birth ({born:%m/%d/%Y})."


def _insert(
    actor: Actor,
    patient_id: int,
    errors: dict[str, str],
    day: tuple[str, date],
    encounter_id: int | None,
    describe: Callable[[Vaccine], str],
    vaccine: Vaccine | None,
    **columns: Any,
) -> ImmunizationRecord:
    """The one way a dose, a historical dose or a refusal is written: the checks that need the
    chart, every problem at once, then the row and its audit event (`describe` says what)."""
    field, on = day
    with actor.write() as s:
        emergency = open_chart_in(s, actor, patient_id, Permission.CHART_WRITE)
        _check_given_on(s, errors, patient_id, on, field)
        if problem := encounter_problem(s, patient_id, encounter_id):
            errors["encounter_id"] = problem
        if errors:
            raise ValidationError(errors)
        assert vaccine is not None  # an unknown code is one of the errors above
        row = Immunization(
            patient_id=patient_id,
            encounter_id=encounter_id,
            cvx_code=vaccine.code,
            vaccine=vaccine.short_description,
            given_on=on,
            **columns,
        )
        s.add(row)
        s.flush()
        record_clinical(
            s, actor, "create", ENTITY, row.id, patient_id, describe(vaccine), emergency=emergency
        )
        return _record(row)


def _record(row: Immunization) -> ImmunizationRecord:
    return ImmunizationRecord(
        id=row.id,
        patient_id=row.patient_id,
        cvx_code=row.cvx_code,
        vaccine=row.vaccine,
        given_on=row.given_on,
        lot_number=row.lot_number,
        expires_on=row.expires_on,
        manufacturer=row.manufacturer,
        site=row.site,
        route=row.route,
        dose=row.dose,
        administered_by=row.administered_by,
        historical=row.historical,
        source=row.source,
        refused=row.refused,
        refusal_reason=row.refusal_reason,
        encounter_id=row.encounter_id,
        entered_in_error=row.entered_in_error,
        error_reason=row.error_reason,
        recorded_at=to_local(row.created_at),
        version=row.version,
    )
