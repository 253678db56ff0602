"""Fixtures shared by every test: a fresh encrypted database in a temporary folder, the clinic's
staff logged in, a registered patient."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from emr.config import Settings, load_settings  # noqa: E402
from emr.db import Database, open_database  # noqa: E402
from emr.models import User  # noqa: E402
from emr.services.auth import login  # noqa: E402
from emr.services.context import Actor  # noqa: E402
from emr.services.patients import PatientInput, PatientRecord, register_patient  # noqa: E402
from emr.services.users import UserRecord, create_user  # noqa: E402

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


# The clinic's people in every test: username -> (role, password). Full names are
# "<Username> Tester" ("Doc Tester"); the UI tests' `users` are the same people.
STAFF: dict[str, tuple[str, str]] = {
    "fran": ("front_desk", "front desk pw 1"),
    "nina": ("nurse", "nurse pw 12345"),
    "doc": ("physician", "physician pw 1"),
    "doc2": ("physician", "physician pw 2"),
    "boss": ("admin", "admin password 1"),
}


def password_of(username: str) -> str:
    return STAFF[username][1]


def add_staff(operator: Actor, *usernames: str) -> dict[str, UserRecord]:
    """Create these members of STAFF (those not there yet), in this order."""
    with operator.read() as s:
        existing = set(s.scalars(select(User.username)))
    return {
        name: create_user(
            operator,
            username=name,
            full_name=f"{name.title()} Tester",
            role=STAFF[name][0],
            password=password_of(name),
        )
        for name in usernames
        if name not in existing
    }


def log_in(db: Database, username: str) -> Actor:
    return login(db, username, password_of(username))


def _on_duty(db: Database, operator: Actor, username: str) -> Actor:
    add_staff(operator, username)
    return log_in(db, username)


@pytest.fixture
def front_desk_user(db: Database, operator: Actor) -> Actor:
    return _on_duty(db, operator, "fran")


@pytest.fixture
def nurse(db: Database, operator: Actor) -> Actor:
    return _on_duty(db, operator, "nina")


@pytest.fixture
def physician(db: Database, operator: Actor) -> Actor:
    return _on_duty(db, operator, "doc")


@pytest.fixture
def second_physician(db: Database, operator: Actor) -> Actor:
    """A colleague of `physician` ("doc2"); not in `staff`."""
    return _on_duty(db, operator, "doc2")


@pytest.fixture
def admin_user(db: Database, operator: Actor) -> Actor:
    return _on_duty(db, operator, "boss")


@pytest.fixture
def staff(front_desk_user: Actor, nurse: Actor, physician: Actor, admin_user: Actor):
    """username -> logged-in Actor, one of each role."""
    return {"fran": front_desk_user, "nina": nurse, "doc": physician, "boss": admin_user}


@pytest.fixture
def patient(operator: Actor) -> PatientRecord:
    """One registered patient: Ada Okafor, born 1 January 1950."""
    return register_patient(
        operator,
        PatientInput(
            family_name="Okafor", given_name="Ada", date_of_birth=date(1950, 1, 1), sex="F"
        ),
    )
