"""`emr-admin db migrate-to`: a SQLite practice copied into an empty PostgreSQL database, ids
kept, sequences set past them, counts, checksums and the audit chain verified."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from emr import demo
from emr.config import Settings
from emr.db import Database, open_database
from emr.errors import ValidationError
from emr.models import Patient, User
from emr.services.context import Actor
from emr.services.db_copy import (
    _canonical,
    copy_database,
    table_digest,
    tables_in_order,
)
from emr.services.maintenance import check_database, table_counts
from emr.services.patients import PatientInput, register_patient
from tests.conftest import TEST_KEY, add_staff

TODAY = date(2026, 11, 25)


@pytest.fixture
def practice_file(emr_home: Path, settings: Settings) -> Database:
    """The practice's SQLite file (whatever the tests' database is), with a small demo practice
    in it and a user last changed by a colleague with a higher id."""
    sqlite = replace(settings, database_url=f"sqlite:///{emr_home / 'emr.db'}")
    db = open_database(sqlite, create=True)
    operator = Actor.operator(db)
    add_staff(operator, "fran", "boss")
    demo.generate(db, patients=25, seed=4, today=TODAY)
    with db.write() as s:
        boss = s.scalars(select(User.id).where(User.username == "boss")).one()
        s.execute(update(User).where(User.username == "fran").values(updated_by=boss))
    yield db
    db.dispose()


def _open(settings: Settings, url: str, **options) -> Database:
    return open_database(replace(settings, database_url=url), **options)


def test_checksum_values_keep_their_kind():
    values = [None, "N", True, 1, "1", 1.0, b"\x01", datetime(2026, 1, 2, 3), date(2026, 1, 2)]
    assert len({_canonical(v) for v in values}) == len(values)


def test_the_copy_goes_into_postgresql(practice_file):
    with pytest.raises(ValidationError, match="PostgreSQL"):
        copy_database(practice_file, practice_file)


@pytest.mark.postgres
def test_a_practice_on_a_server_is_not_copied_again(db, practice_file):
    with pytest.raises(ValidationError, match="on a server already"):
        copy_database(db, db)


@pytest.mark.postgres
def test_copy_into_an_empty_database_keeps_everything(practice_file, settings, empty_postgres_url):
    target = _open(settings, empty_postgres_url, upgrade=False)
    try:
        progress: list[tuple[str, int]] = []
        report = copy_database(practice_file, target, lambda t, n: progress.append((t, n)))
        assert report.ok, report.problems
        counts = table_counts(practice_file)
        assert table_counts(target) == counts
        assert {t.table: t.target_rows for t in report.tables} == counts
        assert report.rows > 500 and counts["patients"] == 25 and counts["observations"] > 0
        assert report.audit_events_checked == counts["audit_events"]
        assert {t for t, _n in progress} <= set(counts)
        # Each table read back from either database hashes alike.
        with practice_file.engine.connect() as a, target.engine.connect() as b:
            for table in tables_in_order():
                assert table_digest(a, table) == table_digest(b, table), table.name
        assert check_database(target).ok
        # The copy is a working practice: new rows take ids after the copied ones.
        newest = counts["patients"]
        added = register_patient(
            Actor.operator(target),
            PatientInput(
                family_name="After", given_name="Move", date_of_birth=date(1980, 5, 6), sex="F"
            ),
        )
        assert added.id > newest
        with target.read() as s:
            fran = s.scalars(select(User).where(User.username == "fran")).one()
            assert fran.updated_by is not None and fran.updated_by > fran.id
    finally:
        target.dispose()


@pytest.mark.postgres
def test_a_target_with_data_is_refused_and_left_alone(practice_file, settings, postgres_url):
    target = _open(settings, postgres_url)
    try:
        register_patient(
            Actor.operator(target),
            PatientInput(
                family_name="Already", given_name="Here", date_of_birth=date(1970, 1, 1), sex="M"
            ),
        )
        before = table_counts(target)
        with pytest.raises(ValidationError, match="not empty"):
            copy_database(practice_file, target)
        assert table_counts(target) == before
        with target.read() as s:
            assert s.scalar(select(func.count()).select_from(Patient)) == 1
    finally:
        target.dispose()


def _emr_admin(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EMR_", "PG"))}
    env |= {"EMR_HOME": str(home), "EMR_DB_KEY": TEST_KEY}
    return subprocess.run(
        [sys.executable, "-m", "emr.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=600,
    )


@pytest.mark.postgres
def test_emr_admin_db_migrate_to(practice_file, emr_home, empty_postgres_url, settings):
    practice_file.dispose()
    done = _emr_admin(emr_home, "db", "migrate-to", empty_postgres_url)
    assert done.returncode == 0, done.stderr
    assert "Copied and verified" in done.stdout and "chain verified" in done.stdout
    assert ":emr@" not in done.stdout.replace("***", "")  # the password is never shown
    again = _emr_admin(emr_home, "db", "migrate-to", empty_postgres_url)
    assert again.returncode == 2
    assert "not empty" in again.stderr and len(again.stderr.strip().splitlines()) == 1
    target = _open(settings, empty_postgres_url)
    try:
        with target.read() as s:
            assert s.scalar(select(func.count()).select_from(Patient)) == 25
    finally:
        target.dispose()


def test_emr_admin_db_migrate_to_wants_a_postgresql_url(practice_file, emr_home):
    practice_file.dispose()
    refused = _emr_admin(emr_home, "db", "migrate-to", "sqlite:///elsewhere.db")
    assert refused.returncode == 2
    assert "PostgreSQL" in refused.stderr and "Traceback" not in refused.stderr


def test_a_libpq_style_url_uses_psycopg(tmp_path):
    from emr.config import load_settings

    for given in ("postgresql://emr@db/emr", "postgres://emr@db/emr"):
        settings = load_settings({"EMR_HOME": str(tmp_path), "EMR_DATABASE_URL": given})
        assert settings.database_url == "postgresql+psycopg://emr@db/emr"
        assert not settings.is_sqlite
