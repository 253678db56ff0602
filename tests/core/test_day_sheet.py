"""The printed day sheet: what it shows per provider, what it leaves out, and where it goes."""

from __future__ import annotations

import unicodedata
from datetime import date, datetime, time
from io import BytesIO
from pathlib import Path

import pytest
from pypdf import PdfReader

from emr.errors import NotFound, UserError
from emr.printing.day_sheet import day_sheet_pdf, make_day_sheet
from emr.printing.letterhead import document_fonts
from emr.schedule_rules import Stretch
from emr.services.auth import login
from emr.services.patients import PatientInput, register_patient
from emr.services.practice import PracticeInput, get_practice, update_practice
from emr.services.schedule_setup import save_appointment_type, set_working_hours
from emr.services.scheduling import (
    AppointmentInput,
    book_appointment,
    cancel_appointment,
    day_schedule,
)
from emr.services.users import create_user

DAY = date(2031, 3, 3)  # a Monday
DESK_PASSWORD = "front desk pw 1"
# A 1x1 red PNG.
LOGO = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de"
    "0000000c4944415408d763f8cfc000000301010018dd8db00000000049454e44ae426082"
)


def pdf_text(pdf: bytes) -> str:
    reader = PdfReader(BytesIO(pdf))
    text = " ".join(p.extract_text() for p in reader.pages)
    return " ".join(unicodedata.normalize("NFC", text).split())  # wrapped lines joined


def page_texts(pdf: bytes) -> list[str]:
    pages = PdfReader(BytesIO(pdf)).pages
    return [" ".join(unicodedata.normalize("NFC", p.extract_text()).split()) for p in pages]


@pytest.fixture
def clinic(db, operator):
    """Two physicians with working hours, a type, patients with accented names, and a day with
    appointments: Dr Adams sees three (one cancelled), Dr Brandt none."""
    adams = create_user(
        operator,
        username="adams",
        full_name="Dr Ada Adams",
        role="physician",
        password="adams pw 123",
    )
    brandt = create_user(
        operator,
        username="brandt",
        full_name="Dr Bernd Brandt",
        role="physician",
        password="brandt pw 123",
    )
    create_user(
        operator, username="fran", full_name="Fran Desk", role="front_desk", password=DESK_PASSWORD
    )
    week = [Stretch(d, time(8), time(17)) for d in range(7)]
    for provider in (adams, brandt):
        set_working_hours(operator, provider.id, week)
    follow_up = save_appointment_type(
        operator, name="Follow-up", default_minutes=15, colour="#2e7d32"
    )

    def patient(family, given, dob, phone=""):
        return register_patient(
            operator,
            PatientInput(
                family_name=family,
                given_name=given,
                date_of_birth=dob,
                sex="F",
                phone_mobile=phone,
            ),
            allow_duplicate=True,
        )

    nguyen = patient("Nguyễn", "Thị Lan", date(1975, 6, 15), "(555) 201-3344")
    muller = patient("Müller", "Anneliese", date(1961, 3, 7), "(555) 010-4321")
    gone = patient("Cancelledson", "Carl", date(1980, 1, 1))
    desk = login(db, "fran", DESK_PASSWORD)

    def book(who, hour, minute=0, minutes=15, reason="", notes=""):
        return book_appointment(
            desk,
            AppointmentInput(
                patient_id=who.id,
                provider_id=adams.id,
                type_id=follow_up.id,
                starts=datetime.combine(DAY, time(hour, minute)),
                minutes=minutes,
                reason=reason,
                notes=notes,
            ),
        )

    long_reason = "Blood pressure review after the change of medication; " * 3
    book(nguyen, 9, reason=long_reason.strip(), notes="Interpreter: Vietnamese")
    book(muller, 10, 30, minutes=30, reason="Knee pain & swelling <left>")
    cancelled = book(gone, 11)
    cancel_appointment(desk, cancelled.id, cancelled.version, "patient called")
    return {"desk": desk, "adams": adams, "brandt": brandt, "operator": operator}


def test_a_unicode_font_is_used():
    assert document_fonts().unicode


def test_day_sheet_lists_each_appointment_with_the_patients_details(clinic):
    text = pdf_text(day_sheet_pdf(clinic["desk"], DAY, None))
    assert "Day sheet — Monday, March 3, 2031" in text
    for expected in (
        "Nguyễn, Thị Lan",
        "Müller, Anneliese",
        "06/15/1975",
        "03/07/1961",
        "Follow-up",
        "Booked",
        "09:00",
        "10:30",
        "30 min",
        "Knee pain & swelling <left>",
        "Interpreter: Vietnamese",
    ):
        assert expected in text, expected
    phones = [a.patient_phone for a in day_schedule(clinic["desk"], DAY)]
    assert phones and all(p and p in text for p in phones)
    assert "Cancelledson" not in text
    # The long reason wraps: every word of it is printed, not cut at the column's edge.
    assert text.count("medication") == 3


def test_every_provider_gets_a_page_and_an_empty_day_says_so(clinic):
    pages = page_texts(day_sheet_pdf(clinic["desk"], DAY, None))
    assert len(pages) == 2
    assert "Dr Ada Adams" in pages[0] and "Nguyễn" in pages[0]
    assert "Dr Bernd Brandt" in pages[1] and "No appointments." in pages[1]
    assert "Nguyễn" not in pages[1]
    assert "Page 1 of 2" in pages[0] and "Page 2 of 2" in pages[1]


def test_one_provider_only(clinic):
    sheet = make_day_sheet(clinic["desk"], DAY, clinic["adams"].id)
    assert (sheet.appointments, sheet.providers) == (2, 1)
    text = pdf_text(sheet.pdf)
    assert "Dr Ada Adams" in text and "Dr Bernd Brandt" not in text
    other = pdf_text(day_sheet_pdf(clinic["desk"], DAY, clinic["brandt"].id))
    assert "Dr Bernd Brandt" in other and "No appointments." in other
    assert "Müller" not in other


def test_an_empty_day_prints_no_appointments_for_every_provider(clinic):
    sheet = make_day_sheet(clinic["desk"], date(2031, 3, 4), None)
    assert sheet.appointments == 0
    pages = page_texts(sheet.pdf)
    assert len(pages) == 2
    assert all("No appointments." in p for p in pages)
    assert "Tuesday, March 4, 2031" in pages[0]


def test_an_unknown_provider_is_not_found(clinic):
    with pytest.raises(NotFound):
        day_sheet_pdf(clinic["desk"], DAY, 9999)


def test_the_letterhead_shows_the_practice_after_it_is_updated(clinic):
    operator = clinic["operator"]
    update_practice(
        operator,
        get_practice(operator).version,
        PracticeInput(
            name="Clinique Élodie Šťastná Family Medicine",
            address_line1="12 Main Street",
            city="Springfield",
            state="IL",
            postal_code="62701",
            phone="(555) 123-4567",
            fax="(555) 123-4568",
            npi="1234567893",
            logo_png=LOGO,
        ),
    )
    pdf = day_sheet_pdf(clinic["desk"], DAY, None)
    for page in page_texts(pdf):
        assert "Clinique Élodie Šťastná Family Medicine" in page
        assert "12 Main Street" in page and "Springfield, IL 62701" in page
        assert "NPI 1234567893" in page
    reader = PdfReader(BytesIO(pdf))
    assert list(reader.pages[0].images), "the logo is drawn"


def test_written_to_a_file_atomically(clinic, tmp_path: Path):
    folder = tmp_path / "printed"
    folder.mkdir()
    out = folder / "day.pdf"
    out.write_bytes(b"an older sheet")
    pdf = day_sheet_pdf(clinic["desk"], DAY, None, out)
    assert out.read_bytes() == pdf and pdf.startswith(b"%PDF")
    assert [p.name for p in folder.iterdir()] == ["day.pdf"]


def test_an_unwritable_place_is_a_user_error(clinic, tmp_path: Path):
    with pytest.raises(UserError, match="Cannot write"):
        day_sheet_pdf(clinic["desk"], DAY, None, tmp_path / "no such folder" / "day.pdf")
    assert not (tmp_path / "no such folder").exists()
