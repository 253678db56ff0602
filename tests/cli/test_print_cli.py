"""`emr-admin print day-sheet` through the real command line, as a logged-in user."""

from __future__ import annotations

import os
import subprocess
import unicodedata
from datetime import date, datetime, time
from pathlib import Path

import pytest
from pypdf import PdfReader

from emr.config import load_settings
from emr.db import open_database
from emr.schedule_rules import Stretch
from emr.services.context import Actor
from tests.cli.conftest import emr_admin
from tests.conftest import TEST_KEY

PASSWORD = "correct-horse-battery-7"
DAY = date(2031, 3, 3)


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A front-desk user, two physicians and a day on which Dr Adams sees two patients and
    Dr Brandt one; one more of Dr Adams' appointments is cancelled."""
    from emr.services.patients import PatientInput, register_patient
    from emr.services.schedule_setup import save_appointment_type, set_working_hours
    from emr.services.scheduling import AppointmentInput, book_appointment, cancel_appointment
    from emr.services.users import create_user

    home: Path = tmp_path_factory.mktemp("print-cli") / "home"
    values = dict(os.environ)
    values.pop("EMR_DATABASE_URL", None)
    values.update(
        EMR_HOME=str(home),
        EMR_DB_KEY=TEST_KEY,
        EMR_USER="desk",
        EMR_PASSWORD=PASSWORD,
        PYTHONIOENCODING="utf-8",
    )
    assert emr_admin("init", env=values).returncode == 0
    db = open_database(load_settings({"EMR_HOME": str(home), "EMR_DB_KEY": TEST_KEY}))
    try:
        op = Actor.operator(db)
        create_user(
            op, username="desk", full_name="Front Desk", role="front_desk", password=PASSWORD
        )
        doctors = [
            create_user(op, username=u, full_name=n, role="physician", password=PASSWORD)
            for u, n in (("adams", "Dr Ada Adams"), ("brandt", "Dr Bernd Brandt"))
        ]
        kind = save_appointment_type(op, name="New patient", default_minutes=30, colour="#1565c0")
        people = [
            register_patient(
                op,
                PatientInput(family_name=f, given_name=g, date_of_birth=dob, sex="F"),
                allow_duplicate=True,
            )
            for f, g, dob in (
                ("Nguyễn", "Thị Lan", date(1975, 6, 15)),
                ("Müller", "Anneliese", date(1961, 3, 7)),
                ("Zeta", "Cancelled", date(1990, 1, 1)),
            )
        ]
        for doctor in doctors:
            set_working_hours(op, doctor.id, [Stretch(d, time(8), time(17)) for d in range(7)])
        booked = [
            book_appointment(
                op,
                AppointmentInput(
                    patient_id=patient.id,
                    provider_id=doctor.id,
                    type_id=kind.id,
                    starts=datetime.combine(DAY, time(hour)),
                    minutes=30,
                ),
            )
            for patient, doctor, hour in (
                (people[0], doctors[0], 9),
                (people[1], doctors[0], 10),
                (people[2], doctors[0], 11),
                (people[1], doctors[1], 9),
            )
        ]
        cancel_appointment(op, booked[2].id, booked[2].version, "patient called")
    finally:
        db.dispose()
    return values


def run(env, *args: str) -> subprocess.CompletedProcess[str]:
    return emr_admin("print", "day-sheet", *args, env=env)


def one_line_error(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


def pdf_pages(path: Path) -> list[str]:
    return [
        " ".join(unicodedata.normalize("NFC", p.extract_text()).split())
        for p in PdfReader(path).pages
    ]


def test_day_sheet_of_every_provider(env, tmp_path: Path):
    out = tmp_path / "day sheet.pdf"
    done = run(env, "--date", DAY.isoformat(), "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"{out}: 3 appointments"
    pages = pdf_pages(out)
    assert len(pages) == 2
    assert "Dr Ada Adams" in pages[0] and "Nguyễn, Thị Lan" in pages[0]
    assert "Müller, Anneliese" in pages[0] and "Zeta" not in pages[0]
    assert "Dr Bernd Brandt" in pages[1] and "Müller, Anneliese" in pages[1]


def test_day_sheet_of_one_provider(env, tmp_path: Path):
    out = tmp_path / "brandt.pdf"
    done = run(env, "--date", DAY.isoformat(), "--provider", "Brandt", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"{out}: 1 appointment"
    (page,) = pdf_pages(out)
    assert "Dr Bernd Brandt" in page and "Adams" not in page


def test_an_empty_day(env, tmp_path: Path):
    out = tmp_path / "empty.pdf"
    done = run(env, "--date", "2031-03-04", "--provider", "adams", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith(": 0 appointments")
    assert "No appointments." in pdf_pages(out)[0]


@pytest.mark.parametrize("bad", ["2031-02-30", "tomorrow", "03/03/2031"])
def test_a_bad_date_is_one_clear_line(env, tmp_path: Path, bad: str):
    out = tmp_path / "day.pdf"
    line = one_line_error(run(env, "--date", bad, "--out", str(out)))
    assert f"'{bad}' is not a date" in line and "YYYY-MM-DD" in line
    assert not out.exists()


def test_an_unknown_provider_is_one_clear_line(env, tmp_path: Path):
    out = tmp_path / "day.pdf"
    line = one_line_error(
        run(env, "--date", DAY.isoformat(), "--provider", "nobody", "--out", str(out))
    )
    assert "no provider with the username 'nobody'" in line
    # Not a provider either: the front desk's own account.
    line = one_line_error(
        run(env, "--date", DAY.isoformat(), "--provider", "desk", "--out", str(out))
    )
    assert "'desk'" in line
    assert not out.exists()


def test_an_unwritable_path_is_one_clear_line(env, tmp_path: Path):
    missing = tmp_path / "no such folder" / "day.pdf"
    line = one_line_error(run(env, "--date", DAY.isoformat(), "--out", str(missing)))
    assert "Cannot write" in line and "does not exist" in line
    line = one_line_error(run(env, "--date", DAY.isoformat(), "--out", str(tmp_path)))
    assert "Cannot write" in line and "folder" in line
    assert list(tmp_path.iterdir()) == []


def test_without_a_user_it_refuses(env, tmp_path: Path):
    out = tmp_path / "day.pdf"
    anonymous = {k: v for k, v in env.items() if k not in ("EMR_USER", "EMR_PASSWORD")}
    line = one_line_error(run(anonymous, "--date", DAY.isoformat(), "--out", str(out)))
    assert "--user" in line
    assert not out.exists()
