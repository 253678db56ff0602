"""`emr-admin patient add | find | show` through the real command line, as a logged-in user."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from emr.config import load_settings
from emr.db import open_database
from emr.mrn import is_valid_mrn
from emr.services.context import Actor
from tests.cli.conftest import emr_admin
from tests.conftest import TEST_KEY

PASSWORD = "correct-horse-battery-7"


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A database with one front-desk user, shared by the tests of this module."""
    from emr.services.users import create_user

    home: Path = tmp_path_factory.mktemp("cli") / "home"
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
        create_user(
            Actor.operator(db),
            username="desk",
            full_name="Front Desk",
            role="front_desk",
            password=PASSWORD,
        )
    finally:
        db.dispose()
    return values


def one_line_error(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


def add(env, family: str, given: str, dob: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return emr_admin(
        "patient",
        "add",
        "--family",
        family,
        "--given",
        given,
        "--dob",
        dob,
        "--sex",
        "F",
        *extra,
        env=env,
    )


def test_add_prints_the_new_mrn_and_find_and_show_it(env):
    done = add(env, "Müller", "Anneliese", "03/07/1961", "--phone", "(555) 010-4321")
    assert done.returncode == 0, done.stderr
    mrn = done.stdout.strip()
    assert is_valid_mrn(mrn)

    found = emr_admin("patient", "find", "muller ann", "--json", env=env)
    assert found.returncode == 0, found.stderr
    [row] = json.loads(found.stdout)
    assert {k: row[k] for k in ("mrn", "family", "given", "dob", "sex", "phone")} == {
        "mrn": mrn,
        "family": "Müller",
        "given": "Anneliese",
        "dob": "1961-03-07",
        "sex": "F",
        "phone": "(555) 010-4321",
    }
    assert [
        r["mrn"] for r in json.loads(emr_admin("patient", "find", "4321", "--json", env=env).stdout)
    ] == [mrn]

    table = emr_admin("patient", "find", "MULLER", env=env)
    assert table.returncode == 0 and "Müller" in table.stdout and mrn in table.stdout

    shown = emr_admin("patient", "show", mrn, "--json", env=env)
    assert shown.returncode == 0, shown.stderr
    record = json.loads(shown.stdout)
    assert record["mrn"] == mrn and record["dob"] == "1961-03-07" and record["active"] is True
    text = emr_admin("patient", "show", mrn, env=env)
    assert text.returncode == 0 and "Anneliese" in text.stdout


def test_find_with_a_limit_and_nothing_found(env):
    for given in ("Ann", "Anna", "Annie"):
        assert add(env, "Okafor", given, "1990-01-0" + str(len(given))).returncode == 0
    found = json.loads(
        emr_admin("patient", "find", "okafor", "--limit", "2", "--json", env=env).stdout
    )
    assert [r["given"] for r in found] == ["Ann", "Anna"]
    none = emr_admin("patient", "find", "zzzz", "--json", env=env)
    assert none.returncode == 0 and json.loads(none.stdout) == []


def test_a_possible_duplicate_is_refused_unless_allowed(env):
    assert add(env, "O'Brien", "Siobhán", "1984-03-07").returncode == 0
    message = one_line_error(add(env, "OBRIEN", "siobhan", "7.3.1984"))
    assert "already" in message
    again = add(env, "OBRIEN", "siobhan", "7.3.1984", "--allow-duplicate")
    assert again.returncode == 0 and is_valid_mrn(again.stdout.strip())


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (
            [
                "patient",
                "add",
                "--family",
                "Lee",
                "--given",
                "Min",
                "--dob",
                "1990-02-30",
                "--sex",
                "F",
            ],
            "not a real date",
        ),
        (
            [
                "patient",
                "add",
                "--family",
                "Lee",
                "--given",
                "Min",
                "--dob",
                "yesterday",
                "--sex",
                "F",
            ],
            "not a date",
        ),
        (
            [
                "patient",
                "add",
                "--family",
                "Lee",
                "--given",
                "Min",
                "--dob",
                "2999-01-01",
                "--sex",
                "F",
            ],
            "future",
        ),
        (
            [
                "patient",
                "add",
                "--family",
                "Lee",
                "--given",
                "Min",
                "--dob",
                "1990-01-01",
                "--sex",
                "X",
            ],
            "invalid choice",
        ),
        (
            [
                "patient",
                "add",
                "--family",
                "Lee",
                "--given",
                "Min",
                "--dob",
                "1990-01-01",
                "--sex",
                "F",
                "--phone",
                "12",
            ],
            "phone",
        ),
        (
            [
                "patient",
                "add",
                "--family",
                "",
                "--given",
                "Min",
                "--dob",
                "1990-01-01",
                "--sex",
                "F",
            ],
            "required",
        ),
        (["patient", "show", "1234567"], "check digit"),
        (["patient", "show", "1234566"], "no patient"),
        (["patient", "find", "smith", "--limit", "0"], "between 1 and 500"),
    ],
)
def test_bad_input_exits_2_with_one_line(env, args, words):
    assert words in one_line_error(emr_admin(*args, env=env)).lower()


def test_patient_commands_need_a_user_and_the_right_password(env):
    no_user = {k: v for k, v in env.items() if k not in ("EMR_USER", "EMR_PASSWORD")}
    assert "EMR_USER" in one_line_error(emr_admin("patient", "find", "smith", env=no_user))
    wrong = env | {"EMR_PASSWORD": "not-the-password"}
    one_line_error(emr_admin("patient", "find", "smith", env=wrong))
