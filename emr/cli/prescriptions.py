"""`emr-admin prescription list --patient MRN [--json]`: a patient's prescriptions and their ids
(for `emr-admin print prescription ID`).

It acts as a user (--user / $EMR_USER), checked and audited like the app.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from emr.cli.common import acting_user, open_db, print_json, print_table

if TYPE_CHECKING:
    from emr.services.prescriptions import PrescriptionRecord


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("prescription", help="a patient's prescriptions (acts as a user)")
    psub = p.add_subparsers(dest="prescription_command", metavar="ACTION", required=True)

    listing = psub.add_parser(
        "list", help="a patient's prescriptions: drafts first, then the newest signed"
    )
    listing.add_argument("--patient", required=True, metavar="MRN", help="the patient's MRN")
    listing.add_argument(
        "--include-errors", action="store_true", help="also drafts entered in error"
    )
    listing.add_argument("--json", action="store_true", help="print the list as JSON")
    listing.set_defaults(func=cmd_list)


def cmd_list(args: argparse.Namespace) -> int:
    from emr.services.patients import get_patient_by_mrn
    from emr.services.prescriptions import list_prescriptions

    db = open_db()
    try:
        actor = acting_user(args, db)
        patient = get_patient_by_mrn(actor, args.patient)
        found = list_prescriptions(actor, patient.id, include_errors=args.include_errors)
    finally:
        db.dispose()
    rows = [prescription_dict(p) for p in found]
    if args.json:
        print_json(rows)
    else:
        print_table(
            [r | {"quantity": r["quantity_text"]} for r in rows],
            ["id", "status", "date", "drug", "sig", "quantity", "refills"],
        )
    return 0


def prescription_dict(p: PrescriptionRecord) -> dict[str, Any]:
    return {
        "id": p.id,
        "status": "entered_in_error" if p.entered_in_error else p.status,
        "date": p.day.isoformat(),
        "drug": p.drug_display,
        "drug_name": p.drug_name,
        "rxnorm": p.rxnorm,
        "sig": p.sig,
        "quantity": p.quantity,
        "quantity_unit": p.quantity_unit,
        "quantity_text": p.quantity_text,
        "refills": p.refills,
        "dispense_as_written": p.dispense_as_written,
        "schedule": p.schedule,
        "diagnosis_code": p.diagnosis_code,
        "prescriber": p.prescriber_name,
        "signed_at": p.signed_at.isoformat(timespec="seconds") if p.signed_at else None,
        "discontinue_reason": p.discontinue_reason,
        "renewed_from_id": p.renewed_from_id,
        "times_printed": p.times_printed,
    }
