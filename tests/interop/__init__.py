"""Helpers of the HL7 tests: a chart with one of everything, a message built in a session,
read back with two independent libraries (hl7apy with strict 2.5.1 validation, python-hl7)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import hl7
from hl7apy.consts import VALIDATION_LEVEL
from hl7apy.core import Message
from hl7apy.parser import parse_message, parse_segment

from emr.db import Database
from emr.interop.hl7.build import BuiltMessage, build_message
from emr.models.prescribing import Prescription, Referral
from emr.services.context import Actor
from emr.services.encounters import (
    ENCOUNTER_TYPES,
    add_addendum,
    get_note,
    save_draft,
    sign_note,
    start_encounter,
)
from emr.services.patients import PatientInput, register_patient

NOW = datetime(2026, 11, 26, 13, 30, tzinfo=UTC)
SENDER = {"sending_application": "SMALLPRACTICE-EMR", "sending_facility": "1234567893"}
AWKWARD = "O'Brien-Smith^Jr|"
NOTE_TEXT = "Cough | 3 days ^ worse ~ at night \\ & better by day"


def build(db: Database, message_type: str, entity: str, entity_id: int, **kw) -> BuiltMessage:
    with db.read() as s:
        return build_message(s, message_type, entity, entity_id, **(SENDER | {"now": NOW} | kw))


def strict(er7: str):
    """hl7apy's reading with strict 2.5.1 validation (structure, cardinality, lengths)."""
    message = parse_message(er7, validation_level=VALIDATION_LEVEL.STRICT, find_groups=True)
    assert message.validate() is True
    return message


def strict_rde(er7: str):
    """hl7apy's group finder puts every TQ1 of RDE_O11 in the order's first TIMING group (and
    then misses the required TIMING_ENCODED after RXE), so the groups are made here by hand;
    each segment is still parsed and validated strictly, and so is the whole structure."""
    level = VALIDATION_LEVEL.STRICT
    lines = er7.rstrip("\r").split("\r")

    def parsed(line: str):
        return parse_segment(line, version="2.5.1", validation_level=level)

    message = Message("RDE_O11", version="2.5.1", validation_level=level)
    message.msh = parsed(lines[0])
    patient = message.add_group("RDE_O11_PATIENT")
    order = None
    for line in lines[1:]:
        name = line[:3]
        if name == "PID":
            patient.add(parsed(line))
        elif name == "ORC":
            order = message.add_group("RDE_O11_ORDER")
            order.add(parsed(line))
        elif name == "TQ1":
            order.add_group("RDE_O11_TIMING_ENCODED").add(parsed(line))
        else:
            order.add(parsed(line))
    assert message.validate() is True
    assert message.to_er7() == er7.rstrip("\r")  # nothing lost or moved
    return message


def py(er7: str) -> hl7.Message:
    return hl7.parse(er7)


def value(message: hl7.Message, path: str) -> str:
    """python-hl7's value at a path like "PID.F5.R1.C1" (its accessor unescapes it)."""
    return str(message[path])


def segs(message: hl7.Message, name: str) -> list:
    return [s for s in message if str(s[0]) == name]


def at(message: hl7.Message, segment, field: int, rep: int = 1, comp: int = 1, sub: int = 1):
    """One value of one segment (counted from 1), unescaped by python-hl7's extract_field."""
    try:
        return segment.extract_field(
            field_num=field, repeat_num=rep, component_num=comp, subcomponent_num=sub
        )
    except IndexError:
        return ""


def apy(leaf) -> str:
    """An hl7apy value (hl7apy keeps it escaped), unescaped by python-hl7's rules."""
    return hl7.parse("MSH|^~\\&|\r").unescape(leaf.to_er7())


@dataclass(frozen=True)
class Chart:
    patient_id: int
    encounter_id: int
    note_id: int
    addendum_id: int
    referral_id: int
    prescription_id: int
    doctor_id: int


def full_patient(**changes) -> PatientInput:
    data = dict(
        family_name=AWKWARD,
        given_name="Zoë",
        middle_name="Ann",
        date_of_birth=date(1950, 1, 1),
        sex="F",
        address_line1="1 Main St",
        address_line2="Apt 2",
        city="Springfield",
        state="IL",
        postal_code="62701",
        country="USA",
        phone_home="(217) 555-1234",
        phone_mobile="217-555-9876",
        phone_work="217 555 0000",
        email="zoe@example.org",
        preferred_language="English",
        emergency_contact_name="Bob O'Brien",
        emergency_contact_relationship="Spouse",
        emergency_contact_phone="217-555-4444",
        insurance_payer="Acme Health & Life",
        insurance_member_id="XYZ123456",
        insurance_group="G-100",
        insurance_subscriber_name="Bob O'Brien",
        insurance_subscriber_relationship="Spouse",
    )
    return PatientInput(**(data | changes))


def make_chart(operator: Actor, doctor: Actor) -> Chart:
    """A patient with a visit, a signed note with an addendum, a referral and a signed
    prescription (the last two as rows: their services are built elsewhere)."""
    patient = register_patient(operator, full_patient())
    encounter = start_encounter(
        doctor,
        patient.id,
        provider_id=doctor.user_id,
        occurred_at=datetime(2026, 11, 20, 9, 0),
        encounter_type=ENCOUNTER_TYPES[0],
        reason="cough",
    )
    note = get_note(doctor, encounter.note_id)
    note = save_draft(
        doctor, note.id, note.version, NOTE_TEXT + "\nsecond line", "", "Bronchitis", "Rest"
    )
    note = sign_note(doctor, note.id, note.version)
    addendum = add_addendum(doctor, note.id, "Chest X-ray | normal ^ see report")
    with doctor.write() as s:
        referral = Referral(
            patient_id=patient.id,
            encounter_id=encounter.id,
            referring_provider_id=doctor.user_id,
            to_name="Jane Q Heart",
            to_specialty="Cardiology",
            to_organization="Heart & Vessel Clinic",
            to_address="2 Elm St\nChicago, IL 60601",
            to_phone="312-555-0101",
            to_fax="312-555-0102",
            to_npi="1245319599",
            reason="Exertional chest pain | 2 weeks\nECG: normal",
            urgency="urgent",
            diagnosis_codes="I10, R07.9",
            letter_text="Dear Dr Heart,\nplease see this patient.",
            status="sent",
            sent_on=date(2026, 11, 25),
        )
        prescription = Prescription(
            patient_id=patient.id,
            encounter_id=encounter.id,
            prescriber_id=doctor.user_id,
            status="signed",
            drug_name="lisinopril",
            rxnorm="314076",
            strength="10 MG",
            dose_form="Oral Tablet",
            route="oral",
            dose_amount="1",
            dose_unit="tablet",
            frequency="once daily",
            duration_days=30,
            sig_text="Take 1 tablet by mouth once daily | with water",
            quantity="30",
            quantity_unit="tablet",
            refills=2,
            dispense_as_written=True,
            diagnosis_code="I10",
            pharmacy_note="Blister pack ^ please",
            signed_by=doctor.user_id,
            signed_at=datetime(2026, 11, 25, 15, 0, tzinfo=UTC),
        )
        s.add_all([referral, prescription])
        s.flush()
        ids = referral.id, prescription.id
    return Chart(
        patient_id=patient.id,
        encounter_id=encounter.id,
        note_id=note.id,
        addendum_id=addendum.id,
        referral_id=ids[0],
        prescription_id=ids[1],
        doctor_id=doctor.user_id,
    )
