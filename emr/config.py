"""Settings read from the environment: where the data lives and which database to open."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from emr.errors import ConfigurationError

APP_NAME = "SmallPracticeEMR"
APP_AUTHOR = "SmallPracticeEMR"
DATABASE_FILENAME = "emr.db"
DEFAULT_IDLE_LOCK_MINUTES = 10


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    db_key_hex: str | None  # EMR_DB_KEY; None means "ask the OS keyring"
    idle_lock_minutes: int = DEFAULT_IDLE_LOCK_MINUTES
    backup_dir_override: Path | None = None  # EMR_BACKUP_DIR
    backups_keep_daily: int = 14
    backups_keep_monthly: int = 12

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def database_path(self) -> Path | None:
        if not self.is_sqlite:
            return None
        return Path(self.database_url.split("///", 1)[1])

    @property
    def backup_dir(self) -> Path:
        return self.backup_dir_override or self.data_dir / "backups"

    @property
    def log_dir(self) -> Path:
        return self.data_dir / "logs"


def default_data_dir() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME, APP_AUTHOR))


def database_url(url: str) -> str:
    """A PostgreSQL URL as libpq tools write it (postgresql://, postgres://) uses psycopg 3, the
    driver the app ships with."""
    for scheme in ("postgresql://", "postgres://"):
        if url.startswith(scheme):
            return "postgresql+psycopg://" + url[len(scheme) :]
    return url


def load_settings(env: dict[str, str] | None = None) -> Settings:
    env = dict(os.environ) if env is None else env
    home = env.get("EMR_HOME")
    data_dir = Path(home).expanduser().resolve() if home else default_data_dir()
    url = database_url(env.get("EMR_DATABASE_URL", "").strip()) or (
        f"sqlite:///{data_dir / DATABASE_FILENAME}"
    )
    key = (env.get("EMR_DB_KEY") or "").strip() or None
    backup_dir = env.get("EMR_BACKUP_DIR", "").strip()
    return Settings(
        data_dir=data_dir,
        database_url=url,
        db_key_hex=key,
        idle_lock_minutes=_whole_number(
            env, "EMR_IDLE_LOCK_MINUTES", DEFAULT_IDLE_LOCK_MINUTES, 1, 240
        ),
        backup_dir_override=Path(backup_dir).expanduser().resolve() if backup_dir else None,
        backups_keep_daily=_whole_number(env, "EMR_BACKUPS_KEEP_DAILY", 14, 1, 366),
        backups_keep_monthly=_whole_number(env, "EMR_BACKUPS_KEEP_MONTHLY", 12, 0, 240),
    )


def _whole_number(env: dict[str, str], name: str, default: int, low: int, high: int) -> int:
    text = env.get(name, "").strip()
    if not text:
        return default
    try:
        value = int(text)
    except ValueError as exc:
        raise ConfigurationError(f"{name} must be a whole number, not {text!r}.") from exc
    if not low <= value <= high:
        raise ConfigurationError(f"{name} must be between {low} and {high}.")
    return value
