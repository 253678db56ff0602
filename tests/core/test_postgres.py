"""The practice on a PostgreSQL server: the guarantees SQLite gives (one writer at a time,
snapshot reads), `emr-admin db check`, and backups with pg_dump. PostgreSQL only: the rest of the
suite runs on PostgreSQL too when EMR_TEST_DATABASE_URL is set."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from emr.db import WRITER_LOCK_KEY, Database, open_database
from emr.errors import DatabaseUnavailable, ValidationError
from emr.models import AuditEvent, Patient
from emr.services.backups import (
    PG_DUMP_FORMAT,
    create_backup,
    restore_backup,
    verify_backup,
)
from emr.services.maintenance import check_database, table_counts
from emr.services.patients import PatientInput, register_patient, search_patients

pytestmark = pytest.mark.postgres


def _register(actor, family: str, given: str = "Ann"):
    return register_patient(
        actor,
        PatientInput(family_name=family, given_name=given, date_of_birth=date(1970, 1, 2), sex="F"),
    )


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def test_readers_see_one_snapshot_and_never_write(db, operator):
    _register(operator, "Okafor")
    with db.read() as s:
        assert s.execute(text("SHOW transaction_read_only")).scalar() == "on"
        assert s.execute(text("SHOW transaction_isolation")).scalar() == "repeatable read"
        before = s.scalar(select(func.count()).select_from(Patient))
        _register(operator, "Haddad")  # another workstation commits meanwhile
        assert s.scalar(select(func.count()).select_from(Patient)) == before
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(Patient)) == before + 1


def test_writers_take_turns(db, operator):
    """A second writer waits for the first to commit, as SQLite's BEGIN IMMEDIATE makes it:
    so a check ("is the slot free?") and the insert after it are never raced."""
    order: list[str] = []
    first_in = threading.Event()

    def first() -> None:
        with db.write() as s:
            s.execute(text("SELECT 1"))
            first_in.set()
            time.sleep(0.5)
            order.append("first commits")

    thread = threading.Thread(target=first)
    thread.start()
    assert first_in.wait(10)
    with db.write() as s:
        s.execute(text("SELECT 1"))
        order.append("second starts")
    thread.join()
    assert order == ["first commits", "second starts"]


def test_readers_do_not_wait_for_a_writer(db, operator, settings):
    _register(operator, "Reads")
    with psycopg.connect(_libpq(settings.database_url), autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(%s)", (WRITER_LOCK_KEY,))  # a writer at work
        started = time.monotonic()
        with db.read() as s:
            assert s.scalar(select(func.count()).select_from(Patient)) == 1
        assert time.monotonic() - started < 5
        other.execute("SELECT pg_advisory_unlock(%s)", (WRITER_LOCK_KEY,))


@pytest.mark.slow
def test_a_writer_held_up_too_long_is_told_the_database_is_busy(db, settings, operator):
    with psycopg.connect(_libpq(settings.database_url), autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(%s)", (WRITER_LOCK_KEY,))
        started = time.monotonic()
        with pytest.raises(DatabaseUnavailable, match="busy"):
            _register(operator, "Waits")
        assert time.monotonic() - started >= 9
        other.execute("SELECT pg_advisory_unlock(%s)", (WRITER_LOCK_KEY,))
    assert _register(operator, "Waits").id  # once the lock is free, the same save works


def test_times_keep_their_microseconds_in_utc(db, operator):
    _register(operator, "Clock")
    with db.read() as s:
        event = s.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert event.occurred_at.tzinfo is UTC
        assert abs(datetime.now(UTC) - event.occurred_at).total_seconds() < 60
        stored = s.execute(
            text("SELECT occurred_at FROM audit_events WHERE id = :i"), {"i": event.id}
        ).scalar()
        assert stored.tzinfo is None and stored == event.occurred_at.replace(tzinfo=None)


def test_name_search_ignores_case_and_accents(db, operator, physician):
    _register(operator, "Müller", "Anna")
    assert [p.family_name for p in search_patients(physician, "MULLER")] == ["Müller"]
    assert [p.family_name for p in search_patients(physician, "müller anna")] == ["Müller"]


def _emr_admin(home: Path, url: str, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EMR_")}
    env |= {"EMR_HOME": str(home), "EMR_DATABASE_URL": url}
    return subprocess.run(
        [sys.executable, "-m", "emr.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=300,
    )


def test_emr_admin_db_check_on_postgres(db, operator, settings, emr_home):
    _register(operator, "Checked")
    ok = _emr_admin(emr_home, settings.database_url, "db", "check")
    assert ok.returncode == 0, ok.stderr
    assert "integrity:       ok" in ok.stdout and "encrypted:       yes" in ok.stdout
    assert "postgresql+psycopg://" in ok.stdout and ":emr@" not in ok.stdout.replace("***", "")
    # A sequence left behind its rows (ids copied in by hand) would fail the next insert.
    with psycopg.connect(_libpq(settings.database_url), autocommit=True) as conn:
        conn.execute("SELECT setval(pg_get_serial_sequence('patients', 'id'), 1, false)")
    report = check_database(db)
    assert not report.ok and "sequence of patients" in report.integrity
    bad = _emr_admin(emr_home, settings.database_url, "db", "check")
    assert bad.returncode == 1 and "sequence of patients" in bad.stdout


# --- backups: pg_dump ---------------------------------------------------------------------------


@pytest.fixture
def pg_dump_here():
    from shutil import which

    if which("pg_dump") is None or which("pg_restore") is None:
        pytest.skip("the PostgreSQL client tools (pg_dump, pg_restore) are not installed")


def test_pg_dump_backup_verifies_and_restores_into_a_new_database(
    db, operator, settings, tmp_path, pg_dump_here, request
):
    for name in ("Müller", "O'Brien", "Nguyễn"):
        _register(operator, name)
    out = tmp_path / "backups" / "practice.dump"
    manifest = create_backup(db, out)
    assert manifest.format == PG_DUMP_FORMAT and manifest.counts == table_counts(db)
    assert manifest.counts["patients"] == 3
    check = verify_backup(settings, out)
    assert check.ok, check.problems
    # Restored by the server's administrator into a new database: everything is there.
    server = request.getfixturevalue("postgres_server")
    name = server.new_database(empty=True)
    try:
        restored_url = server.url_of(name)
        done = subprocess.run(
            ["pg_restore", "--no-owner", f"--dbname={_libpq(restored_url)}", str(out)],
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stderr
        restored = open_database(replace(settings, database_url=restored_url), upgrade=False)
        try:
            assert table_counts(restored) == manifest.counts
            assert check_database(restored).ok
            _register(_operator_of(restored), "After")  # sequences came back too
        finally:
            restored.dispose()
    finally:
        server.drop(name)
    # The app does not restore over a server database; it says who does and how.
    with pytest.raises(ValidationError, match="pg_restore"):
        restore_backup(settings, out)


def _operator_of(db: Database):
    from emr.services.context import Actor

    return Actor.operator(db)


def test_a_changed_pg_dump_backup_does_not_verify(db, operator, settings, tmp_path, pg_dump_here):
    _register(operator, "Kept")
    out = tmp_path / "practice.dump"
    create_backup(db, out)
    data = bytearray(out.read_bytes())
    data[len(data) // 2] ^= 0xFF
    out.write_bytes(bytes(data))
    check = verify_backup(settings, out)
    assert not check.ok and any("SHA-256" in p for p in check.problems)


def test_without_pg_dump_the_backup_is_the_servers(db, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no PostgreSQL client tools on this computer
    with pytest.raises(ValidationError, match="server's own backups"):
        create_backup(db, tmp_path / "practice.dump")
    assert not (tmp_path / "practice.dump").exists()
