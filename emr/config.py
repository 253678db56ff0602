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
        return self.data_dir / "backups"

    @property
    def log_dir(self) -> Path:
        return self.data_dir / "logs"


def default_data_dir() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME, APP_AUTHOR))


def load_settings(env: dict[str, str] | None = None) -> Settings:
    env = dict(os.environ) if env is None else env
    home = env.get("EMR_HOME")
    data_dir = Path(home).expanduser().resolve() if home else default_data_dir()
    url = env.get("EMR_DATABASE_URL") or f"sqlite:///{data_dir / DATABASE_FILENAME}"
    key = (env.get("EMR_DB_KEY") or "").strip() or None
    idle = env.get("EMR_IDLE_LOCK_MINUTES", "").strip()
    try:
        idle_minutes = int(idle) if idle else DEFAULT_IDLE_LOCK_MINUTES
    except ValueError as exc:
        raise ConfigurationError(
            f"EMR_IDLE_LOCK_MINUTES must be a whole number of minutes, not {idle!r}."
        ) from exc
    if not 1 <= idle_minutes <= 240:
        raise ConfigurationError("EMR_IDLE_LOCK_MINUTES must be between 1 and 240.")
    return Settings(
        data_dir=data_dir, database_url=url, db_key_hex=key, idle_lock_minutes=idle_minutes
    )
