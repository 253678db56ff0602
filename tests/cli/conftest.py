"""Running `emr-admin` as a separate process, the way an operator or a script does."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import TEST_KEY

ADMIN_PASSWORD = "admin password 1"


def emr_admin(*args: str, env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess:
    """Run `emr-admin` as its own process with exactly this environment."""
    return subprocess.run(
        [sys.executable, "-m", "emr.cli", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=600,
    )


class Cli:
    def __init__(self, home: Path) -> None:
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("EMR_")} | {
            "EMR_HOME": str(home),
            "EMR_DB_KEY": TEST_KEY,
        }

    def __call__(self, *args: str, stdin: str = "", **env: str):
        return emr_admin(*args, env=self.env | env, stdin=stdin)

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
