"""`emr-admin demo` and `emr-admin bench` through the real command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.conftest import emr_admin
from tests.conftest import TEST_KEY


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    values = dict(os.environ)
    for name in ("EMR_DATABASE_URL", "EMR_USER", "EMR_PASSWORD"):
        values.pop(name, None)
    values.update(
        EMR_HOME=str(tmp_path / "home"),
        EMR_DB_KEY=TEST_KEY,
        EMR_BENCH_DIR=str(tmp_path / "bench"),
        PYTHONIOENCODING="utf-8",
    )
    return values


def test_demo_fills_the_database(env):
    assert emr_admin("init", env=env | {"EMR_PASSWORD": "admin password 1"}).returncode == 0
    done = emr_admin("demo", "--patients", "120", "--seed", "4", "--json", env=env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["counts"]["patients"] == 120
    check = emr_admin("db", "check", "--json", env=env)
    assert json.loads(check.stdout)["counts"]["patients"] == 120

    text = emr_admin("demo", "--patients", "10", env=env)
    assert text.returncode == 0
    assert "patients" in text.stdout and "done in" in text.stdout


def test_demo_makes_about_the_appointments_asked_for(env):
    assert emr_admin("init", env=env | {"EMR_PASSWORD": "admin password 1"}).returncode == 0
    done = emr_admin("demo", "--patients", "50", "--appointments", "1500", "--json", env=env)
    assert done.returncode == 0, done.stderr
    counts = json.loads(done.stdout)["counts"]
    assert 1_350 <= counts["appointments"] <= 1_650 and counts["providers"] == 3
    check = emr_admin("db", "check", "--json", env=env)
    assert json.loads(check.stdout)["counts"]["appointments"] == counts["appointments"]


@pytest.mark.parametrize("option", ["--patients", "--appointments"])
@pytest.mark.parametrize("count", ["-5", "many"])
def test_demo_refuses_a_bad_count_in_one_line(env, option, count):
    done = emr_admin("demo", option, count, env=env)
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr


def test_demo_without_a_database_says_so(env):
    done = emr_admin("demo", "--patients", "5", env=env)
    assert done.returncode == 2
    assert "emr-admin init" in done.stderr and "Traceback" not in done.stderr


def test_bench_prints_one_json_object_of_timings(env, tmp_path: Path):
    done = emr_admin("bench", "--patients", "60", "--runs", "3", "--json", env=env)
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)
    assert "patient_search_family_prefix" in results and "patient_register" in results
    for timing in results.values():
        assert set(timing) == {"median_ms", "p95_ms", "floor_ms", "runs"}
        assert timing["runs"] == 3
    assert results["patient_open"]["floor_ms"] > 0
    assert "schedule_day_one_provider_busy" in results
    assert (tmp_path / "bench" / "60-patients" / "emr.db").exists()
    assert not (tmp_path / "home" / "emr.db").exists()  # never the practice database

    table = emr_admin("bench", "--patients", "60", "--runs", "2", env=env)
    assert table.returncode == 0
    assert "patient_search_mrn" in table.stdout and "p95" in table.stdout


def test_bench_keeps_a_database_per_number_of_appointments(env, tmp_path: Path):
    args = ("bench", "--patients", "40", "--appointments", "700", "--runs", "2")
    table = emr_admin(*args, env=env)
    assert table.returncode == 0, table.stderr
    assert "40 patients, 700 appointments" in table.stdout
    assert "schedule_find_next_free_slot" in table.stdout
    assert (tmp_path / "bench" / "40-patients-700-appointments" / "emr.db").exists()


def test_command_modules_import_nothing_heavy():
    probe = (
        "import sys, emr.cli.patients, emr.cli.demo, emr.cli.bench; "
        "heavy = [m for m in ('sqlalchemy', 'emr.services.patients', 'emr.demo', 'emr.bench') "
        "if m in sys.modules]; print(heavy)"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
