"""`emr-admin fhir export --patient MRN --out FILE`: the patient's record as a FHIR R4
collection Bundle (JSON), as "Export for patient…" in the chart writes it. It acts as a user
(--user / $EMR_USER); the export is audited."""

from __future__ import annotations

import argparse
from pathlib import Path

from emr.cli.common import acting_user, open_db


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("fhir", help="FHIR R4: export a patient's record (acts as a user)")
    fsub = p.add_subparsers(dest="fhir_command", metavar="ACTION", required=True)
    export = fsub.add_parser(
        "export",
        help="write a patient's record as a FHIR R4 Bundle",
        description="Writes the patient's record (demographics, problems, allergies, "
        "medications, vital signs and results, immunizations, signed notes, documents, "
        "referrals) as one FHIR R4 collection Bundle in JSON. Records entered in error and "
        "drafts are left out.",
    )
    export.add_argument("--patient", required=True, metavar="MRN", help="the patient's MRN")
    export.add_argument("--out", required=True, type=Path, metavar="FILE", help="the JSON file")
    export.set_defaults(func=cmd_export)


def cmd_export(args: argparse.Namespace) -> int:
    import json

    from emr.errors import ValidationError
    from emr.interop.fhir.bundle import export_patient
    from emr.printing import write_atomically
    from emr.services.patients import get_patient_by_mrn

    out: Path = args.out
    if out.is_dir():
        raise ValidationError({"out": f"{out} is a folder: give the name of the file to write."})
    if not out.parent.is_dir():
        raise ValidationError({"out": f"There is no folder {out.parent}."})
    db = open_db()
    try:
        actor = acting_user(args, db)
        patient = get_patient_by_mrn(actor, args.patient)
        bundle = export_patient(actor, patient.id)
    finally:
        db.dispose()
    write_atomically(out, json.dumps(bundle, ensure_ascii=False, indent=2).encode("utf-8"))
    print(f"{out}: {len(bundle['entry'])} resources")
    return 0
