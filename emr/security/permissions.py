"""Who may do what. Defined once here and enforced by the services, not only by the UI."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    PHYSICIAN = "physician"
    NURSE = "nurse"
    FRONT_DESK = "front_desk"


class Permission(StrEnum):
    PATIENT_READ = "patient.read"  # demographics, contact, insurance
    PATIENT_WRITE = "patient.write"
    SCHEDULE_READ = "schedule.read"
    SCHEDULE_WRITE = "schedule.write"
    LETTERS_PRINT = "letters.print"
    CHART_READ = "chart.read"  # notes, problems, medications, results
    CHART_WRITE = "chart.write"  # vitals, immunizations, draft notes
    NOTE_SIGN = "note.sign"
    PRESCRIBE = "prescribe"
    EMERGENCY_ACCESS = "emergency.access"  # break the glass into a chart
    USERS_MANAGE = "users.manage"
    SETTINGS_MANAGE = "settings.manage"
    AUDIT_READ = "audit.read"
    OUTBOX_MANAGE = "outbox.manage"


_FRONT_DESK = {
    Permission.PATIENT_READ,
    Permission.PATIENT_WRITE,
    Permission.SCHEDULE_READ,
    Permission.SCHEDULE_WRITE,
    Permission.LETTERS_PRINT,
}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.FRONT_DESK: frozenset(_FRONT_DESK | {Permission.EMERGENCY_ACCESS}),
    Role.NURSE: frozenset(
        _FRONT_DESK | {Permission.CHART_READ, Permission.CHART_WRITE, Permission.EMERGENCY_ACCESS}
    ),
    Role.PHYSICIAN: frozenset(
        _FRONT_DESK
        | {
            Permission.CHART_READ,
            Permission.CHART_WRITE,
            Permission.NOTE_SIGN,
            Permission.PRESCRIBE,
        }
    ),
    Role.ADMIN: frozenset(
        {
            Permission.PATIENT_READ,
            Permission.SCHEDULE_READ,
            Permission.USERS_MANAGE,
            Permission.SETTINGS_MANAGE,
            Permission.AUDIT_READ,
            Permission.OUTBOX_MANAGE,
        }
    ),
}

ROLE_LABELS: dict[Role, str] = {
    Role.ADMIN: "Administrator",
    Role.PHYSICIAN: "Physician",
    Role.NURSE: "Nurse / medical assistant",
    Role.FRONT_DESK: "Front desk",
}


def permissions_of(role: str) -> frozenset[Permission]:
    return ROLE_PERMISSIONS[Role(role)]
