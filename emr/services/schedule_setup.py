"""What the schedule is built on: the providers, their working hours and the appointment types.

Reading them needs schedule access; changing them is an administrator's work (settings.manage).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time

from sqlalchemy import delete, or_, select, true
from sqlalchemy.orm import Session

from emr.errors import ConflictError, NotFound, ValidationError
from emr.models.scheduling import AppointmentType, WorkingHours
from emr.models.users import User
from emr.schedule_rules import MAX_APPOINTMENT_MINUTES, WEEKDAYS, Stretch, stretches_problem
from emr.security import audit
from emr.security.permissions import Permission, Role
from emr.services.context import Actor

_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


@dataclass(frozen=True)
class ProviderRecord:
    id: int
    username: str
    full_name: str


@dataclass(frozen=True)
class AppointmentTypeRecord:
    id: int
    version: int
    name: str
    default_minutes: int
    colour: str
    provider_id: int | None  # None: every provider offers it
    active: bool


def _type_record(t: AppointmentType) -> AppointmentTypeRecord:
    return AppointmentTypeRecord(
        t.id, t.version, t.name, t.default_minutes, t.colour, t.provider_id, t.active
    )


def provider_rows(s: Session) -> list[ProviderRecord]:
    rows = s.execute(
        select(User.id, User.username, User.full_name)
        .where(User.role == Role.PHYSICIAN.value, User.active == true())
        .order_by(User.full_name, User.id)
    )
    return [ProviderRecord(*r) for r in rows]


def list_providers(actor: Actor) -> list[ProviderRecord]:
    """The physicians who see patients, by name."""
    actor.require(Permission.SCHEDULE_READ)
    with actor.read() as s:
        return provider_rows(s)


def load_provider(s: Session, provider_id: int) -> User:
    user = s.get(User, provider_id)
    if user is None or user.role != Role.PHYSICIAN.value:
        raise NotFound(f"There is no provider with id {provider_id}.")
    return user


def hours_of(s: Session, provider_id: int) -> list[Stretch]:
    rows = s.execute(
        select(WorkingHours.weekday, WorkingHours.starts, WorkingHours.ends)
        .where(WorkingHours.provider_id == provider_id)
        .order_by(WorkingHours.weekday, WorkingHours.starts)
    )
    return [Stretch(*r) for r in rows]


def get_working_hours(actor: Actor, provider_id: int) -> list[Stretch]:
    actor.require(Permission.SCHEDULE_READ)
    with actor.read() as s:
        load_provider(s, provider_id)
        return hours_of(s, provider_id)


def set_working_hours(actor: Actor, provider_id: int, hours: list[Stretch]) -> list[Stretch]:
    """Replace a provider's working hours with `hours` (a week's stretches)."""
    actor.require(Permission.SETTINGS_MANAGE)
    if problem := stretches_problem(hours):
        raise ValidationError({"hours": problem})
    with actor.write() as s:
        provider = load_provider(s, provider_id)
        s.execute(delete(WorkingHours).where(WorkingHours.provider_id == provider_id))
        for h in hours:
            s.add(
                WorkingHours(
                    provider_id=provider_id, weekday=h.weekday, starts=h.starts, ends=h.ends
                )
            )
        s.flush()
        described = "; ".join(
            f"{WEEKDAYS[h.weekday][:3]} {h.starts:%H:%M}-{h.ends:%H:%M}"
            for h in sorted(hours, key=lambda h: (h.weekday, h.starts))
        )
        audit.record(
            s,
            user_id=actor.user_id,
            username=actor.username,
            action="update",
            entity="working_hours",
            entity_id=provider.id,
            detail=f"{provider.username}: {described or 'no hours'}"[:500],
        )
        return hours_of(s, provider_id)


def list_appointment_types(
    actor: Actor, provider_id: int | None = None, *, include_inactive: bool = False
) -> list[AppointmentTypeRecord]:
    """The types a provider offers (their own and the practice-wide ones), or all of them."""
    actor.require(Permission.SCHEDULE_READ)
    stmt = select(AppointmentType).order_by(AppointmentType.name, AppointmentType.id)
    if provider_id is not None:
        stmt = stmt.where(
            or_(AppointmentType.provider_id.is_(None), AppointmentType.provider_id == provider_id)
        )
    if not include_inactive:
        stmt = stmt.where(AppointmentType.active == true())
    with actor.read() as s:
        return [_type_record(t) for t in s.execute(stmt).scalars()]


def validate_type(name: str, default_minutes: int, colour: str) -> None:
    errors: dict[str, str] = {}
    if not name.strip():
        errors["name"] = "The type needs a name."
    elif len(name.strip()) > 60:
        errors["name"] = "The name is longer than 60 characters."
    if not 5 <= default_minutes <= MAX_APPOINTMENT_MINUTES:
        errors["default_minutes"] = f"The length must be 5 to {MAX_APPOINTMENT_MINUTES} minutes."
    if not _COLOUR.match(colour):
        errors["colour"] = "The colour must look like #4a90d9."
    if errors:
        raise ValidationError(errors)


def save_appointment_type(
    actor: Actor,
    *,
    name: str,
    default_minutes: int,
    colour: str,
    provider_id: int | None = None,
    active: bool = True,
    type_id: int | None = None,
    expected_version: int | None = None,
) -> AppointmentTypeRecord:
    """Create a type (type_id None) or change one; a type in use is retired, never deleted."""
    actor.require(Permission.SETTINGS_MANAGE)
    validate_type(name, default_minutes, colour)
    with actor.write() as s:
        if provider_id is not None:
            load_provider(s, provider_id)
        if type_id is None:
            kind = AppointmentType()
            s.add(kind)
            action = "create"
        else:
            found = s.get(AppointmentType, type_id)
            if found is None:
                raise NotFound(f"There is no appointment type with id {type_id}.")
            if expected_version is not None and found.version != expected_version:
                raise ConflictError(
                    f"The type '{found.name}' was changed by someone else; reload it."
                )
            kind, action = found, "update"
        kind.name = name.strip()
        kind.default_minutes = default_minutes
        kind.colour = colour.lower()
        kind.provider_id = provider_id
        kind.active = active
        s.flush()
        audit.record(
            s,
            user_id=actor.user_id,
            username=actor.username,
            action=action,
            entity="appointment_type",
            entity_id=kind.id,
            detail=f"{kind.name}, {default_minutes} min{'' if active else ', retired'}",
        )
        return _type_record(kind)


def time_of(text: str) -> time:
    """'8:30' or '08:30' as a time; ValidationError otherwise."""
    try:
        hours, minutes = text.strip().split(":")
        return time(int(hours), int(minutes))
    except ValueError:
        raise ValidationError({"time": f"'{text}' is not a time like 08:30."}) from None
