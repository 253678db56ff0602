"""User accounts: created, listed, disabled and reset by an administrator (or the operator)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from emr.errors import NotFound, ValidationError
from emr.models.base import utcnow
from emr.models.users import User
from emr.security import audit
from emr.security.passwords import hash_password
from emr.security.permissions import Permission, Role
from emr.services.context import Actor

_USERNAME = re.compile(r"^[a-z][a-z0-9._-]{1,63}$")
_DEA = re.compile(r"^[A-Z]{2}\d{7}$")


@dataclass(frozen=True)
class UserRecord:
    id: int
    username: str
    full_name: str
    role: str
    active: bool
    npi: str | None
    dea_number: str | None
    state_licence: str | None
    locked_until: datetime | None


def _record(u: User) -> UserRecord:
    return UserRecord(
        id=u.id,
        username=u.username,
        full_name=u.full_name,
        role=u.role,
        active=u.active,
        npi=u.npi,
        dea_number=u.dea_number,
        state_licence=u.state_licence,
        locked_until=u.locked_until,
    )


def npi_is_valid(npi: str) -> bool:
    """NPI check digit: Luhn over the 9 digits prefixed with 80840 (CMS NPI standard)."""
    if not re.fullmatch(r"\d{10}", npi):
        return False
    digits = [int(c) for c in "80840" + npi[:9]]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return (10 - total % 10) % 10 == int(npi[9])


def dea_is_valid(dea: str) -> bool:
    """DEA number: two letters, six digits and a check digit (DEA's published rule)."""
    if not _DEA.match(dea):
        return False
    d = [int(c) for c in dea[2:]]
    check = (d[0] + d[2] + d[4] + 2 * (d[1] + d[3] + d[5])) % 10
    return check == d[6]


def _validate(username: str, full_name: str, role: str, npi: str | None, dea: str | None) -> None:
    errors: dict[str, str] = {}
    if not _USERNAME.match(username):
        errors["username"] = (
            "Use 2 to 64 lower-case letters, digits, dots, dashes or underscores, "
            "starting with a letter."
        )
    if not full_name.strip():
        errors["full_name"] = "The full name is required."
    if role not in {r.value for r in Role}:
        errors["role"] = f"Choose one of: {', '.join(r.value for r in Role)}."
    if npi and not npi_is_valid(npi):
        errors["npi"] = "An NPI is 10 digits with a valid check digit."
    if dea and not dea_is_valid(dea):
        errors["dea_number"] = (
            "A DEA number is two letters and seven digits with a valid check digit."
        )
    if errors:
        raise ValidationError(errors)


def _by_username(s: Session, username: str) -> User:
    user = s.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        raise NotFound(f"There is no user named {username!r}.")
    return user


def _audit(s: Session, actor: Actor, action: str, user: User, detail: str = "") -> None:
    audit.record(
        s,
        user_id=actor.user_id,
        username=actor.username,
        action=action,
        entity="user",
        entity_id=user.id,
        detail=detail or user.username,
    )


def create_user(
    actor: Actor,
    *,
    username: str,
    full_name: str,
    role: str,
    password: str,
    npi: str | None = None,
    dea_number: str | None = None,
    state_licence: str | None = None,
) -> UserRecord:
    actor.require(Permission.USERS_MANAGE)
    username = username.strip().lower()
    npi = (npi or "").strip() or None
    dea_number = (dea_number or "").strip().upper() or None
    _validate(username, full_name, role, npi, dea_number)
    password_hash = hash_password(password)
    with actor.write() as s:
        if s.execute(select(User.id).where(User.username == username)).first():
            raise ValidationError({"username": f"The username {username!r} is taken."})
        user = User(
            username=username,
            full_name=full_name.strip(),
            role=role,
            password_hash=password_hash,
            npi=npi,
            dea_number=dea_number,
            state_licence=(state_licence or "").strip() or None,
            password_changed_at=utcnow(),
        )
        s.add(user)
        s.flush()
        _audit(s, actor, "create", user, f"{username} ({role})")
        return _record(user)


def list_users(actor: Actor) -> list[UserRecord]:
    actor.require(Permission.USERS_MANAGE)
    with actor.read() as s:
        return [_record(u) for u in s.execute(select(User).order_by(User.username)).scalars()]


def disable_user(actor: Actor, username: str) -> UserRecord:
    actor.require(Permission.USERS_MANAGE)
    with actor.write() as s:
        user = _by_username(s, username)
        if user.id == actor.user_id:
            raise ValidationError("You cannot disable your own account.")
        user.active = False
        _audit(s, actor, "update", user, f"{user.username} disabled")
        return _record(user)


def reset_password(actor: Actor, username: str, new_password: str) -> UserRecord:
    """An administrator sets a new password; the lock is lifted and a change is required."""
    actor.require(Permission.USERS_MANAGE)
    password_hash = hash_password(new_password)
    with actor.write() as s:
        user = _by_username(s, username)
        user.password_hash = password_hash
        user.failed_logins = 0
        user.locked_until = None
        user.must_change_password = True
        user.password_changed_at = utcnow()
        _audit(s, actor, "update", user, f"{user.username} password reset")
        return _record(user)
