"""`emr-admin print day-sheet`: the day's appointments as a PDF, from a terminal or a script.

It acts as a user (--user / $EMR_USER), checked and audited like the app.
"""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from emr.cli.common import acting_user, open_db


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("print", help="print documents to PDF files (acts as a user)")
    psub = p.add_subparsers(dest="print_command", metavar="DOCUMENT", required=True)

    sheet = psub.add_parser(
        "day-sheet", help="one day's appointments per provider, on the letterhead"
    )
    sheet.add_argument("--date", required=True, help="the day: YYYY-MM-DD")
    sheet.add_argument(
        "--provider", default="", help="only this provider's username (default: every provider)"
    )
    sheet.add_argument("--out", required=True, type=Path, help="the PDF file to write")
    sheet.set_defaults(func=cmd_day_sheet)


def _day(text: str) -> date:
    from emr.errors import ValidationError

    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValidationError({"date": f"'{text}' is not a date; give it as YYYY-MM-DD."}) from None


def _writable(out: Path) -> Path:
    """Refuse early a file that cannot be written, before the schedule is read."""
    from emr.errors import UserError

    out = out.expanduser()
    if out.is_dir():
        raise UserError(f"Cannot write {out}: it is a folder; give a file name.")
    if not out.parent.is_dir():
        raise UserError(f"Cannot write {out}: the folder {out.parent} does not exist.")
    return out


def cmd_day_sheet(args: argparse.Namespace) -> int:
    from emr.errors import NotFound
    from emr.printing.day_sheet import make_day_sheet
    from emr.services.schedule_setup import list_providers

    day = _day(args.date)
    out = _writable(args.out)
    db = open_db()
    try:
        actor = acting_user(args, db)
        provider_id = None
        if args.provider:
            wanted = args.provider.strip().lower()
            found = [p for p in list_providers(actor) if p.username == wanted]
            if not found:
                raise NotFound(f"There is no provider with the username '{args.provider}'.")
            provider_id = found[0].id
        sheet = make_day_sheet(actor, day, provider_id, out)
    finally:
        db.dispose()
    count = sheet.appointments
    print(f"{out}: {count} appointment{'' if count == 1 else 's'}")
    return 0
