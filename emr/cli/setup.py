"""`emr-admin init` and `emr-admin db check`: create, migrate and check the database."""

from __future__ import annotations

import argparse

from emr.cli.common import open_db, print_json


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("init", help="create the database (encrypted) and migrate it")
    p.add_argument(
        "--unencrypted",
        action="store_true",
        help="development only: a plain SQLite file (the app shows this in red)",
    )
    p.add_argument("--admin-username", default="admin", help="the first administrator's name")
    p.add_argument(
        "--admin-password-stdin",
        action="store_true",
        help="read the admin password from standard input (else $EMR_PASSWORD, else asked)",
    )
    p.set_defaults(func=cmd_init)

    db = sub.add_parser("db", help="database maintenance")
    dbsub = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    check = dbsub.add_parser("check", help="run integrity checks and report the schema revision")
    check.add_argument("--json", action="store_true")
    check.set_defaults(func=cmd_db_check)


def cmd_init(args: argparse.Namespace) -> int:
    from emr.cli.common import read_secret
    from emr.config import load_settings
    from emr.db import open_database
    from emr.errors import ConfigurationError
    from emr.security.keys import generate_key_hex, store_key
    from emr.security.passwords import check_password_rules

    settings = load_settings()
    # Ask for the admin password first: a bad one must not leave a half-made database behind.
    admin_password = read_secret(
        f"Password for the administrator {args.admin_username!r}: ",
        stdin=args.admin_password_stdin,
    )
    check_password_rules(admin_password)
    if settings.is_sqlite:
        path = settings.database_path
        assert path is not None
        if path.exists():
            raise ConfigurationError(f"A database exists already at {path}; nothing was changed.")
        key_hex = None
        if not args.unencrypted:
            if settings.db_key_hex:
                key_hex = settings.db_key_hex
            else:
                key_hex = generate_key_hex()
                store_key(settings, key_hex)
        db = open_database(settings, create=True, encrypted=not args.unencrypted, key_hex=key_hex)
    else:
        db = open_database(settings, create=True)
    _create_first_admin(db, args.admin_username, admin_password)
    print(f"Database ready at {db.description}; administrator: {args.admin_username}")
    if not db.encrypted:
        print("WARNING: this database is NOT encrypted (development only).")
    db.dispose()
    return 0


def _create_first_admin(db, username: str, password: str) -> None:
    from sqlalchemy import func, select

    from emr.cli.common import operator
    from emr.models.users import User
    from emr.services.users import create_user

    with db.read() as s:
        if s.execute(select(func.count()).select_from(User)).scalar_one():
            return
    create_user(
        operator(db),
        username=username,
        full_name="Administrator",
        role="admin",
        password=password,
    )


def cmd_db_check(args: argparse.Namespace) -> int:
    from emr.services.maintenance import check_database

    db = open_db()
    try:
        report = check_database(db)
    finally:
        db.dispose()
    if args.json:
        print_json(report.as_dict())
    else:
        print(f"database:        {report.location}")
        print(f"encrypted:       {'yes' if report.encrypted else 'NO'}")
        print(f"schema revision: {report.revision} (newest: {report.head})")
        print(f"integrity:       {report.integrity}")
        for table, count in report.counts.items():
            print(f"  {table:<28} {count:>10}")
    return 0 if report.ok else 1
