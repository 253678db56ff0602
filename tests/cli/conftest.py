"""Running `emr-admin` as a separate process, the way an operator or a script does."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import TEST_KEY

ADMIN_PASSWORD = "admin password 1"


class Cli:
    def __init__(self, home: Path) -> None:
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("EMR_")} | {
            "EMR_HOME": str(home),
            "EMR_DB_KEY": TEST_KEY,
        }

    def __call__(self, *args: str, stdin: str | None = None, **env: str):
        return subprocess.run(
            [sys.executable, "-m", "emr.cli", *args],
            env=self.env | env,
            input=stdin if stdin is not None else "",
            capture_output=True,
            text=True,
            timeout=120,
        )

    def as_admin(self, *args: str, **env: str):
        return self(*args, EMR_USER="admin", EMR_PASSWORD=ADMIN_PASSWORD, **env)


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return Cli(tmp_path / "emr-home")


@pytest.fixture
def initialised(cli: Cli) -> Cli:
    result = cli("init", EMR_PASSWORD=ADMIN_PASSWORD)
    assert result.returncode == 0, result.stderr
    return cli
