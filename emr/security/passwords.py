"""Password hashing (argon2id) and the password rules."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from emr.errors import ValidationError

MIN_PASSWORD_LENGTH = 10
# argon2id with 46 MiB and 2 passes: about 50-100 ms here, well inside "instant" for a login.
_hasher = PasswordHasher(time_cost=2, memory_cost=47_104, parallelism=1)


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(
            {"password": f"A password needs at least {MIN_PASSWORD_LENGTH} characters."}
        )
    if password.strip() != password:
        raise ValidationError({"password": "A password may not begin or end with spaces."})


def hash_password(password: str) -> str:
    check_password_rules(password)
    return _hasher.hash(password)


def password_matches(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


@cache
def dummy_hash() -> str:
    """A hash of nothing anybody knows, verified for unknown usernames so that a failed login
    takes as long whether or not the user exists."""
    return _hasher.hash("no user has this password: " + "x" * 16)
