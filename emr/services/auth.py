"""Logging in and out, the lock screen's password check, changing one's own password.

A failed attempt is counted and audited in its own committed transaction before the error is
raised; after MAX_FAILED_LOGINS the account is locked for LOCKOUT.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from emr.db import Database
from emr.errors import AccountLocked, AuthenticationFailed, ValidationError
from emr.models.base import utcnow
from emr.models.users import User
from emr.security import audit
from emr.security.passwords import (
    check_password_rules,
    dummy_hash,
    hash_password,
    needs_rehash,
    password_matches,
)
from emr.services.context import Actor

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
WRONG_CREDENTIALS = "The username or password is not right."


def _locked_message(until: datetime) -> str:
    local = until.astimezone().strftime("%H:%M")
    return (
        f"This account is locked after {MAX_FAILED_LOGINS} failed attempts until {local}. "
        "Wait, or ask an administrator to reset the password."
    )


def _actor(db: Database, user: User) -> Actor:
    return Actor(
        db=db, user_id=user.id, username=user.username, full_name=user.full_name, role=user.role
    )


def _check(user: User | None, password: str, now: datetime) -> str | None:
    """None when the password is right and the account usable, else the failure's kind."""
    if user is None:
        password_matches(dummy_hash(), password)  # same time as for a real user
        return "unknown"
    if user.locked_until is not None and user.locked_until > now:
        return "locked"
    if not user.active:
        password_matches(user.password_hash, password)
        return "disabled"
    if not password_matches(user.password_hash, password):
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILED_LOGINS:
            user.locked_until = now + LOCKOUT
            user.failed_logins = 0
            return "now_locked"
        return "wrong"
    user.failed_logins = 0
    user.locked_until = None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return None


def _attempt(db: Database, username: str, password: str, action: str, detail: str) -> Actor:
    username = username.strip().lower()
    now = utcnow()
    with db.write() as s:
        user = s.execute(select(User).where(User.username == username)).scalar_one_or_none()
        failure = _check(user, password, now)
        audit.record(
            s,
            user_id=user.id if user else None,
            username=username[:64],
            action=action if failure is None else f"{action}_failed",
            entity="user",
            entity_id=user.id if user else None,
            detail=detail if failure is None else f"{detail} ({failure})",
        )
        locked_until = user.locked_until if user else None
        actor = _actor(db, user) if user is not None and failure is None else None
    if actor is not None:
        return actor
    if failure in ("locked", "now_locked") and locked_until is not None:
        raise AccountLocked(_locked_message(locked_until))
    raise AuthenticationFailed(WRONG_CREDENTIALS)


def login(db: Database, username: str, password: str, *, workstation: str = "") -> Actor:
    """Check the credentials and return the acting user; every attempt is audited."""
    return _attempt(db, username, password, "login", workstation or "")


def verify_password(actor: Actor, password: str) -> None:
    """The lock screen: the same user proves they are back. Failures count like logins."""
    _attempt(actor.db, actor.username, password, "unlock", "lock screen")


def logout(actor: Actor) -> None:
    with actor.write() as s:
        audit.record(
            s,
            user_id=actor.user_id,
            username=actor.username,
            action="logout",
            entity="user",
            entity_id=actor.user_id,
        )


def change_password(actor: Actor, old_password: str, new_password: str) -> None:
    check_password_rules(new_password)
    if old_password == new_password:
        raise ValidationError({"password": "The new password must differ from the old one."})
    verify_password(actor, old_password)
    new_hash = hash_password(new_password)
    with actor.write() as s:
        user = s.get(User, actor.user_id)
        assert user is not None
        user.password_hash = new_hash
        user.must_change_password = False
        user.password_changed_at = utcnow()
        audit.record(
            s,
            user_id=actor.user_id,
            username=actor.username,
            action="update",
            entity="user",
            entity_id=actor.user_id,
            detail="password changed",
        )
