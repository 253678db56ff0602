from __future__ import annotations

from pathlib import Path

import pytest

from emr.config import load_settings
from emr.errors import ConfigurationError


def test_defaults_under_emr_home(tmp_path):
    s = load_settings({"EMR_HOME": str(tmp_path)})
    assert s.database_path == tmp_path / "emr.db"
    assert s.backup_dir == tmp_path / "backups"
    assert (s.idle_lock_minutes, s.backups_keep_daily, s.backups_keep_monthly) == (10, 14, 12)
    assert s.db_key_hex is None


def test_overrides(tmp_path):
    s = load_settings(
        {
            "EMR_HOME": str(tmp_path),
            "EMR_BACKUP_DIR": str(tmp_path / "usb"),
            "EMR_IDLE_LOCK_MINUTES": "3",
            "EMR_BACKUPS_KEEP_DAILY": "7",
            "EMR_BACKUPS_KEEP_MONTHLY": "0",
            "EMR_DATABASE_URL": "postgresql+psycopg://emr@db/emr",
        }
    )
    assert s.backup_dir == Path(tmp_path / "usb")
    assert (s.idle_lock_minutes, s.backups_keep_daily, s.backups_keep_monthly) == (3, 7, 0)
    assert not s.is_sqlite and s.database_path is None


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("EMR_IDLE_LOCK_MINUTES", "ten"),
        ("EMR_IDLE_LOCK_MINUTES", "0"),
        ("EMR_BACKUPS_KEEP_DAILY", "-1"),
    ],
)
def test_bad_numbers_say_which_setting(tmp_path, name, value):
    with pytest.raises(ConfigurationError, match=name):
        load_settings({"EMR_HOME": str(tmp_path), name: value})
