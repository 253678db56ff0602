from __future__ import annotations

import pytest
from sqlalchemy import text

from emr.config import load_settings
from emr.db import current_revision, head_revision, open_database, sqlite_file_is_plain
from emr.errors import DatabaseUnavailable


def test_new_database_is_encrypted_and_at_head(db, settings):
    assert db.encrypted
    assert current_revision(db) == head_revision()
    assert not sqlite_file_is_plain(settings.database_path)
    with db.read() as s:
        assert s.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert s.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert s.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL


def test_wrong_key_gives_clear_error(db, emr_home, monkeypatch):
    db.dispose()
    monkeypatch.setenv("EMR_DB_KEY", "ab" * 32)
    with pytest.raises(DatabaseUnavailable, match="key is wrong"):
        open_database(load_settings())


def test_missing_database_says_how_to_create_one(emr_home):
    with pytest.raises(DatabaseUnavailable, match="emr-admin init"):
        open_database(load_settings())


def test_snapshot_is_encrypted_with_the_same_key(db, tmp_path, monkeypatch):
    target = tmp_path / "copy" / "emr.db"
    db.snapshot_to(target)
    assert not sqlite_file_is_plain(target)
    monkeypatch.setenv("EMR_HOME", str(target.parent))
    copy = open_database(load_settings(), upgrade=False)
    assert current_revision(copy) == head_revision()
    copy.dispose()
