"""Encryption at rest: no patient data in plain bytes; the key comes from a keyring or EMR_DB_KEY."""

from __future__ import annotations

from datetime import date

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail

from emr.config import load_settings
from emr.db import open_database
from emr.errors import ConfigurationError
from emr.security.keys import KEYRING_SERVICE, keyring_account, load_key, store_key
from emr.services.patients import PatientInput, register_patient


class MemoryKeyring(KeyringBackend):
    """Stands in for the OS credential store (Windows Credential Manager) in tests."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.secrets: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.secrets.get((service, username))

    def set_password(self, service, username, password):
        self.secrets[(service, username)] = password

    def delete_password(self, service, username):
        self.secrets.pop((service, username), None)


@pytest.fixture
def os_keyring():
    previous = keyring.get_keyring()
    store = MemoryKeyring()
    keyring.set_keyring(store)
    yield store
    keyring.set_keyring(previous)


def test_registered_name_is_not_in_the_files(db, operator, settings):
    register_patient(
        operator,
        PatientInput(
            family_name="Zyxwvutsrq",
            given_name="Plaintextcheck",
            date_of_birth=date(1980, 5, 6),
            sex="F",
            front_desk_notes="prefers morning appointments",
        ),
    )
    files = [settings.database_path, settings.database_path.with_name("emr.db-wal")]
    seen = b"".join(p.read_bytes() for p in files if p.exists())
    assert len(seen) > 10_000
    for secret in ("Zyxwvutsrq", "zyxwvutsrq", "Plaintextcheck", "morning appointments"):
        assert secret.encode() not in seen
        assert secret.encode("utf-16-le") not in seen


def test_key_from_the_keyring(emr_home, monkeypatch, os_keyring):
    monkeypatch.delenv("EMR_DB_KEY")
    settings = load_settings()
    store_key(settings, "ab" * 32)
    assert os_keyring.secrets[(KEYRING_SERVICE, keyring_account(settings))] == "ab" * 32
    db = open_database(settings, create=True)
    assert db.encrypted
    db.dispose()
    assert load_key(settings) == "ab" * 32


def test_no_keyring_and_no_env_key_says_what_to_do(emr_home, monkeypatch):
    monkeypatch.delenv("EMR_DB_KEY")
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        with pytest.raises(ConfigurationError, match="EMR_DB_KEY"):
            open_database(load_settings(), create=True)
        assert not load_settings().database_path.exists()  # no unencrypted fallback
    finally:
        keyring.set_keyring(previous)


def test_key_missing_from_the_keyring(emr_home, monkeypatch, os_keyring):
    monkeypatch.delenv("EMR_DB_KEY")
    with pytest.raises(ConfigurationError, match="key import"):
        load_key(load_settings())


def test_bad_env_key(emr_home, monkeypatch):
    monkeypatch.setenv("EMR_DB_KEY", "not hex")
    with pytest.raises(ConfigurationError, match="64 hexadecimal"):
        load_key(load_settings())
