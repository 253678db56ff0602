"""`emr-admin phr import --patient MRN FILE`: measurements the patient kept at home (a FHIR R4
file or a phone health app's CSV) into their vitals, as patient-reported values. It acts as a
user (--user / $EMR_USER); the import is audited and all or nothing."""

from __future__ import annotations

import argparse
from pathlib import Path

from emr.cli.common import acting_user, open_db, print_json

MAP_FIELDS = ("time", "type", "value", "unit", "source")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("phr", help="patient-kept measurements: import (acts as a user)")
    psub = p.add_subparsers(dest="phr_command", metavar="ACTION", required=True)
    imp = psub.add_parser(
        "import",
        help="import a PHR file (FHIR JSON or CSV) into a patient's vitals",
        description="Imports blood pressure, heart rate, weight, glucose, SpO2 and the other "
        "vital signs from a FHIR R4 Bundle or list of Observations, or from a CSV with a "
        "date/time, type, value and unit column. Values are converted to the chart's units; "
        "impossible values and what the chart does not keep are skipped with the reason; "
        "values already in the chart are not imported twice.",
    )
    imp.add_argument("--patient", required=True, metavar="MRN", help="the patient's MRN")
    imp.add_argument("file", type=Path, metavar="FILE")
    imp.add_argument("--kind", choices=("auto", "fhir", "csv"), default="auto")
    imp.add_argument(
        "--map",
        metavar="FIELD=COLUMN,…",
        help="the CSV's columns when their headers do not say: time=…,type=…,value=…,unit=… "
        "(and optionally source=…)",
    )
    imp.add_argument("--source", default="", help="the app or device (default: the file name)")
    imp.add_argument("--json", action="store_true", help="print the report as JSON")
    imp.set_defaults(func=cmd_import)


def parse_map(text: str | None) -> dict[str, str] | None:
    from emr.errors import ValidationError

    if not text:
        return None
    result: dict[str, str] = {}
    for part in text.split(","):
        field, sep, column = part.partition("=")
        field = field.strip().lower()
        if not sep or field not in MAP_FIELDS or not column.strip():
            raise ValidationError(
                {
                    "map": f"{part.strip()!r}: write FIELD=COLUMN with FIELD one of "
                    f"{', '.join(MAP_FIELDS)}."
                }
            )
        result[field] = column.strip()
    return result


def cmd_import(args: argparse.Namespace) -> int:
    from emr.services.patients import get_patient_by_mrn
    from emr.services.phr import import_phr, read_file

    column_map = parse_map(args.map)
    read_file(args.file)  # a missing or too large file is refused before logging in
    db = open_db()
    try:
        actor = acting_user(args, db)
        patient = get_patient_by_mrn(actor, args.patient)
        report = import_phr(
            actor,
            patient.id,
            args.file,
            kind=args.kind,
            column_map=column_map,
            source_name=args.source,
        )
    finally:
        db.dispose()
    if args.json:
        print_json(
            {
                "imported": report.imported,
                "duplicates": report.duplicates,
                "skipped": [{"where": where, "reason": why} for where, why in report.skipped],
                "sources": list(report.source_names),
            }
        )
    else:
        print(report.summary())
        for where, why in report.skipped:
            print(f"  skipped {where}: {why}")
    return 0
