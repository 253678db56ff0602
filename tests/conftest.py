"""Fixtures shared by every test: a fresh encrypted database in a temporary folder, the clinic's
staff logged in, a registered patient.

With EMR_TEST_DATABASE_URL set (postgresql+psycopg://user:pw@host/dbname, a role that may create
databases), the `settings` and `db` fixtures use a fresh PostgreSQL database per test instead,
copied from a template migrated once per run; tests about the SQLite file itself are skipped.
"""

from __future__ import annotations

import itertools
import os
import time
import warnings
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

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


# --- PostgreSQL (EMR_TEST_DATABASE_URL) -------------------------------------------------------

POSTGRES_URL = os.environ.get("EMR_TEST_DATABASE_URL", "").strip() or None
ON_POSTGRES = POSTGRES_URL is not None
NOT_ON_POSTGRES = "PostgreSQL only: set EMR_TEST_DATABASE_URL=postgresql+psycopg://… to run it"

# Tests about the SQLite file itself (encryption, file snapshots and restore, the path shown):
# on PostgreSQL they are skipped with this reason. Node ids, or a file for all of its tests.
_FILE_BACKUP = "backs up and restores the SQLite file (pg_dump backups: test_postgres.py)"
SQLITE_ONLY: dict[str, str] = {
    "tests/core/test_db.py::test_new_database_is_encrypted_and_at_head": "SQLCipher and pragmas",
    "tests/core/test_db.py::test_wrong_key_gives_clear_error": "the SQLCipher key",
    "tests/core/test_db.py::test_snapshot_is_encrypted_with_the_same_key": "file snapshots",
    "tests/core/test_encryption.py::test_registered_name_is_not_in_the_files": "the file's bytes",
    "tests/core/test_backups.py::test_backup_then_changes_then_restore_gives_exactly_the_backed_up_state": _FILE_BACKUP,
    "tests/core/test_backups.py::test_a_damaged_backup_does_not_verify_and_is_not_restored": _FILE_BACKUP,
    "tests/core/test_backups.py::test_manifest_counts_are_checked": _FILE_BACKUP,
    "tests/ui/test_app.py::test_smoke_opens_the_workspaces_with_real_data": (
        "runs `emr --smoke` on the SQLite file of EMR_HOME and with a wrong SQLCipher key"
    ),
}


def pytest_report_header(config) -> str:
    if ON_POSTGRES:
        return f"database: PostgreSQL {make_url(POSTGRES_URL).render_as_string()}"
    return f"database: SQLite/SQLCipher (PostgreSQL tests skipped: {NOT_ON_POSTGRES})"


def pytest_configure(config) -> None:
    config.addinivalue_line("markers", "postgres: needs PostgreSQL (EMR_TEST_DATABASE_URL)")
    config.addinivalue_line("markers", "sqlite_only: about the SQLite file; skipped on PostgreSQL")


def pytest_collection_modifyitems(config, items) -> None:
    for item in items:
        if item.get_closest_marker("postgres") and not ON_POSTGRES:
            item.add_marker(pytest.mark.skip(reason=NOT_ON_POSTGRES))
        if not ON_POSTGRES:
            continue
        file = item.nodeid.split("::", 1)[0]
        reason = SQLITE_ONLY.get(item.nodeid) or SQLITE_ONLY.get(file)
        if reason is None and item.get_closest_marker("sqlite_only"):
            reason = "about the SQLite file"
        if reason:
            item.add_marker(pytest.mark.skip(reason=f"{item.name}: SQLite only: {reason}"))


class PostgresServer:
    """Makes one database per test, each a copy of a template migrated once per run."""

    def __init__(self, url: str) -> None:
        self.url = make_url(url)
        self.admin = create_engine(self.url, isolation_level="AUTOCOMMIT")
        self.prefix = f"emr_t{os.getpid()}"
        self.template = f"{self.prefix}_template"
        self._numbers = itertools.count(1)

    def url_of(self, name: str) -> str:
        return self.url.set(database=name).render_as_string(hide_password=False)

    def _execute(self, sql: str) -> None:
        with self.admin.connect() as conn:
            conn.execute(text(sql))

    def make_template(self, settings: Settings) -> None:
        self.drop(self.template)
        self._execute(f'CREATE DATABASE "{self.template}"')
        database = open_database(replace(settings, database_url=self.url_of(self.template)))
        database.dispose()
        # No connections from now on (autovacuum's neither), so copies of it can always be made.
        self._execute(f'ALTER DATABASE "{self.template}" ALLOW_CONNECTIONS false')

    def new_database(self, *, empty: bool = False) -> str:
        """A new database at the newest schema, or with no tables at all (`empty`)."""
        name = f"{self.prefix}_{next(self._numbers)}"
        template = "template0" if empty else self.template
        self._execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return name

    def drop(self, name: str) -> None:
        """Drop a test's database, even if a process it started still holds a connection; an
        autovacuum worker, which a role without superuser cannot end, is waited for."""
        for attempt in range(20):
            try:
                self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                return
            except DBAPIError:
                time.sleep(0.1 * (attempt + 1))
        warnings.warn(f"test database {name} could not be dropped", stacklevel=2)

    def close(self) -> None:
        self.drop(self.template)
        self.admin.dispose()


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresServer]:
    if not ON_POSTGRES:
        pytest.skip(NOT_ON_POSTGRES)
    assert POSTGRES_URL is not None
    server = PostgresServer(POSTGRES_URL)
    home = tmp_path_factory.mktemp("postgres-template")
    server.make_template(load_settings({"EMR_HOME": str(home)}))
    yield server
    server.close()


@pytest.fixture
def postgres_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh PostgreSQL database at the newest schema, dropped after the test."""
    server: PostgresServer = request.getfixturevalue("postgres_server")
    name = server.new_database()
    yield server.url_of(name)
    server.drop(name)


@pytest.fixture
def empty_postgres_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh PostgreSQL database without any table, dropped after the test."""
    server: PostgresServer = request.getfixturevalue("postgres_server")
    name = server.new_database(empty=True)
    yield server.url_of(name)
    server.drop(name)


@pytest.fixture
def settings(emr_home: Path, request: pytest.FixtureRequest, monkeypatch) -> Settings:
    if ON_POSTGRES:
        # In the environment too, so that code calling load_settings() opens the same one.
        monkeypatch.setenv("EMR_DATABASE_URL", request.getfixturevalue("postgres_url"))
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
