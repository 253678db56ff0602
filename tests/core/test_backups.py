from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from emr.config import load_settings
from emr.db import open_database
from emr.errors import ValidationError
from emr.models.patients import Patient
from emr.services.backups import (
    backups_to_keep,
    create_backup,
    manifest_path,
    restore_backup,
    run_automatic_backup,
    verify_backup,
)
from emr.services.context import Actor
from emr.services.patients import PatientInput, register_patient, search_patients, update_patient


def _register(actor, family: str, given: str = "Ann"):
    return register_patient(
        actor,
        PatientInput(family_name=family, given_name=given, date_of_birth=date(1970, 1, 2), sex="F"),
    )


def _state(db) -> list[tuple]:
    with db.read() as s:
        rows = s.execute(
            select(Patient.mrn, Patient.family_name, Patient.version).order_by(Patient.id)
        )
        return [tuple(r) for r in rows]


def test_backup_then_changes_then_restore_gives_exactly_the_backed_up_state(
    db, operator, settings, tmp_path
):
    first = _register(operator, "Müller")
    _register(operator, "O'Brien")
    before = _state(db)
    backup = tmp_path / "b" / "practice.db"
    manifest = create_backup(db, backup)
    assert manifest.counts["patients"] == 2
    assert verify_backup(settings, backup).ok

    update_patient(
        operator, first.id, first.version, replace(first.to_input(), family_name="Changed")
    )
    _register(operator, "Nguyễn")
    assert _state(db) != before
    db.dispose()

    with pytest.raises(ValidationError, match="--force"):
        restore_backup(settings, backup)
    kept = restore_backup(settings, backup, force=True)
    assert kept is not None and kept.exists()

    restored = open_database(load_settings())
    try:
        assert _state(restored) == before
        assert search_patients(Actor.operator(restored), "nguyen") == []
        # The database it replaced is kept, with the later changes.
        old = restored.open_copy(kept)
        assert len(_state(old)) == 3
        old.dispose()
    finally:
        restored.dispose()


def test_a_damaged_backup_does_not_verify_and_is_not_restored(db, operator, settings, tmp_path):
    _register(operator, "Smith")
    backup = tmp_path / "practice.db"
    create_backup(db, backup)
    data = bytearray(backup.read_bytes())
    data[5000] ^= 0xFF
    backup.write_bytes(bytes(data))
    check = verify_backup(settings, backup)
    assert not check.ok and any("SHA-256" in p for p in check.problems)
    with pytest.raises(ValidationError, match="did not verify"):
        restore_backup(settings, backup, force=True)


def test_manifest_counts_are_checked(db, operator, settings, tmp_path):
    backup = tmp_path / "practice.db"
    create_backup(db, backup)
    manifest = json.loads(manifest_path(backup).read_text())
    manifest["counts"]["patients"] = 99
    manifest_path(backup).write_text(json.dumps(manifest))
    assert any("patients" in p for p in verify_backup(settings, backup).problems)


def test_backup_refuses_to_overwrite(db, tmp_path):
    backup = tmp_path / "practice.db"
    create_backup(db, backup)
    with pytest.raises(ValidationError, match="exists already"):
        create_backup(db, backup)


def test_automatic_backup_once_a_day_with_retention(db, tmp_path):
    folder = tmp_path / "auto"
    start = date(2026, 1, 1)
    for offset in range(80):
        run_automatic_backup(
            db, folder, keep_daily=3, keep_monthly=2, today=start + timedelta(offset)
        )
    assert (
        run_automatic_backup(db, folder, keep_daily=3, keep_monthly=2, today=start + timedelta(79))
        is None
    )
    names = sorted(p.name for p in folder.glob("auto-*.db"))
    # Newest three days, plus the newest of each of the newest two months (overlapping March).
    assert names == [
        "auto-2026-02-28.db",
        "auto-2026-03-19.db",
        "auto-2026-03-20.db",
        "auto-2026-03-21.db",
    ]
    assert all(manifest_path(folder / n).exists() for n in names)


def test_retention_rule():
    days = [date(2026, m, d) for m in (1, 2, 3) for d in (1, 15, 28)]
    assert backups_to_keep(days, 2, 3) == {
        date(2026, 3, 28),
        date(2026, 3, 15),
        date(2026, 2, 28),
        date(2026, 1, 28),
    }
