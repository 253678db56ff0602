"""The practice's profile (name, address, phone, fax, NPI, logo) that printing uses, and the
settings an administrator keeps in the database for every workstation (idle lock, backups)."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from pathlib import Path

from emr.errors import ConflictError, ValidationError
from emr.models.practice import PracticeProfile
from emr.normalize import phone_problem
from emr.security import audit
from emr.security.permissions import Permission
from emr.services.context import Actor
from emr.services.users import npi_is_valid

LOGO_MAX_BYTES = 1_000_000
_LOGO_SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")  # PNG, JPEG
SLOT_MINUTES = (5, 10, 15)


@dataclass(frozen=True)
class PracticeInput:
    name: str = ""
    address_line1: str = ""
    address_line2: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    phone: str = ""
    fax: str = ""
    npi: str = ""
    logo_png: bytes | None = None  # PNG or JPEG bytes, despite the name
    idle_lock_minutes: int | None = None  # None: this machine's setting
    backup_dir: str | None = None  # None: this machine's setting
    slot_minutes: int = 15
    hl7_application: str = "SMALLPRACTICE-EMR"  # MSH-3 of the messages sent out
    hl7_facility: str = ""  # MSH-4; "" = the practice's NPI


@dataclass(frozen=True)
class PracticeRecord(PracticeInput):
    version: int = 0

    def to_input(self) -> PracticeInput:
        return PracticeInput(**{f.name: getattr(self, f.name) for f in fields(PracticeInput)})

    @property
    def address_lines(self) -> list[str]:
        town = " ".join(
            p for p in (f"{self.city}," if self.city else "", self.state, self.postal_code) if p
        ).strip(", ")
        return [line for line in (self.address_line1, self.address_line2, town) if line]


_INPUT_FIELDS = tuple(f.name for f in fields(PracticeInput))


def _record(p: PracticeProfile | None) -> PracticeRecord:
    if p is None:
        return PracticeRecord()
    return PracticeRecord(version=p.version, **{n: getattr(p, n) for n in _INPUT_FIELDS})


def validate_practice(data: PracticeInput) -> PracticeInput:
    data = replace(
        data,
        **{
            f.name: getattr(data, f.name).strip()
            for f in fields(data)
            if isinstance(getattr(data, f.name), str)
        },
    )
    errors: dict[str, str] = {}
    if len(data.name) > 200:
        errors["name"] = "The practice's name is longer than 200 characters."
    for name in ("phone", "fax"):
        if problem := phone_problem(getattr(data, name)):
            errors[name] = f"Not a phone number: {problem}."
    if data.npi and not npi_is_valid(data.npi):
        errors["npi"] = "An NPI is 10 digits with a valid check digit."
    if data.logo_png is not None:
        if len(data.logo_png) > LOGO_MAX_BYTES:
            errors["logo_png"] = "The logo is larger than 1 MB; use a smaller image."
        elif not data.logo_png.startswith(_LOGO_SIGNATURES):
            errors["logo_png"] = "The logo must be a PNG or JPEG image."
    if data.idle_lock_minutes is not None and not 1 <= data.idle_lock_minutes <= 240:
        errors["idle_lock_minutes"] = "Lock after 1 to 240 idle minutes."
    if data.backup_dir is not None:
        if not data.backup_dir:
            data = replace(data, backup_dir=None)
        elif not Path(data.backup_dir).expanduser().is_absolute():
            errors["backup_dir"] = "Give the backup folder as a full path (e.g. D:\\EMR backups)."
    if not data.hl7_application:
        errors["hl7_application"] = "The sending application's name is needed for HL7."
    if "|" in data.hl7_application + data.hl7_facility or "^" in (
        data.hl7_application + data.hl7_facility
    ):
        errors[
            "hl7_facility"
            if "|" in data.hl7_facility or "^" in data.hl7_facility
            else "hl7_application"
        ] = "HL7 names cannot contain | or ^."
    if data.slot_minutes not in SLOT_MINUTES:
        errors["slot_minutes"] = "The schedule's grid is 5, 10 or 15 minutes."
    for name in _INPUT_FIELDS:
        value = getattr(data, name)
        column = PracticeProfile.__table__.columns[name]
        limit = getattr(column.type, "length", None)
        if isinstance(value, str) and limit and len(value) > limit and name not in errors:
            errors[name] = f"Longer than {limit} characters."
    if errors:
        raise ValidationError(errors)
    return data


def get_practice(actor: Actor) -> PracticeRecord:
    """The practice's profile; empty (version 0) until an administrator fills it in."""
    with actor.read() as s:
        return _record(s.get(PracticeProfile, 1))


def update_practice(actor: Actor, expected_version: int, data: PracticeInput) -> PracticeRecord:
    """Save the profile; ConflictError if someone saved it since `expected_version`."""
    actor.require(Permission.SETTINGS_MANAGE)
    data = validate_practice(data)
    with actor.write() as s:
        profile = s.get(PracticeProfile, 1)
        current = _record(profile)
        if current.version != expected_version:
            raise ConflictError(
                "The practice's settings were changed by someone else since you opened them. "
                "Nothing was saved: open them again."
            )
        if profile is None:
            profile = PracticeProfile(id=1)
            s.add(profile)
        changed = [n for n in _INPUT_FIELDS if getattr(current, n) != getattr(data, n)]
        for name in _INPUT_FIELDS:  # a PracticeRecord given as input must not set the version
            setattr(profile, name, getattr(data, name))
        s.flush()
        audit.record(
            s,
            user_id=actor.user_id,
            username=actor.username,
            action="update",
            entity="practice",
            entity_id=1,
            detail="changed: " + (", ".join(changed) or "nothing"),
        )
        return _record(profile)


def idle_lock_minutes(actor: Actor) -> int:
    """Minutes of inactivity before the app locks: the practice's setting, else the machine's."""
    return get_practice(actor).idle_lock_minutes or actor.db.settings.idle_lock_minutes


def backup_dir(actor: Actor) -> Path:
    """Where automatic backups go: the practice's folder, else the machine's."""
    folder = get_practice(actor).backup_dir
    return Path(folder).expanduser() if folder else actor.db.settings.backup_dir
