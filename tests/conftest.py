"""Fixtures shared by every test: a fresh encrypted database in a temporary folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from emr.config import Settings, load_settings  # noqa: E402
from emr.db import Database, open_database  # noqa: E402
from emr.services.context import Actor  # noqa: E402

TEST_KEY = "5f" * 32


@pytest.fixture
def emr_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "emr-home"
    monkeypatch.setenv("EMR_HOME", str(home))
    monkeypatch.setenv("EMR_DB_KEY", TEST_KEY)
    monkeypatch.delenv("EMR_DATABASE_URL", raising=False)
    monkeypatch.delenv("EMR_USER", raising=False)
    monkeypatch.delenv("EMR_PASSWORD", raising=False)
    return home


@pytest.fixture
def settings(emr_home: Path) -> Settings:
    return load_settings()


@pytest.fixture
def db(settings: Settings):
    database = open_database(settings, create=True)
    yield database
    database.dispose()


@pytest.fixture
def operator(db: Database) -> Actor:
    return Actor.operator(db)
