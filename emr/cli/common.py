"""What the command modules share: opening the database, acting as a user, printing."""

from __future__ import annotations

import getpass
import json
import os
import sys
from typing import TYPE_CHECKING, Any

from emr.errors import AuthenticationFailed, ValidationError

if TYPE_CHECKING:
    from emr.db import Database
    from emr.services.context import Actor


def open_db(*, create: bool = False, encrypted: bool | None = None) -> Database:
    from emr.config import load_settings
    from emr.db import open_database

    return open_database(load_settings(), create=create, encrypted=encrypted)


def operator(db: Database) -> Actor:
    """Machine-level commands act as the operator: they need the key, not a user account."""
    from emr.services.context import Actor

    return Actor.operator(db, f"operator@{os.environ.get('COMPUTERNAME') or os.uname().nodename}")


def read_secret(prompt: str, *, env_var: str | None = "EMR_PASSWORD", stdin: bool = False) -> str:
    """A password from stdin (when asked for), else the environment, else the terminal."""
    if stdin:
        value = sys.stdin.readline().rstrip("\r\n")
    elif env_var and os.environ.get(env_var):
        value = os.environ[env_var]
    elif sys.stdin.isatty():
        value = getpass.getpass(prompt)
    else:
        raise ValidationError(
            f"No password given: set {env_var} or pass it on standard input."
            if env_var
            else "No password given on standard input."
        )
    return value


def acting_user(args: Any, db: Database) -> Actor:
    """Log in as --user / $EMR_USER, checked and audited like a login in the app."""
    from emr.services.auth import login

    username = getattr(args, "user", None) or os.environ.get("EMR_USER")
    if not username:
        raise AuthenticationFailed(
            "This command acts on patient data: give --user or set EMR_USER (and EMR_PASSWORD)."
        )
    password = read_secret(f"Password for {username}: ")
    return login(db, username, password, workstation="emr-admin")


def print_json(value: Any) -> None:
    json.dump(value, sys.stdout, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write("\n")


def print_table(rows: list[dict[str, Any]], columns: list[str]) -> None:
    if not rows:
        print("(none)")
        return
    widths = {c: max(len(c), *(len(str(r.get(c, ""))) for r in rows)) for c in columns}
    print("  ".join(c.upper().ljust(widths[c]) for c in columns))
    for r in rows:
        print("  ".join(str(r.get(c, "")).ljust(widths[c]) for c in columns))
