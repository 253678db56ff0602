"""`make run` prepares the demo folder with this: `python -m emr.demo_setup`.

With EMR_HOME and EMR_DB_KEY set, it creates the encrypted database if there is none, adds the
demo users and 200 synthetic patients if they are missing, and prints how to log in. Running it
again changes nothing and prints the same logins.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from emr.config import Settings, load_settings
from emr.db import Database, open_database
from emr.demo.scheduling import DEMO_PASSWORD as DEMO_PHYSICIAN_PASSWORD
from emr.errors import ConfigurationError, UserError

DEMO_PATIENTS = 200
DEMO_SEED = 1


@dataclass(frozen=True)
class DemoUser:
    username: str
    full_name: str
    role: str
    password: str
    npi: str | None = None
    dea_number: str | None = None
    state_licence: str | None = None


# Fixed, published passwords: the demo folder holds synthetic data only.
DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("admin", "Practice Administrator", "admin", "demo-admin-2026"),
    DemoUser(
        "drsmith",
        "Dr. Alice Smith",
        "physician",
        "demo-doctor-2026",
        npi="1234567893",
        dea_number="AS1234563",
        state_licence="MD-0012345",
    ),
    DemoUser("nurse", "Nora Jensen, RN", "nurse", "demo-nurse-2026"),
    DemoUser("frontdesk", "Frank Delgado", "front_desk", "demo-desk-2026"),
)


def open_or_create(settings: Settings) -> Database:
    if not settings.is_sqlite:
        return open_database(settings, create=True)
    assert settings.database_path is not None
    if settings.database_path.exists():
        return open_database(settings)
    if not settings.db_key_hex:
        raise ConfigurationError("Set EMR_DB_KEY: the demo database is encrypted with it.")
    return open_database(settings, create=True, encrypted=True, key_hex=settings.db_key_hex)


def ensure_users(db: Database) -> list[str]:
    """Create the demo users that do not exist yet; returns the names created."""
    from sqlalchemy import select

    from emr.models import User
    from emr.services.context import Actor
    from emr.services.users import create_user

    with db.read() as s:
        existing = set(s.execute(select(User.username)).scalars())
    operator = Actor.operator(db, "demo-setup")
    created = []
    for user in DEMO_USERS:
        if user.username in existing:
            continue
        create_user(
            operator,
            username=user.username,
            full_name=user.full_name,
            role=user.role,
            password=user.password,
            npi=user.npi,
            dea_number=user.dea_number,
            state_licence=user.state_licence,
        )
        created.append(user.username)
    return created


def ensure_patients(db: Database) -> int:
    """Generate the demo patients if the database has none; returns how many were made."""
    from sqlalchemy import func, select

    from emr import demo
    from emr.models import Patient

    with db.read() as s:
        if s.execute(select(func.count(Patient.id))).scalar():
            return 0
    return demo.generate(db, patients=DEMO_PATIENTS, seed=DEMO_SEED).get("patients", 0)


DEMO_PRACTICE = {
    "name": "Maple Street Family Medicine",
    "address_line1": "120 Maple Street, Suite 2",
    "city": "Springfield",
    "state": "OR",
    "postal_code": "97477",
    "phone": "(541) 555-0142",
    "fax": "(541) 555-0143",
    "npi": "1245319599",
}


def ensure_practice(db: Database) -> bool:
    """Fill the practice's profile (printed on letterheads) if nobody has yet."""
    from emr.services.context import Actor
    from emr.services.practice import PracticeInput, get_practice, update_practice

    operator = Actor.operator(db, "demo-setup")
    current = get_practice(operator)
    if current.version:
        return False
    update_practice(operator, 0, PracticeInput(**DEMO_PRACTICE))
    return True


def other_physicians(db: Database) -> list[tuple[str, str]]:
    """The physicians the demo generator added beside the fixed demo users."""
    from emr.services.context import Actor
    from emr.services.schedule_setup import list_providers

    fixed = {u.username for u in DEMO_USERS}
    return [
        (p.username, p.full_name)
        for p in list_providers(Actor.operator(db, "demo-setup"))
        if p.username not in fixed
    ]


def setup(settings: Settings | None = None) -> dict[str, object]:
    settings = settings or load_settings()
    db = open_or_create(settings)
    try:
        users = ensure_users(db)
        ensure_practice(db)
        patients = ensure_patients(db)
        physicians = other_physicians(db)
    finally:
        db.dispose()
    return {
        "database": str(settings.database_path or "server"),
        "users": users,
        "patients": patients,
        "physicians": physicians,
    }


def main() -> int:
    try:
        done = setup()
    except UserError as exc:
        print(f"demo set-up: {exc}", file=sys.stderr)
        return 2
    print(f"Demo database: {done['database']}")
    if done["users"]:
        print(f"Created users: {', '.join(done['users'])}")  # type: ignore[arg-type]
    if done["patients"]:
        print(f"Generated {done['patients']} synthetic patients.")
    print("Log in with one of these demo accounts:")
    for user in DEMO_USERS:
        print(f"  {user.username:<10} {user.password:<18} {user.full_name} ({user.role})")
    for username, full_name in done["physicians"]:  # type: ignore[attr-defined]
        print(f"  {username:<10} {DEMO_PHYSICIAN_PASSWORD:<18} {full_name} (physician)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
