"""`emr-admin init`, `emr-admin db check` and `emr-admin db migrate-to`: create, migrate, check
the database, and move a practice from its SQLite file to a PostgreSQL server."""

from __future__ import annotations

import argparse

from emr.cli.common import open_db, operator, print_json


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
    move = dbsub.add_parser(
        "migrate-to",
        help="copy this practice's SQLite database into an empty PostgreSQL database and verify it",
    )
    move.add_argument(
        "url",
        help="the empty target, postgresql+psycopg://USER@HOST/DBNAME (the password from "
        "$PGPASSWORD, or in the URL)",
    )
    move.add_argument("--json", action="store_true")
    move.set_defaults(func=cmd_db_migrate_to)


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


def cmd_db_migrate_to(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    from emr.config import load_settings
    from emr.db import open_database
    from emr.errors import ValidationError
    from emr.services.db_copy import copy_database, record_migration

    try:
        url = make_url(args.url)
    except ArgumentError as exc:
        raise ValidationError(f"{args.url!r} is not a database URL.") from exc
    if url.get_backend_name() != "postgresql":
        raise ValidationError(
            "Give a PostgreSQL URL to copy into: postgresql+psycopg://USER@HOST/DBNAME."
        )
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    shown = url.render_as_string(hide_password=True)
    settings = load_settings()
    source = open_db()
    try:
        target = open_database(
            replace(settings, database_url=url.render_as_string(hide_password=False)),
            upgrade=False,
        )
        try:
            if not args.json:
                print(f"Copying {source.description} into {shown} …")
            report = copy_database(source, target)
            if report.ok:
                record_migration(target, operator(target).username, source.description)
        finally:
            target.dispose()
    finally:
        source.dispose()
    if args.json:
        print_json(
            {
                "ok": report.ok,
                "source": report.source,
                "target": report.target,
                "revision": report.revision,
                "rows": report.rows,
                "audit_events_checked": report.audit_events_checked,
                "tables": {
                    t.table: {"rows": t.target_rows, "sha256": t.target_sha256, "ok": t.ok}
                    for t in report.tables
                },
                "problems": report.problems,
            }
        )
        return 0 if report.ok else 1
    for t in report.tables:
        mark = "ok" if t.ok else "DIFFERS"
        print(f"  {t.table:<28} {t.target_rows:>10}  {t.target_sha256[:12]}  {mark}")
    print(f"audit trail: {report.audit_events_checked} events, chain verified")
    if not report.ok:
        print("THE COPY DID NOT VERIFY:")
        for problem in report.problems:
            print(f"  - {problem}")
        return 1
    print(
        f"Copied and verified {report.rows} rows. Set EMR_DATABASE_URL={shown} on every "
        "workstation (the password in PGPASSWORD or ~/.pgpass), and keep the SQLite file as "
        "it is, as a last copy."
    )
    return 0
