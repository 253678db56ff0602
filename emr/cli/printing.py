"""`emr-admin print …`: the practice's documents as PDF files, from a terminal or a script:
the day sheet, a prescription, a referral letter and a visit summary.

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

    rx = psub.add_parser("prescription", help="a signed prescription (a reprint says COPY)")
    rx.add_argument("id", type=int, help="the prescription's id (emr-admin prescription list)")
    rx.add_argument("--out", required=True, type=Path, help="the PDF file to write")
    rx.set_defaults(func=cmd_prescription)

    letter = psub.add_parser("referral", help="a referral letter, on the letterhead")
    letter.add_argument("id", type=int, help="the referral's id (emr-admin referral list)")
    letter.add_argument("--out", required=True, type=Path, help="the PDF file to write")
    letter.set_defaults(func=cmd_referral)

    summary = psub.add_parser("visit-summary", help="the patient's summary of one visit")
    summary.add_argument("encounter_id", type=int, help="the encounter's id")
    summary.add_argument("--out", required=True, type=Path, help="the PDF file to write")
    summary.set_defaults(func=cmd_visit_summary)


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


def _print_one(args: argparse.Namespace, make, what: str) -> int:
    """Log in, make the document with `make(actor, out)` and say where it went."""
    out = _writable(args.out)
    db = open_db()
    try:
        actor = acting_user(args, db)
        pdf = make(actor, out)
    finally:
        db.dispose()
    print(f"{out}: {what}, {len(pdf):,} bytes")
    return 0


def cmd_prescription(args: argparse.Namespace) -> int:
    from emr.printing.prescription import prescription_pdf

    return _print_one(
        args,
        lambda actor, out: prescription_pdf(actor, [args.id], out=out),
        f"prescription {args.id}",
    )


def cmd_referral(args: argparse.Namespace) -> int:
    from emr.printing.referral import referral_pdf

    return _print_one(
        args, lambda actor, out: referral_pdf(actor, args.id, out=out), f"referral {args.id}"
    )


def cmd_visit_summary(args: argparse.Namespace) -> int:
    from emr.printing.visit_summary import visit_summary_pdf

    return _print_one(
        args,
        lambda actor, out: visit_summary_pdf(actor, args.encounter_id, out=out),
        f"visit summary of encounter {args.encounter_id}",
    )
