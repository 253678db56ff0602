"""The visit summary for the patient, read back with pypdf."""

from __future__ import annotations

import unicodedata
from datetime import date, datetime, time, timedelta
from io import BytesIO

import pytest
from pypdf import PdfReader

from emr.errors import NotFound, PermissionDenied
from emr.printing.visit_summary import read_visit_summary, visit_summary_pdf
from emr.schedule_rules import Stretch
from emr.services.allergies import add_allergy
from emr.services.encounters import get_encounter, save_draft, sign_note, start_encounter
from emr.services.medications import add_medication
from emr.services.patients import PatientInput, register_patient
from emr.services.schedule_setup import save_appointment_type, set_working_hours
from emr.services.scheduling import AppointmentInput, book_appointment, cancel_appointment
from emr.services.vitals import record_vitals


def pdf_text(pdf: bytes) -> str:
    text = " ".join(p.extract_text() for p in PdfReader(BytesIO(pdf)).pages)
    return " ".join(unicodedata.normalize("NFKC", text).split())


def visit_of(doctor, patient_id: int, *, sign: bool) -> int:
    visit = start_encounter(
        doctor,
        patient_id,
        provider_id=doctor.user_id,
        occurred_at=datetime.now().replace(second=0, microsecond=0) - timedelta(hours=1),
        encounter_type="Follow-up",
        reason="diabetes check",
    )
    note = get_encounter(doctor, visit.id).note
    saved = save_draft(
        doctor,
        note.id,
        note.version,
        "Feels well.",
        "BP fine.",
        "Type 2 diabetes, improving.\n\nBlood pressure at goal.",
        "Keep walking 30 minutes a day.\n\nRepeat HbA1c in 3 months.",
    )
    if sign:
        sign_note(doctor, saved.id, saved.version)
    record_vitals(
        doctor,
        patient_id,
        datetime.now().replace(second=0, microsecond=0) - timedelta(minutes=50),
        {"weight": (80, "kg"), "systolic": (128, "mm[Hg]"), "diastolic": (78, "mm[Hg]")},
        encounter_id=visit.id,
    )
    return visit.id


@pytest.fixture
def booked_next(operator, physician, patient):
    """Two future appointments, the sooner one cancelled: the later one is the next."""
    set_working_hours(
        operator, physician.user_id, [Stretch(d, time(8), time(17)) for d in range(7)]
    )
    kind = save_appointment_type(operator, name="Follow-up", default_minutes=20, colour="#1565c0")
    day = date.today() + timedelta(days=30)
    booked = [
        book_appointment(
            operator,
            AppointmentInput(
                patient_id=patient.id,
                provider_id=physician.user_id,
                type_id=kind.id,
                starts=datetime.combine(day + timedelta(days=offset), time(10)),
                minutes=20,
            ),
        )
        for offset in (0, 7)
    ]
    cancel_appointment(operator, booked[0].id, booked[0].version, reason="patient away")
    return booked[1]


def test_summary_shows_the_visit_plan_medications_allergies_vitals_and_next_visit(
    physician, patient, booked_next, tmp_path
):
    add_medication(physician, patient.id, "Metformin", dose="500 mg", frequency="twice daily")
    add_allergy(physician, patient.id, "Penicillin", "drug", reaction="hives")
    encounter_id = visit_of(physician, patient.id, sign=True)
    out = tmp_path / "summary.pdf"
    pdf = visit_summary_pdf(physician, encounter_id, out=out)
    assert out.read_bytes() == pdf
    text = pdf_text(pdf)
    starts = booked_next.starts
    for expected in (
        "Visit summary",
        "Ada Okafor",
        f"MRN {patient.mrn}",
        "Follow-up with Doc Tester — diabetes check",
        "Type 2 diabetes, improving. Blood pressure at goal.",
        "Keep walking 30 minutes a day. Repeat HbA1c in 3 months.",
        "Metformin 500 mg twice daily",
        "Allergies: Penicillin (hives)",
        "80 kg",
        "128",
        f"{starts:%B} {starts.day}, {starts.year} at 10:00 AM",
    ):
        assert expected in text, expected
    assert "Draft" not in text
    assert "Feels well." not in text  # the subjective part is not the patient's handout


def test_a_draft_note_is_printed_marked_as_draft_and_no_next_visit_said(physician, patient):
    encounter_id = visit_of(physician, patient.id, sign=False)
    summary = read_visit_summary(physician, encounter_id)
    assert summary.next_appointment is None and summary.medications == ()
    text = pdf_text(visit_summary_pdf(physician, encounter_id))
    assert "Draft: your provider has not signed" in text
    assert "None booked." in text
    assert "No current medications recorded." in text
    assert "Allergies not recorded" in text


def test_accented_and_other_scripts_print(physician, operator):
    person = register_patient(
        operator,
        PatientInput(
            family_name="Nguyễn", given_name="王小明", date_of_birth=date(1990, 2, 2), sex="M"
        ),
    )
    encounter_id = visit_of(physician, person.id, sign=False)
    text = pdf_text(visit_summary_pdf(physician, encounter_id))
    assert "王小明 Nguyễn" in text


def test_who_may_print_it(physician, nurse, front_desk_user, patient):
    encounter_id = visit_of(physician, patient.id, sign=True)
    assert visit_summary_pdf(nurse, encounter_id).startswith(b"%PDF")
    with pytest.raises(PermissionDenied):
        visit_summary_pdf(front_desk_user, encounter_id)
    with pytest.raises(NotFound):
        visit_summary_pdf(physician, 999_999)
