"""The printed referral letter, read back with pypdf: letterhead, addressee, the edited letter,
the signature block; names in Vietnamese, German, Irish, Chinese and Arabic print as
themselves (or are refused by name, never as boxes)."""

from __future__ import annotations

import unicodedata
from datetime import date
from io import BytesIO

import pytest
from pypdf import PdfReader
from sqlalchemy import update

from emr.errors import PermissionDenied
from emr.models.users import User
from emr.printing.letterhead import UnprintableText, check_printable, document_fonts, markup
from emr.printing.referral import referral_pdf
from emr.services.patients import PatientInput, register_patient
from emr.services.practice import PracticeInput, update_practice
from emr.services.referrals import ReferralInput, create_referral

NAMES = [
    ("Nguyễn", "Thị Lan"),
    ("Müller", "Anneliese"),
    ("O'Brien", "Seán"),
    ("王", "小明"),
    ("محمد", "علي"),
]


def pdf_text(pdf: bytes) -> str:
    """The text as a reader copies it: accents composed, Arabic presentation forms folded
    back to their letters (NFKC), lines joined."""
    reader = PdfReader(BytesIO(pdf))
    text = " ".join(page.extract_text() for page in reader.pages)
    return " ".join(unicodedata.normalize("NFKC", text).split())


@pytest.fixture
def practice(operator):
    return update_practice(
        operator,
        0,
        PracticeInput(
            name="Riverside Family Practice",
            address_line1="12 Main St",
            city="Springfield",
            state="IL",
            postal_code="62701",
            phone="(555) 100-2000",
            npi="1234567893",
        ),
    )


@pytest.fixture
def doctor(db, physician):
    with db.write(None) as s:
        s.execute(update(User).where(User.id == physician.user_id).values(npi="1245319599"))
    return physician


def referral_for(actor, patient_id: int, letter: str):
    return create_referral(
        actor,
        patient_id,
        ReferralInput(
            to_name="Dr Grace Lee",
            to_specialty="Cardiology",
            to_organization="Heart Clinic",
            to_address="1 Harbor Rd\nSpringfield, IL 62702",
            to_phone="(555) 300-4000",
            to_fax="(555) 300-4001",
            reason="exertional chest pain",
            urgency="urgent",
            diagnosis_codes=("I20.9",),
            letter_text=letter,
        ),
    )


def test_the_letter_prints_with_letterhead_addressee_text_and_signature(
    doctor, patient, practice, tmp_path
):
    letter = (
        "Dear Dr Lee,\n\nThank you for seeing Ada.\n\nActive problems:\n- one\n- two\n\nSincerely,"
    )
    referral = referral_for(doctor, patient.id, letter)
    out = tmp_path / "letter.pdf"
    pdf = referral_pdf(doctor, referral.id, out=out)
    assert out.read_bytes() == pdf and pdf.startswith(b"%PDF")
    text = pdf_text(pdf)
    for expected in (
        "Riverside Family Practice",
        "Referral",
        "Dr Grace Lee",
        "Heart Clinic",
        "1 Harbor Rd",
        "Fax (555) 300-4001",
        "Ada Okafor",
        "Date of birth 01/01/1950",
        f"MRN {patient.mrn}",
        "Urgent",
        "Reason for referral: exertional chest pain",
        "Diagnoses: I20.9",
        "Thank you for seeing Ada.",
        "- one - two",
        "Doc Tester",
        "NPI 1245319599",
        "Referring physician",
        "Page 1 of 1",
    ):
        assert expected in text, expected


@pytest.mark.parametrize(("family", "given"), NAMES)
def test_names_in_any_script_print_as_themselves(doctor, operator, practice, family, given):
    person = register_patient(
        operator,
        PatientInput(family_name=family, given_name=given, date_of_birth=date(1980, 5, 5), sex="M"),
        allow_duplicate=True,
    )
    referral = referral_for(doctor, person.id, f"Dear Dr Lee,\n\nPlease see {given} {family}.")
    text = pdf_text(referral_pdf(doctor, referral.id))
    for word in (family, given):
        assert unicodedata.normalize("NFKC", word) in text, word


def test_characters_no_font_has_are_refused_by_name():
    document_fonts()
    check_printable("Nguyễn Müller O'Brien 王小明 محمد")  # all printable here
    with pytest.raises(UnprintableText) as caught:
        markup("Klingon \U000f0041 name")  # a private-use character no font has
    assert "U+F0041" in str(caught.value)
    assert "cannot be printed" in str(caught.value)


def test_front_desk_may_not_print_a_referral(doctor, front_desk_user, patient, practice):
    referral = referral_for(doctor, patient.id, "Dear Dr Lee,")
    with pytest.raises(PermissionDenied):
        referral_pdf(front_desk_user, referral.id)
