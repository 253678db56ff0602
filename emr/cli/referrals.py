"""`emr-admin referral list`: a patient's referrals (their ids for `emr-admin print referral`).

It acts as a user (--user / $EMR_USER), checked and audited like the app.
"""

from __future__ import annotations

import argparse

from emr.cli.common import acting_user, open_db, print_json, print_table


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("referral", help="referrals to other providers (acts as a user)")
    rsub = p.add_subparsers(dest="referral_command", metavar="ACTION", required=True)
    listing = rsub.add_parser("list", help="a patient's referrals, newest first")
    listing.add_argument("--patient", required=True, metavar="MRN", help="the patient's MRN")
    listing.add_argument("--json", action="store_true", help="print JSON instead of a table")
    listing.add_argument(
        "--include-errors", action="store_true", help="also those marked entered in error"
    )
    listing.set_defaults(func=cmd_list)


def cmd_list(args: argparse.Namespace) -> int:
    from emr.services.patients import get_patient_by_mrn
    from emr.services.referrals import list_referrals

    db = open_db()
    try:
        actor = acting_user(args, db)
        patient = get_patient_by_mrn(actor, args.patient)
        referrals = list_referrals(actor, patient.id, include_errors=args.include_errors)
    finally:
        db.dispose()
    rows = [
        {
            "id": r.id,
            "created": f"{r.created_at:%Y-%m-%d}",
            "status": r.status,
            "status_date": r.status_date.isoformat() if r.status_date else "",
            "urgency": r.urgency,
            "to": r.to_name,
            "specialty": r.to_specialty,
            "organization": r.to_organization,
            "reason": r.reason,
            "diagnoses": list(r.diagnosis_codes),
            "referring_provider": r.referring_provider_name,
            "entered_in_error": r.entered_in_error,
        }
        for r in referrals
    ]
    if args.json:
        print_json(rows)
    else:
        print_table(
            [r | {"diagnoses": ",".join(r["diagnoses"])} for r in rows],
            ["id", "created", "status", "status_date", "urgency", "to", "specialty", "diagnoses"],
        )
    return 0
