"""The database key: a random 256-bit key kept in the OS credential store, or EMR_DB_KEY."""

from __future__ import annotations

import re
import secrets

from emr.config import Settings
from emr.errors import ConfigurationError

KEYRING_SERVICE = "SmallPracticeEMR database key"
_HEX_KEY = re.compile(r"^[0-9a-fA-F]{64}$")


def generate_key_hex() -> str:
    return secrets.token_hex(32)


def check_key_hex(key_hex: str) -> str:
    if not _HEX_KEY.match(key_hex):
        raise ConfigurationError("The database key must be exactly 64 hexadecimal digits.")
    return key_hex.lower()


def keyring_account(settings: Settings) -> str:
    """One key per database: the account name is the database's location."""
    return str(settings.database_path or settings.database_url)


def load_key(settings: Settings) -> str:
    """EMR_DB_KEY if set, else the OS keyring; a clear error if neither can give one."""
    if settings.db_key_hex:
        return check_key_hex(settings.db_key_hex)
    try:
        import keyring
        from keyring.errors import KeyringError

        stored = keyring.get_password(KEYRING_SERVICE, keyring_account(settings))
    except (KeyringError, RuntimeError) as exc:
        raise ConfigurationError(
            "No usable OS keyring to read the database key from "
            f"({exc}). Set EMR_DB_KEY to the 64-digit key, or import it with "
            "'emr-admin key import FILE'."
        ) from exc
    if not stored:
        raise ConfigurationError(
            "The database key is not in this computer's keyring. Import it with "
            "'emr-admin key import FILE' or set EMR_DB_KEY."
        )
    return check_key_hex(stored)


def store_key(settings: Settings, key_hex: str) -> None:
    try:
        import keyring
        from keyring.errors import KeyringError

        keyring.set_password(KEYRING_SERVICE, keyring_account(settings), check_key_hex(key_hex))
    except (KeyringError, RuntimeError) as exc:
        raise ConfigurationError(
            f"Could not store the database key in the OS keyring ({exc}). "
            "Set EMR_DB_KEY instead (servers and CI), and keep a key export."
        ) from exc
