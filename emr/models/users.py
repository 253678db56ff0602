"""People who log in: physicians, nurses, front desk, administrators."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from emr.models.base import Base, Tracked


class User(Tracked, Base):
    __tablename__ = "users"

    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))  # emr.security.permissions.Role
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    npi: Mapped[str | None] = mapped_column(String(10))
    dea_number: Mapped[str | None] = mapped_column(String(9))
    state_licence: Mapped[str | None] = mapped_column(String(40))
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    password_changed_at: Mapped[datetime | None]
    must_change_password: Mapped[bool] = mapped_column(default=False)
