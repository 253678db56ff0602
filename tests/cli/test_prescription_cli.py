"""`emr-admin prescription list` through the real command line, as a logged-in user."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import date
from pathlib import Path

import pytest

from emr.config import load_settings
from emr.db import open_database
from emr.services.context import Actor
from tests.cli.conftest import emr_admin
from tests.conftest import TEST_KEY

PASSWORD = "correct-horse-battery-7"


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, str], str, list[int]]:
    """A physician, a patient with a signed and a draft prescription, and a front-desk user."""
    from emr.services.auth import login
    from emr.services.patients import PatientInput, register_patient
    from emr.services.prescriptions import (
        PrescriptionInput,
        draft_prescription,
        sign_prescription,
    )
    from emr.services.users import create_user

    home: Path = tmp_path_factory.mktemp("rx-cli") / "home"
    values = dict(os.environ)
    values.pop("EMR_DATABASE_URL", None)
    values.update(
        EMR_HOME=str(home),
        EMR_DB_KEY=TEST_KEY,
        EMR_USER="adams",
        EMR_PASSWORD=PASSWORD,
        PYTHONIOENCODING="utf-8",
    )
    assert emr_admin("init", env=values).returncode == 0
    db = open_database(load_settings({"EMR_HOME": str(home), "EMR_DB_KEY": TEST_KEY}))
    try:
        op = Actor.operator(db)
        for username, role in (("adams", "physician"), ("desk", "front_desk")):
            create_user(op, username=username, full_name=username, role=role, password=PASSWORD)
        patient = register_patient(
            op,
            PatientInput(
                family_name="Nguyễn", given_name="Lan", date_of_birth=date(1975, 6, 15), sex="F"
            ),
        )
        doctor = login(db, "adams", PASSWORD)
        data = PrescriptionInput(
            drug_name="lisinopril",
            strength="10 mg",
            dose_form="tablet",
            dose_amount="1",
            dose_unit="tablet",
            frequency="once daily",
            quantity="90",
            quantity_unit="tablets",
        )
        first = draft_prescription(doctor, patient.id, data)
        sign_prescription(doctor, first.id, first.version)
        second = draft_prescription(
            doctor, patient.id, PrescriptionInput(**{**data.__dict__, "drug_name": "sertraline"})
        )
    finally:
        db.dispose()
    return values, patient.mrn, [first.id, second.id]


def run(env: dict[str, str], *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return emr_admin("prescription", "list", *args, env=env | extra)


def test_list_as_json_gives_the_ids(setup):
    env, mrn, (signed_id, draft_id) = setup
    done = run(env, "--patient", mrn, "--json")
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert [(r["id"], r["status"]) for r in rows] == [(draft_id, "draft"), (signed_id, "signed")]
    assert rows[1]["sig"] == "Take 1 tablet by mouth once daily"
    assert rows[1]["drug"] == "lisinopril 10 mg tablet"


def test_list_as_a_table(setup):
    env, mrn, (signed_id, _) = setup
    done = run(env, "--patient", mrn)
    assert done.returncode == 0, done.stderr
    header, *lines = done.stdout.splitlines()
    assert header.split()[:4] == ["ID", "STATUS", "DATE", "DRUG"]
    assert any(line.startswith(str(signed_id)) and "signed" in line for line in lines)


def test_errors_are_one_line(setup):
    env, mrn, _ = setup
    for done in (
        run(env, "--patient", "not-an-mrn"),
        run(env, "--patient", mrn, EMR_USER="desk"),  # no chart access
    ):
        assert done.returncode == 2, done.stdout
        assert "Traceback" not in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1
