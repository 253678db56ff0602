from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from emr.errors import AccountLocked, AuthenticationFailed, PermissionDenied, ValidationError
from emr.models.audit import AuditEvent
from emr.models.base import utcnow
from emr.models.users import User
from emr.services.auth import MAX_FAILED_LOGINS, change_password, login, logout, verify_password
from emr.services.users import (
    create_user,
    dea_is_valid,
    disable_user,
    list_users,
    npi_is_valid,
    reset_password,
)
from tests.conftest import add_staff, password_of

PASSWORD = password_of("nina")


@pytest.fixture
def nurse_account(operator):
    """The nurse's account, not logged in yet."""
    return add_staff(operator, "nina")["nina"]


def _events(db, action: str) -> list[tuple]:
    """(user_id, username, detail) of each event with this action, oldest first."""
    with db.read() as s:
        rows = s.execute(
            select(AuditEvent.user_id, AuditEvent.username, AuditEvent.detail)
            .where(AuditEvent.action == action)
            .order_by(AuditEvent.id)
        )
        return [tuple(r) for r in rows]


def test_login_returns_the_actor_and_is_audited(db, nurse_account):
    actor = login(db, "Nina", PASSWORD, workstation="exam-1")
    assert (actor.user_id, actor.username, actor.role) == (nurse_account.id, "nina", "nurse")
    assert _events(db, "login") == [(nurse_account.id, "nina", "exam-1")]
    logout(actor)
    assert len(_events(db, "logout")) == 1


def test_wrong_password_and_unknown_user_give_the_same_message(db, nurse_account):
    with pytest.raises(AuthenticationFailed) as wrong:
        login(db, "nina", "not the password")
    with pytest.raises(AuthenticationFailed) as unknown:
        login(db, "nobody", "not the password")
    assert str(wrong.value) == str(unknown.value)
    failed = _events(db, "login_failed")
    assert [(user_id, name) for user_id, name, _ in failed] == [
        (nurse_account.id, "nina"),
        (None, "nobody"),
    ]


def test_five_failures_lock_the_account_for_15_minutes(db, nurse_account):
    for _ in range(MAX_FAILED_LOGINS - 1):
        with pytest.raises(AuthenticationFailed) as exc:
            login(db, "nina", "wrong password")
        assert not isinstance(exc.value, AccountLocked)
    with pytest.raises(AccountLocked, match="locked"):
        login(db, "nina", "wrong password")
    # Even the right password is refused while locked.
    with pytest.raises(AccountLocked):
        login(db, "nina", PASSWORD)
    with db.read() as s:
        user = s.execute(select(User).where(User.username == "nina")).scalar_one()
        assert user.locked_until - utcnow() > timedelta(minutes=14)


def test_lock_expires(db, nurse_account):
    with db.write() as s:
        user = s.execute(select(User).where(User.username == "nina")).scalar_one()
        user.locked_until = utcnow() - timedelta(seconds=1)
    assert login(db, "nina", PASSWORD).username == "nina"


def test_admin_reset_lifts_the_lock_and_requires_a_change(db, nurse_account, operator):
    for _ in range(MAX_FAILED_LOGINS):
        with pytest.raises(AuthenticationFailed):
            login(db, "nina", "wrong password")
    reset_password(operator, "nina", "a brand new one")
    actor = login(db, "nina", "a brand new one")
    change_password(actor, "a brand new one", "my own secret 42")
    assert login(db, "nina", "my own secret 42").user_id == nurse_account.id


def test_disabled_user_cannot_log_in(db, nurse_account, operator):
    disable_user(operator, "nina")
    with pytest.raises(AuthenticationFailed):
        login(db, "nina", PASSWORD)
    assert [u.active for u in list_users(operator)] == [False]


def test_lock_screen_checks_the_same_users_password(db, nurse_account):
    actor = login(db, "nina", PASSWORD)
    verify_password(actor, PASSWORD)
    with pytest.raises(AuthenticationFailed):
        verify_password(actor, "someone else's")
    assert len(_events(db, "unlock_failed")) == 1


def test_password_rules(operator):
    with pytest.raises(ValidationError, match="at least 10"):
        create_user(operator, username="x1", full_name="X", role="nurse", password="short")


def test_user_validation(operator):
    with pytest.raises(ValidationError) as exc:
        create_user(
            operator,
            username="Bad Name",
            full_name=" ",
            role="surgeon",
            password=PASSWORD,
            npi="1234567890",
            dea_number="AB1234567",
        )
    assert set(exc.value.field_errors) == {"username", "full_name", "role", "npi", "dea_number"}


def test_username_taken(operator, nurse_account):
    with pytest.raises(ValidationError, match="taken"):
        create_user(operator, username="nina", full_name="N2", role="nurse", password=PASSWORD)


def test_only_admins_manage_users(db, nurse_account):
    actor = login(db, "nina", PASSWORD)
    with pytest.raises(PermissionDenied):
        create_user(actor, username="x2", full_name="X", role="admin", password=PASSWORD)


@pytest.mark.parametrize(
    ("npi", "ok"), [("1234567893", True), ("1234567890", False), ("123456789", False)]
)
def test_npi_check_digit(npi, ok):
    assert npi_is_valid(npi) is ok


@pytest.mark.parametrize(
    ("dea", "ok"), [("AB1234563", True), ("AB1234564", False), ("A11234563", False)]
)
def test_dea_check_digit(dea, ok):
    assert dea_is_valid(dea) is ok
