from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emr.errors import ConfigurationError
from emr.security.keys import export_key, generate_key_hex, import_key


def test_export_round_trip_and_wrong_passphrase():
    key = generate_key_hex()
    document = export_key(key, "correct passphrase")
    assert key not in document
    assert import_key(document, "correct passphrase") == key
    with pytest.raises(ConfigurationError, match="passphrase is wrong"):
        import_key(document, "wrong passphrase!!")


def test_tampered_or_foreign_files_are_refused():
    document = json.loads(export_key(generate_key_hex(), "correct passphrase"))
    document["ciphertext"] = document["ciphertext"][::-1]
    with pytest.raises(ConfigurationError):
        import_key(json.dumps(document), "correct passphrase")
    for junk in ("", "{}", "[1, 2]", '{"format": "something else"}', "\x00\x01"):
        with pytest.raises(ConfigurationError, match="not an EMR key export"):
            import_key(junk, "correct passphrase")


def test_short_passphrase_refused():
    with pytest.raises(ConfigurationError, match="at least 12"):
        export_key(generate_key_hex(), "short")


@settings(max_examples=5, deadline=None)
@given(st.text(min_size=12, max_size=40))
def test_any_passphrase_round_trips(passphrase):
    key = generate_key_hex()
    assert import_key(export_key(key, passphrase), passphrase) == key
