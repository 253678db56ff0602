"""`emr-admin hl7 export` through the real command line, as a logged-in physician."""

from __future__ import annotations

import os
from pathlib import Path

import hl7
import pytest
from hl7apy.consts import VALIDATION_LEVEL
from hl7apy.parser import parse_message

from emr.config import load_settings
from emr.db import open_database
from emr.services.auth import login
from emr.services.context import Actor
from tests.cli.conftest import emr_admin
from tests.conftest import TEST_KEY
from tests.interop import AWKWARD, make_chart

PASSWORD = "physician pw 12345"


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A database with a physician, a front-desk user and a patient's chart."""
    from emr.services.users import create_user

    home: Path = tmp_path_factory.mktemp("cli") / "home"
    values = {k: v for k, v in os.environ.items() if not k.startswith("EMR_")}
    values.update(
        EMR_HOME=str(home),
        EMR_DB_KEY=TEST_KEY,
        EMR_USER="doc",
        EMR_PASSWORD=PASSWORD,
        PYTHONIOENCODING="utf-8",
    )
    assert emr_admin("init", env=values | {"EMR_PASSWORD": "admin password 1"}).returncode == 0
    db = open_database(load_settings({"EMR_HOME": str(home), "EMR_DB_KEY": TEST_KEY}))
    try:
        operator = Actor.operator(db)
        for username, role in (("doc", "physician"), ("desk", "front_desk")):
            create_user(
                operator,
                username=username,
                full_name=f"{username.title()} Tester",
                role=role,
                password=PASSWORD,
            )
        chart = make_chart(operator, login(db, "doc", PASSWORD))
        with db.read() as s:
            from emr.models.patients import Patient

            values["MRN"] = s.get(Patient, chart.patient_id).mrn
    finally:
        db.dispose()
    return values


def test_export_prints_the_message(env):
    done = emr_admin("hl7", "export", "--patient", env["MRN"], "--type", "ADT^A08", env=env)
    assert done.returncode == 0, done.stderr
    er7 = done.stdout.strip().replace("\n", "\r")
    message = hl7.parse(er7)
    assert str(message["PID.F5.R1.C1"]) == AWKWARD
    assert str(message["MSH.F9.R1.C2"]) == "A08"
    parse_message(er7, validation_level=VALIDATION_LEVEL.STRICT, find_groups=True).validate()


def test_export_writes_one_file_per_message(env, tmp_path):
    done = emr_admin(
        "hl7",
        "export",
        "--patient",
        env["MRN"],
        "--type",
        "mdm^t02",
        "--out",
        str(tmp_path),
        env=env,
    )
    assert done.returncode == 0, done.stderr
    (written,) = tmp_path.glob("*.hl7")
    assert done.stdout.strip() == str(written)
    er7 = written.read_bytes().decode("utf-8")
    assert er7.endswith("\r") and "\n" not in er7
    assert str(hl7.parse(er7)["MSH.F10"]) == written.stem


def test_user_errors_are_one_line(env, tmp_path):
    for args, who in [
        (["--patient", env["MRN"], "--type", "VXU^V04"], "doc"),  # no immunizations
        (["--patient", env["MRN"], "--type", "MDM^T02"], "desk"),  # no chart access
        (["--patient", "123", "--type", "ADT^A04"], "doc"),
        (["--patient", env["MRN"], "--type", "ADT^A04", "--out", str(tmp_path / "no")], "doc"),
        (["--patient", env["MRN"], "--type", "XYZ^Z99"], "doc"),
    ]:
        done = emr_admin("hl7", "export", *args, env=env | {"EMR_USER": who})
        assert done.returncode == 2, (args, done.stdout, done.stderr)
        assert "Traceback" not in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr
