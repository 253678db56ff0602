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


# --- key export for disaster recovery ---------------------------------------------------------

EXPORT_FORMAT = "small-practice-emr key export"
_SCRYPT = {"n": 2**15, "r": 8, "p": 1}


def _derive(passphrase: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(passphrase.encode("utf-8"))


def export_key(key_hex: str, passphrase: str) -> str:
    """The key sealed with AES-256-GCM under a scrypt-derived key, as a small JSON document."""
    import base64
    import json

    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    if len(passphrase) < 12:
        raise ConfigurationError("The export passphrase needs at least 12 characters.")
    salt, nonce = secrets.token_bytes(16), secrets.token_bytes(12)
    sealed = AESGCM(_derive(passphrase, salt, **_SCRYPT)).encrypt(
        nonce, bytes.fromhex(check_key_hex(key_hex)), EXPORT_FORMAT.encode()
    )
    b64 = lambda b: base64.b64encode(b).decode("ascii")  # noqa: E731
    return json.dumps(
        {
            "format": EXPORT_FORMAT,
            "version": 1,
            "kdf": {"name": "scrypt", **_SCRYPT, "salt": b64(salt)},
            "cipher": "AES-256-GCM",
            "nonce": b64(nonce),
            "ciphertext": b64(sealed),
        },
        indent=2,
    )


def import_key(document: str, passphrase: str) -> str:
    """The key from an export; a clear error for a wrong passphrase or a damaged file."""
    import base64
    import json

    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    try:
        data = json.loads(document)
        if not isinstance(data, dict):
            raise ValueError("not a key export")
        if data.get("format") != EXPORT_FORMAT or data.get("version") != 1:
            raise ValueError("not a key export")
        kdf = data["kdf"]
        key = _derive(passphrase, base64.b64decode(kdf["salt"]), kdf["n"], kdf["r"], kdf["p"])
        nonce, sealed = base64.b64decode(data["nonce"]), base64.b64decode(data["ciphertext"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ConfigurationError("This file is not an EMR key export, or it is damaged.") from exc
    try:
        return AESGCM(key).decrypt(nonce, sealed, EXPORT_FORMAT.encode()).hex()
    except InvalidTag as exc:
        raise ConfigurationError(
            "The passphrase is wrong (or the export file was changed)."
        ) from exc
