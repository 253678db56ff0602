"""`emr-admin drugs import-rxnorm FILE | search QUERY`: the drug catalog (operator commands:
the catalog holds no patient data)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from emr.cli.common import open_db, operator, print_json, print_table


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("drugs", help="the drug catalog: import RxNorm, search drugs")
    dsub = p.add_subparsers(dest="drugs_command", metavar="ACTION", required=True)

    imp = dsub.add_parser(
        "import-rxnorm",
        help="load the prescribable products of RxNorm from RXNCONSO.RRF (all or nothing)",
    )
    imp.add_argument("file", type=Path, help="RXNCONSO.RRF from the NLM's RxNorm release")
    imp.add_argument("--json", action="store_true", help="print the counts as JSON")
    imp.set_defaults(func=cmd_import)

    search = dsub.add_parser(
        "search", help="find drugs by generic or brand name prefix (formulary and products)"
    )
    search.add_argument("query")
    search.add_argument("--limit", type=_limit, default=30)
    search.add_argument("--json", action="store_true")
    search.set_defaults(func=cmd_search)


def _limit(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if not 1 <= value <= 500:
        raise argparse.ArgumentTypeError("must be between 1 and 500")
    return value


def cmd_import(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from emr.errors import ValidationError
    from emr.services.drug_catalog import import_rxnorm

    if not args.file.is_file():
        raise ValidationError(f"There is no file {args.file}.")
    db = open_db()
    try:
        report = import_rxnorm(operator(db), args.file, progress=None if args.json else _progress)
    finally:
        db.dispose()
    if args.json:
        print_json(asdict(report))
    else:
        print(
            f"{report.file}: {report.lines} lines, {report.products_in_file} prescribable products"
        )
        print(
            f"added {report.added}, updated {report.updated}, unchanged {report.unchanged}, "
            f"made inactive {report.inactivated}"
        )
    return 0


def _progress(stage: str, done: int, total: int) -> None:
    print(f"\r{stage}: {done}/{total}", end="", file=sys.stderr, flush=True)
    if done == total:
        print(file=sys.stderr)


def cmd_search(args: argparse.Namespace) -> int:
    from emr.services.drug_catalog import search_drugs

    db = open_db()
    try:
        found = search_drugs(operator(db), args.query, limit=args.limit)
    finally:
        db.dispose()
    rows = [
        {
            "key": c.key,
            "generic_name": c.generic_name,
            "brand_names": list(c.brand_names),
            "strengths": list(c.strengths),
            "dose_forms": list(c.dose_forms),
            "route": c.route,
            "classes": list(c.classes),
            "schedule": c.schedule,
            "rxnorm": c.rxnorm,
            "source": c.source,
        }
        for c in found
    ]
    if args.json:
        print_json(rows)
        return 0
    print_table(
        [
            {
                "generic": r["generic_name"],
                "brands": ", ".join(r["brand_names"][:3]),
                "strengths": ", ".join(r["strengths"][:4]),
                "schedule": r["schedule"],
                "rxnorm": r["rxnorm"],
                "source": r["source"],
            }
            for r in rows
        ],
        ["generic", "brands", "strengths", "schedule", "rxnorm", "source"],
    )
    return 0
