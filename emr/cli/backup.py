"""`emr-admin backup`, `backup verify` and `restore` (operator commands)."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    backup = sub.add_parser("backup", help="make a verified, encrypted backup, or verify one")
    backup.add_argument("--out", type=Path, help="the new backup file (NAME.db)")
    bsub = backup.add_subparsers(dest="backup_command", metavar="ACTION")
    verify = bsub.add_parser("verify", help="check a backup's integrity, checksum and counts")
    verify.add_argument("file", type=Path)
    verify.set_defaults(func=cmd_verify)
    backup.set_defaults(func=cmd_backup)

    restore = sub.add_parser(
        "restore", help="replace the database with a backup (the app must be closed)"
    )
    restore.add_argument("file", type=Path)
    restore.add_argument(
        "--force", action="store_true", help="replace an existing database (kept aside)"
    )
    restore.set_defaults(func=cmd_restore)


def cmd_backup(args: argparse.Namespace) -> None:
    from emr.cli.common import open_db
    from emr.errors import ValidationError
    from emr.services.backups import create_backup

    if args.out is None:
        raise ValidationError("Give the new backup file with --out FILE.")
    db = open_db()
    try:
        manifest = create_backup(db, args.out)
    finally:
        db.dispose()
    total = sum(manifest.counts.values())
    print(f"Backup written to {args.out} ({total} rows, SHA-256 {manifest.sha256[:16]}…).")


def cmd_verify(args: argparse.Namespace) -> int:
    from emr.config import load_settings
    from emr.services.backups import verify_backup

    check = verify_backup(load_settings(), args.file)
    if check.ok:
        assert check.manifest is not None
        print(
            f"Backup OK: {check.path} (made {check.manifest.created_at}, "
            f"schema {check.manifest.schema_revision})."
        )
        return 0
    print(f"BACKUP NOT OK: {check.path}")
    for problem in check.problems:
        print(f"  - {problem}")
    return 1


def cmd_restore(args: argparse.Namespace) -> None:
    from emr.config import load_settings
    from emr.services.backups import restore_backup

    settings = load_settings()
    kept = restore_backup(settings, args.file, force=args.force)
    print(f"Restored {args.file} to {settings.database_path}.")
    if kept:
        print(f"The database it replaced is kept at {kept}.")
