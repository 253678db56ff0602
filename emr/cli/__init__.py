"""`emr-admin`: the command line. Each area's subcommands live in their own module here.

Area modules import services inside their handlers, so that `emr-admin --help` starts fast.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from emr import __version__
from emr.errors import UserError

# Each module defines `register(subparsers)`; its commands set `func(args) -> int | None`.
AREAS = [
    "emr.cli.setup",
    "emr.cli.patients",
    "emr.cli.demo",
    "emr.cli.bench",
    "emr.cli.users",
    "emr.cli.audit",
    "emr.cli.keys",
    "emr.cli.backup",
    "emr.cli.printing",
    "emr.cli.referrals",
    "emr.cli.drugs",
    "emr.cli.prescriptions",
    "emr.cli.hl7",
    "emr.cli.fhir",
    "emr.cli.phr",
]

EXIT_OK = 0
EXIT_BUG = 1
EXIT_USER_ERROR = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse's own usage errors: one line, exit 2
        self.exit(EXIT_USER_ERROR, f"{self.prog}: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="emr-admin",
        description="Administer the small-practice EMR: database, users, patients, backups.",
    )
    parser.add_argument("--version", action="version", version=f"emr-admin {__version__}")
    parser.add_argument(
        "--user",
        help="act as this user (default: $EMR_USER); the password comes from $EMR_PASSWORD "
        "or is asked at the terminal",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for name in AREAS:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        from emr.config import load_settings
        from emr.logs import configure_logging

        configure_logging(load_settings().log_dir)
        result = args.func(args)
        return EXIT_OK if result is None else int(result)
    except UserError as exc:
        print(f"emr-admin: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("emr-admin: interrupted", file=sys.stderr)
        return 130
    except Exception:
        logging.getLogger("emr.cli").exception("emr-admin %s failed", args.command)
        print(
            "emr-admin: an unexpected error happened; details are in the log file "
            "(emr.log in the data folder).",
            file=sys.stderr,
        )
        return EXIT_BUG


if __name__ == "__main__":
    sys.exit(main())
