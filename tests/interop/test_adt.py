"""ADT^A04/A08/A28/A31 from a registered patient, read back by hl7apy and python-hl7."""

from __future__ import annotations

import pytest

from emr.interop.hl7.build import message_types_for
from emr.services.patients import get_patient, update_patient
from tests.interop import AWKWARD, NOW, apy, build, full_patient, py, strict, value

STRUCTURES = {
    "ADT^A04": "ADT_A01",
    "ADT^A08": "ADT_A01",
    "ADT^A28": "ADT_A05",
    "ADT^A31": "ADT_A05",
}


@pytest.mark.parametrize("message_type", list(STRUCTURES))
def test_adt_validates_and_carries_the_registration(db, operator, message_type):
    from emr.services.patients import register_patient

    patient = register_patient(operator, full_patient())
    built = build(db, message_type, "patient", patient.id)
    assert built.type == message_type and built.patient_id == patient.id
    assert "\n" not in built.er7 and built.er7.endswith("\r")

    m = strict(built.er7)
    assert m.name == STRUCTURES[message_type]
    assert apy(m.pid.pid_5.xpn_1) == AWKWARD
    assert m.pid.pid_3.cx_1.value == patient.mrn
    assert m.msh.msh_10.value == built.control_id

    h = py(built.er7)
    assert value(h, "MSH.F9.R1.C1") == message_type.split("^")[0]
    assert value(h, "MSH.F9.R1.C2") == message_type.split("^")[1]
    assert value(h, "MSH.F9.R1.C3") == STRUCTURES[message_type]
    assert value(h, "MSH.F12") == "2.5.1"
    assert value(h, "MSH.F3") == "SMALLPRACTICE-EMR"
    assert value(h, "MSH.F4") == "1234567893"
    assert value(h, "MSH.F7") == NOW.astimezone().strftime("%Y%m%d%H%M%S%z")
    assert value(h, "EVN.F1") == message_type.split("^")[1]
    assert value(h, "PID.F3.R1.C1") == patient.mrn
    assert value(h, "PID.F3.R1.C5") == "MR"
    assert value(h, "PID.F5.R1.C1") == AWKWARD
    assert value(h, "PID.F5.R1.C2") == "Zoë"
    assert value(h, "PID.F5.R1.C3") == "Ann"
    assert value(h, "PID.F7") == "19500101"
    assert value(h, "PID.F8") == "F"
    assert value(h, "PID.F11.R1.C1") == "1 Main St"
    assert value(h, "PID.F11.R1.C3") == "Springfield"
    assert value(h, "PID.F11.R1.C5") == "62701"
    assert value(h, "PID.F13.R1.C1") == "(217) 555-1234"
    assert value(h, "PID.F13.R2.C1") == "217-555-9876"
    assert value(h, "PID.F13.R3.C4") == "zoe@example.org"
    assert value(h, "PID.F14.R1.C1") == "217 555 0000"
    assert value(h, "PID.F15.R1.C2") == "English"
    assert value(h, "NK1.F2.R1.C1") == "O'Brien"
    assert value(h, "NK1.F2.R1.C2") == "Bob"
    assert value(h, "NK1.F3.R1.C1") == "SPO"
    assert value(h, "NK1.F5.R1.C1") == "217-555-4444"
    assert value(h, "NK1.F7.R1.C1") == "EC"
    assert value(h, "PV1.F2") == "N"
    assert value(h, "IN1.F4.R1.C1") == "Acme Health & Life"
    assert value(h, "IN1.F8") == "G-100"
    assert value(h, "IN1.F17.R1.C1") == "SPO"
    assert value(h, "IN1.F36") == "XYZ123456"


def test_a_patient_without_contact_or_insurance_sends_neither_segment(db, operator, patient):
    built = build(db, "ADT^A04", "patient", patient.id)
    strict(built.er7)
    names = [str(s[0]) for s in py(built.er7)]
    assert names == ["MSH", "EVN", "PID", "PV1"]


def test_an_update_goes_out_as_it_is_now(db, operator, patient):
    record = get_patient(operator, patient.id)
    update_patient(operator, patient.id, record.version, full_patient(family_name="Okafor-Ede"))
    h = py(build(db, "ADT^A08", "patient", patient.id).er7)
    assert value(h, "PID.F5.R1.C1") == "Okafor-Ede"


def test_each_message_gets_its_own_control_id(db, patient):
    ids = {build(db, "ADT^A08", "patient", patient.id).control_id for _ in range(20)}
    assert len(ids) == 20
    assert build(db, "ADT^A08", "patient", patient.id, control_id="ABC1").control_id == "ABC1"


def test_audit_events_map_to_message_types():
    assert message_types_for("create", "patient") == ["ADT^A04", "ADT^A28"]
    assert message_types_for("update", "patient") == ["ADT^A08", "ADT^A31"]
    assert message_types_for("create", "observations") == ["ORU^R01"]
    assert message_types_for("create", "lab_panels") == ["ORU^R01"]
    assert message_types_for("create", "immunizations") == ["VXU^V04"]
    assert message_types_for("sign", "note") == ["MDM^T02"]
    assert message_types_for("sign", "addendum") == ["MDM^T08"]
    assert message_types_for("sent", "referral") == ["REF^I12"]
    assert message_types_for("sign", "prescriptions") == ["RDE^O11"]
    assert message_types_for("view", "patient") == []
    assert message_types_for("delete", "observations") == []


def test_wrong_type_or_missing_row_is_a_user_error(db, patient):
    from emr.errors import NotFound, ValidationError

    with pytest.raises(ValidationError):
        build(db, "ADT^A99", "patient", patient.id)
    with pytest.raises(ValidationError):
        build(db, "VXU^V04", "patient", patient.id)
    with pytest.raises(NotFound):
        build(db, "ADT^A08", "patient", 999_999)
