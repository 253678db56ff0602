"""`emr-admin key export|import`: the database key for disaster recovery (operator)."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    key = sub.add_parser("key", help="export or import the database key (disaster recovery)")
    ksub = key.add_subparsers(dest="key_command", metavar="ACTION", required=True)
    exp = ksub.add_parser(
        "export",
        help="write the key, sealed with a passphrase ($EMR_KEY_PASSPHRASE or asked twice)",
    )
    exp.add_argument("--out", required=True, type=Path)
    exp.set_defaults(func=cmd_export)
    imp = ksub.add_parser(
        "import", help="put the key from an export file into this computer's keyring"
    )
    imp.add_argument("file", type=Path)
    imp.set_defaults(func=cmd_import)


def _passphrase(confirm: bool) -> str:
    import os

    from emr.cli.common import read_secret
    from emr.errors import ValidationError

    first = read_secret("Passphrase for the key file: ", env_var="EMR_KEY_PASSPHRASE")
    asked = not os.environ.get("EMR_KEY_PASSPHRASE")
    if confirm and asked and read_secret("Once more: ", env_var=None) != first:
        raise ValidationError("The two passphrases differ; nothing was written.")
    return first


def cmd_export(args: argparse.Namespace) -> None:
    from emr.config import load_settings
    from emr.db import open_database
    from emr.errors import ValidationError
    from emr.security.keys import export_key, load_key

    settings = load_settings()
    key_hex = load_key(settings)
    open_database(settings, key_hex=key_hex, upgrade=False).dispose()  # the key opens it
    if args.out.exists():
        raise ValidationError(f"{args.out} exists already; choose a new file name.")
    document = export_key(key_hex, _passphrase(confirm=True))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(document, encoding="utf-8")
    print(f"Key written to {args.out}. Keep it, and its passphrase, away from this computer.")


def cmd_import(args: argparse.Namespace) -> None:
    from emr.config import load_settings
    from emr.db import open_database
    from emr.errors import ValidationError
    from emr.security.keys import import_key, store_key

    if not args.file.is_file():
        raise ValidationError(f"There is no file {args.file}.")
    key_hex = import_key(args.file.read_text(encoding="utf-8"), _passphrase(confirm=False))
    settings = load_settings()
    if settings.database_path and settings.database_path.exists():
        open_database(settings, key_hex=key_hex, upgrade=False).dispose()  # wrong key: stop here
    store_key(settings, key_hex)
    print("Key stored in this computer's keyring.")
