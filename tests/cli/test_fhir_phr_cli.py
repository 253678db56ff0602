"""`emr-admin fhir export` and `emr-admin phr import` through the real command line: exit 0
with the file or the report, exit 2 with one line for what a user can get wrong."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from fhir.resources import get_fhir_model_class
from fhir.resources.bundle import Bundle
from sqlalchemy import func, select

from emr.config import load_settings
from emr.db import open_database
from emr.models.observations import Observation
from emr.services.context import Actor
from emr.services.users import create_user
from tests.cli.conftest import emr_admin
from tests.conftest import TEST_KEY
from tests.interop.test_fhir_export import DOC_PASSWORD, build_chart

DESK_PASSWORD = "front desk pw 12345"
CSV = (
    "Date,Type,Value,Unit\n"
    "2024-03-01 07:30,Blood Pressure,131/84,mmHg\n"
    "2024-03-01 07:30,Heart Rate,400,/min\n"
    "2024-03-02 07:30,Weight,176,lb\n"
)


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A database with the FHIR test chart (physician "fhirdoc") and a front-desk user."""
    home: Path = tmp_path_factory.mktemp("cli") / "home"
    values = {k: v for k, v in os.environ.items() if not k.startswith("EMR_")}
    values.update(
        EMR_HOME=str(home),
        EMR_DB_KEY=TEST_KEY,
        EMR_USER="fhirdoc",
        EMR_PASSWORD=DOC_PASSWORD,
        PYTHONIOENCODING="utf-8",
    )
    assert emr_admin("init", env=values | {"EMR_PASSWORD": "admin password 1"}).returncode == 0
    db = open_database(load_settings({"EMR_HOME": str(home), "EMR_DB_KEY": TEST_KEY}))
    try:
        operator = Actor.operator(db)
        chart = build_chart(db, operator)
        values["MRN"] = chart.mrn
        values["PATIENT_ID"] = str(chart.patient_id)
        create_user(
            operator,
            username="desk",
            full_name="Desk Tester",
            role="front_desk",
            password=DESK_PASSWORD,
        )
    finally:
        db.dispose()
    return values


def vitals_count(env: dict[str, str]) -> int:
    db = open_database(load_settings({"EMR_HOME": env["EMR_HOME"], "EMR_DB_KEY": TEST_KEY}))
    try:
        with db.read() as s:
            return s.scalar(
                select(func.count())
                .select_from(Observation)
                .where(Observation.patient_id == int(env["PATIENT_ID"]))
            )
    finally:
        db.dispose()


def one_line_error(done) -> str:
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert done.stderr.startswith("emr-admin: ")
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    return done.stderr


def test_fhir_export_writes_a_valid_bundle(env, tmp_path):
    out = tmp_path / "record.json"
    done = emr_admin("fhir", "export", "--patient", env["MRN"], "--out", str(out), env=env)
    assert done.returncode == 0, done.stderr
    bundle = json.loads(out.read_text(encoding="utf-8"))
    assert done.stdout.strip() == f"{out}: {len(bundle['entry'])} resources"
    Bundle.parse_obj(bundle)
    for entry in bundle["entry"]:
        get_fhir_model_class(entry["resource"]["resourceType"]).parse_obj(entry["resource"])
    patient = next(
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient"
    )
    assert patient["identifier"][0]["value"] == env["MRN"]


def test_fhir_export_refusals(env, tmp_path):
    args = ("fhir", "export", "--out", str(tmp_path / "x.json"))
    assert "not a valid MRN" in one_line_error(emr_admin(*args, "--patient", "NOPE", env=env))
    desk = env | {"EMR_USER": "desk", "EMR_PASSWORD": DESK_PASSWORD}
    one_line_error(emr_admin(*args, "--patient", env["MRN"], env=desk))
    folder = ("fhir", "export", "--patient", env["MRN"], "--out", str(tmp_path))
    assert "is a folder" in one_line_error(emr_admin(*folder, env=env))
    missing = emr_admin("fhir", "export", "--out", "x.json", env=env)
    assert missing.returncode == 2 and "--patient" in missing.stderr
    assert not (tmp_path / "x.json").exists()


def test_phr_import_reports_and_skips_with_reasons(env, tmp_path):
    path = tmp_path / "omron.csv"
    path.write_text(CSV, encoding="utf-8")
    before = vitals_count(env)
    done = emr_admin("phr", "import", "--patient", env["MRN"], str(path), env=env)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "3 value(s) imported, 1 skipped."
    assert lines[1] == (
        "  skipped row 3: 400 /min is not a possible heart rate (possible: 20 to 300 /min)"
    )
    assert vitals_count(env) == before + 3

    again = emr_admin("phr", "import", "--patient", env["MRN"], str(path), "--json", env=env)
    assert again.returncode == 0, again.stderr
    report = json.loads(again.stdout)
    assert report["imported"] == 0
    assert report["duplicates"] == 3
    assert report["skipped"] == [
        {
            "where": "row 3",
            "reason": "400 /min is not a possible heart rate (possible: 20 to 300 /min)",
        }
    ]
    assert vitals_count(env) == before + 3


def test_phr_import_with_a_column_map(env, tmp_path):
    path = tmp_path / "app.txt"
    path.write_text("A;B;C;D\n2024-04-01 08:00;Pulse;66;bpm\n", encoding="utf-8")
    base = ("phr", "import", "--patient", env["MRN"], str(path))
    assert "Choose the column" in one_line_error(emr_admin(*base, "--kind", "csv", env=env))
    assert "FIELD=COLUMN" in one_line_error(emr_admin(*base, "--map", "when=A", env=env))
    done = emr_admin(
        *base, "--map", "time=A,type=B,value=C,unit=D", "--source", "Fitbit", "--json", env=env
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["sources"] == ["Fitbit"]


def test_phr_import_refuses_bad_files_and_changes_nothing(env, tmp_path):
    before = vitals_count(env)
    bad_json = tmp_path / "broken.json"
    bad_json.write_text('{"resourceType": "Bundle", "entry": [', encoding="utf-8")
    patient_file = tmp_path / "patient.json"
    patient_file.write_text('{"resourceType": "Patient"}', encoding="utf-8")
    no_unit = tmp_path / "nounit.csv"
    no_unit.write_text("Date,Type,Value,Unit\n2024-03-01 07:30,Weight,80,\n", encoding="utf-8")
    huge = tmp_path / "huge.csv"
    with huge.open("wb") as f:
        f.truncate(21 * 1024 * 1024)
    for path, message in (
        (bad_json, "not valid JSON"),
        (patient_file, "a Patient resource"),
        (no_unit, "have no unit"),
        (huge, "up to 20 MB"),
        (tmp_path / "missing.csv", "There is no file"),
    ):
        done = emr_admin("phr", "import", "--patient", env["MRN"], str(path), env=env)
        assert message in one_line_error(done)
    desk = env | {"EMR_USER": "desk", "EMR_PASSWORD": DESK_PASSWORD}
    path = tmp_path / "ok.csv"
    path.write_text(CSV, encoding="utf-8")
    one_line_error(emr_admin("phr", "import", "--patient", env["MRN"], str(path), env=desk))
    assert vitals_count(env) == before
