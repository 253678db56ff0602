"""`emr-admin patient add | find | show`: the front desk's patient work from a terminal.

These commands act as a user (--user / $EMR_USER), checked and audited like the app.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from emr.cli.common import acting_user, open_db, print_json, print_table

if TYPE_CHECKING:
    from emr.services.patients import PatientRecord, PatientSummary


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("patient", help="register, find and show patients (acts as a user)")
    psub = p.add_subparsers(dest="patient_command", metavar="ACTION", required=True)

    add = psub.add_parser("add", help="register a patient and print the new MRN")
    add.add_argument("--family", required=True, help="family name")
    add.add_argument("--given", required=True, help="given name")
    add.add_argument("--middle", default="", help="middle name")
    add.add_argument(
        "--dob", required=True, help="date of birth: YYYY-MM-DD, MM/DD/YYYY, D.M.YYYY or YYYYMMDD"
    )
    add.add_argument(
        "--sex", required=True, type=str.upper, choices=["F", "M", "O", "U"], help="F, M, O or U"
    )
    add.add_argument("--phone", default="", help="mobile phone")
    add.add_argument("--email", default="")
    add.add_argument(
        "--allow-duplicate",
        action="store_true",
        help="register even if a patient with this name and date of birth exists",
    )
    add.add_argument("--json", action="store_true", help="print the new record as JSON")
    add.set_defaults(func=cmd_add)

    find = psub.add_parser(
        "find", help="search by name (any order, prefixes), date of birth, MRN or phone digits"
    )
    find.add_argument("query")
    find.add_argument("--limit", type=_limit, default=50)
    find.add_argument("--include-inactive", action="store_true")
    find.add_argument("--json", action="store_true")
    find.set_defaults(func=cmd_find)

    show = psub.add_parser("show", help="show one patient's registration")
    show.add_argument("mrn")
    show.add_argument("--json", action="store_true")
    show.set_defaults(func=cmd_show)


def _limit(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if not 1 <= value <= 500:
        raise argparse.ArgumentTypeError("must be between 1 and 500")
    return value


def cmd_add(args: argparse.Namespace) -> int:
    from emr.errors import ValidationError
    from emr.normalize import parse_date
    from emr.services.patients import PatientInput, register_patient

    try:
        dob = parse_date(args.dob)
    except ValueError as exc:
        raise ValidationError({"date_of_birth": str(exc)}) from None
    data = PatientInput(
        family_name=args.family,
        given_name=args.given,
        middle_name=args.middle,
        date_of_birth=dob,
        sex=args.sex,
        phone_mobile=args.phone,
        email=args.email,
    )
    db = open_db()
    try:
        actor = acting_user(args, db)
        record = register_patient(actor, data, allow_duplicate=args.allow_duplicate)
    finally:
        db.dispose()
    if args.json:
        print_json(record_dict(record))
    else:
        print(record.mrn)
    return 0


def cmd_find(args: argparse.Namespace) -> int:
    from emr.services.patients import search_patients

    db = open_db()
    try:
        actor = acting_user(args, db)
        found = search_patients(
            actor, args.query, limit=args.limit, include_inactive=args.include_inactive
        )
    finally:
        db.dispose()
    rows = [summary_dict(p) for p in found]
    if args.json:
        print_json(rows)
    else:
        print_table(rows, ["mrn", "family", "given", "middle", "dob", "sex", "phone"])
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from emr.services.patients import get_patient_by_mrn

    db = open_db()
    try:
        actor = acting_user(args, db)
        record = get_patient_by_mrn(actor, args.mrn)
    finally:
        db.dispose()
    data = record_dict(record)
    if args.json:
        print_json(data)
    else:
        width = max(map(len, data))
        for key, value in data.items():
            if value not in ("", None):
                print(f"{key:<{width}}  {value}")
    return 0


def summary_dict(p: PatientSummary) -> dict[str, Any]:
    return {
        "mrn": p.mrn,
        "family": p.family_name,
        "given": p.given_name,
        "middle": p.middle_name,
        "dob": p.date_of_birth.isoformat(),
        "sex": p.sex,
        "phone": p.phone,
        "active": p.active,
    }


def record_dict(r: PatientRecord) -> dict[str, Any]:
    from dataclasses import asdict

    data = asdict(r)
    data["family"] = data.pop("family_name")
    data["given"] = data.pop("given_name")
    data["middle"] = data.pop("middle_name")
    data["dob"] = data.pop("date_of_birth").isoformat()
    data["phone"] = r.phone
    for key in ("created_at", "updated_at", "deceased_date"):
        if data[key] is not None:
            data[key] = data[key].isoformat()
    first = ["mrn", "family", "given", "middle", "dob", "sex", "phone"]
    return {key: data[key] for key in first} | {k: v for k, v in data.items() if k not in first}
