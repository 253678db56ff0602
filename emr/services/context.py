"""The acting user every service receives, and the one way a service opens its transaction."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from emr.db import Database
from emr.errors import PermissionDenied
from emr.security.permissions import Permission, Role, permissions_of


@dataclass(frozen=True)
class Actor:
    """Who is acting, and on which database. Made by a login (or `Actor.operator` for the
    machine-level commands of `emr-admin`), never from user input."""

    db: Database = field(repr=False, compare=False)
    user_id: int | None
    username: str
    full_name: str
    role: str  # a Role value, or "operator"

    @property
    def permissions(self) -> frozenset[Permission]:
        if self.role == OPERATOR_ROLE:
            return frozenset(Permission)
        return permissions_of(self.role)

    @property
    def is_operator(self) -> bool:
        return self.role == OPERATOR_ROLE

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    def require(self, permission: Permission) -> None:
        if not self.can(permission):
            raise PermissionDenied(
                f"{self.full_name or self.username} ({self.role.replace('_', ' ')}) "
                f"may not do this ({permission.value})."
            )

    @classmethod
    def operator(cls, db: Database, name: str = "operator") -> Actor:
        """The machine's operator (init, backup, demo …): has the key, is not a user."""
        return cls(db=db, user_id=None, username=name, full_name=name, role=OPERATOR_ROLE)

    @contextmanager
    def write(self) -> Iterator[Session]:
        with self.db.write(self.user_id) as session:
            yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self.db.read() as session:
            yield session


OPERATOR_ROLE = "operator"
ALL_ROLES = [r.value for r in Role]
