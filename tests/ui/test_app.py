"""`emr` as a process: --version, and --smoke on a real database."""

from __future__ import annotations

import os
import subprocess
import sys

import emr
from emr.demo import generate
from tests.conftest import TEST_KEY


def _emr(*args: str, **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith("EMR_")}
    return subprocess.run(
        [sys.executable, "-m", "ui.app", *args],
        env=base | {"QT_QPA_PLATFORM": "offscreen"} | env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_version():
    result = _emr("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"emr {emr.__version__}"


def test_smoke_opens_the_workspaces_with_real_data(db, users, settings):
    generate(db, patients=30, seed=3)
    env = {"EMR_HOME": str(settings.data_dir), "EMR_DB_KEY": TEST_KEY}
    ok = _emr("--smoke", EMR_USER="fran", EMR_PASSWORD=users["fran"], **env)
    assert ok.returncode == 0, ok.stderr
    assert "OK as fran (front_desk)" in ok.stdout and "MRN" in ok.stdout
    assert "Schedule (" in ok.stdout and "Admin (" not in ok.stdout

    admin = _emr("--smoke", EMR_USER="boss", EMR_PASSWORD=users["boss"], **env)
    assert admin.returncode == 0, admin.stderr
    assert "Admin (" in admin.stdout and "audit chain OK" in admin.stdout
    assert "Outbox (" in admin.stdout

    wrong = _emr("--smoke", EMR_USER="fran", EMR_PASSWORD="not the password", **env)
    assert wrong.returncode == 1 and "not right" in wrong.stderr
    assert "Traceback" not in wrong.stderr

    no_key = _emr(
        "--smoke",
        EMR_USER="fran",
        EMR_PASSWORD=users["fran"],
        EMR_HOME=env["EMR_HOME"],
        EMR_DB_KEY="ef" * 32,
    )
    assert no_key.returncode == 2 and "key is wrong" in no_key.stderr
