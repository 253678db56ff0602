"""`emr-admin referral list` and `emr-admin print referral | visit-summary | prescription`
through the real command line, as a logged-in user."""

from __future__ import annotations

import json
import os
import unicodedata
from datetime import date, datetime, timedelta
from io import BytesIO
from pathlib import Path

import pytest
from pypdf import PdfReader

from emr.config import load_settings
from emr.db import open_database
from emr.services.context import Actor
from tests.cli.conftest import emr_admin
from tests.conftest import TEST_KEY

PASSWORD = "correct-horse-battery-7"


@pytest.fixture(scope="module")
def clinic(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A physician, a front-desk user, a patient Nguyễn with two referrals and a visit."""
    from emr.services.auth import login
    from emr.services.encounters import get_encounter, save_draft, start_encounter
    from emr.services.patients import PatientInput, register_patient
    from emr.services.prescriptions import (
        PrescriptionInput,
        draft_prescription,
        sign_prescription,
    )
    from emr.services.referrals import ReferralInput, create_referral, set_referral_status
    from emr.services.users import create_user

    home: Path = tmp_path_factory.mktemp("referral-cli") / "home"
    env = dict(os.environ)
    env.pop("EMR_DATABASE_URL", None)
    env.update(
        EMR_HOME=str(home),
        EMR_DB_KEY=TEST_KEY,
        EMR_USER="adams",
        EMR_PASSWORD=PASSWORD,
        PYTHONIOENCODING="utf-8",
    )
    assert emr_admin("init", env=env).returncode == 0
    db = open_database(load_settings({"EMR_HOME": str(home), "EMR_DB_KEY": TEST_KEY}))
    try:
        op = Actor.operator(db)
        create_user(
            op, username="adams", full_name="Dr Ada Adams", role="physician", password=PASSWORD
        )
        create_user(
            op, username="desk", full_name="Front Desk", role="front_desk", password=PASSWORD
        )
        doctor = login(db, "adams", PASSWORD)
        person = register_patient(
            op,
            PatientInput(
                family_name="Nguyễn", given_name="Thị Lan", date_of_birth=date(1975, 6, 15), sex="F"
            ),
        )
        first = create_referral(
            doctor,
            person.id,
            ReferralInput(
                to_name="Dr Grace Lee",
                to_specialty="Cardiology",
                reason="chest pain",
                diagnosis_codes=("I20.9",),
                letter_text="Dear Dr Lee,\n\nPlease see Mrs Nguyễn.",
            ),
        )
        sent = set_referral_status(doctor, first.id, first.version, "sent")
        second = create_referral(
            doctor, person.id, ReferralInput(to_name="Dr Kim", reason="rash", urgency="urgent")
        )
        visit = start_encounter(
            doctor,
            person.id,
            provider_id=doctor.user_id,
            occurred_at=datetime.now() - timedelta(hours=1),
            encounter_type="Office visit",
        )
        note = get_encounter(doctor, visit.id).note
        save_draft(doctor, note.id, note.version, "", "", "Chest pain, stable.", "See cardiology.")
        draft = draft_prescription(
            doctor,
            person.id,
            PrescriptionInput(
                drug_name="lisinopril",
                strength="10 mg",
                dose_form="tablet",
                dose_amount="1",
                dose_unit="tablet",
                frequency="once daily",
                quantity="30",
                quantity_unit="tablet",
            ),
        )
        prescription = sign_prescription(doctor, draft.id, draft.version)
    finally:
        db.dispose()
    return {
        "env": env,
        "mrn": person.mrn,
        "sent": sent.id,
        "draft": second.id,
        "encounter": visit.id,
        "prescription": prescription.id,
    }


def run(clinic: dict, *args: str, **env: str):
    return emr_admin(*args, env=clinic["env"] | env)


def pdf_text(path: Path) -> str:
    reader = PdfReader(BytesIO(path.read_bytes()))
    text = " ".join(p.extract_text() for p in reader.pages)
    return " ".join(unicodedata.normalize("NFC", text).split())


def test_referral_list_as_json_and_as_a_table(clinic):
    result = run(clinic, "referral", "list", "--patient", clinic["mrn"], "--json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert [r["id"] for r in rows] == [clinic["draft"], clinic["sent"]]
    sent = rows[1]
    assert (sent["status"], sent["to"], sent["diagnoses"]) == ("sent", "Dr Grace Lee", ["I20.9"])
    assert sent["status_date"] == date.today().isoformat()
    assert rows[0]["urgency"] == "urgent"
    table = run(clinic, "referral", "list", "--patient", clinic["mrn"])
    assert table.returncode == 0 and "Dr Grace Lee" in table.stdout and "STATUS" in table.stdout


def test_print_referral_and_visit_summary(clinic, tmp_path):
    letter = tmp_path / "letter.pdf"
    result = run(clinic, "print", "referral", str(clinic["sent"]), "--out", str(letter))
    assert result.returncode == 0, result.stderr
    assert f"referral {clinic['sent']}" in result.stdout
    text = pdf_text(letter)
    assert "Please see Mrs Nguyễn." in text and "Thị Lan Nguyễn" in text

    summary = tmp_path / "summary.pdf"
    result = run(clinic, "print", "visit-summary", str(clinic["encounter"]), "--out", str(summary))
    assert result.returncode == 0, result.stderr
    text = pdf_text(summary)
    assert "Visit summary" in text and "Chest pain, stable." in text and "See cardiology." in text


def test_print_prescription_and_its_copy(clinic, tmp_path):
    first, again = tmp_path / "rx.pdf", tmp_path / "rx-again.pdf"
    result = run(clinic, "print", "prescription", str(clinic["prescription"]), "--out", str(first))
    assert result.returncode == 0, result.stderr
    assert f"prescription {clinic['prescription']}" in result.stdout
    text = pdf_text(first)
    assert "lisinopril" in text.lower() and "Thị Lan" in text and "COPY" not in text
    result = run(clinic, "print", "prescription", str(clinic["prescription"]), "--out", str(again))
    assert result.returncode == 0, result.stderr
    assert "COPY" in pdf_text(again)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("referral", "list", "--patient", "NOPE"), "not a valid mrn"),
        (("print", "referral", "999999", "--out", "{tmp}/x.pdf"), "no referral with id 999999"),
        (("print", "visit-summary", "999999", "--out", "{tmp}/x.pdf"), "no encounter"),
        (("print", "prescription", "999999", "--out", "{tmp}/x.pdf"), "999999"),
        (("print", "referral", "1", "--out", "{tmp}/missing/x.pdf"), "does not exist"),
    ],
)
def test_clear_errors_exit_2(clinic, tmp_path, args, message):
    result = run(clinic, *(a.replace("{tmp}", str(tmp_path)) for a in args))
    assert result.returncode == 2, result.stderr
    assert message in result.stderr.lower() or message in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_front_desk_may_not_read_or_print_referrals(clinic, tmp_path):
    listing = run(clinic, "referral", "list", "--patient", clinic["mrn"], EMR_USER="desk")
    assert listing.returncode == 2 and "may not" in listing.stderr
    printed = run(
        clinic,
        "print",
        "referral",
        str(clinic["sent"]),
        "--out",
        str(tmp_path / "x.pdf"),
        EMR_USER="desk",
    )
    assert printed.returncode == 2 and "may not" in printed.stderr
    assert not (tmp_path / "x.pdf").exists()
