"""`emr-admin audit verify` (operator) and `emr-admin audit show` (an admin)."""

from __future__ import annotations

import argparse

from emr.cli.common import acting_user, open_db, print_json, print_table


def register(sub: argparse._SubParsersAction) -> None:
    audit = sub.add_parser("audit", help="the audit trail")
    asub = audit.add_subparsers(dest="audit_command", metavar="ACTION", required=True)

    verify = asub.add_parser("verify", help="check the hash chain (operator)")
    verify.set_defaults(func=cmd_verify)

    show = asub.add_parser("show", help="list events, newest first (acting user: admin)")
    show.add_argument("--patient", metavar="MRN")
    show.add_argument("--user", dest="filter_user", metavar="USERNAME")
    show.add_argument("--since", metavar="YYYY-MM-DD")
    show.add_argument("--limit", type=int, default=200)
    show.add_argument("--json", action="store_true")
    show.set_defaults(func=cmd_show)

    emergencies = asub.add_parser(
        "emergencies", help="emergency (break the glass) accesses to review (acting user: admin)"
    )
    emergencies.add_argument("--unreviewed", action="store_true")
    emergencies.add_argument("--json", action="store_true")
    emergencies.set_defaults(func=cmd_emergencies)


def cmd_verify(args: argparse.Namespace) -> int:
    from emr.services.audit_trail import verify_trail

    report = verify_trail(open_db())
    if report.ok:
        print(f"Audit trail intact: {report.events_checked} events.")
        return 0
    print(f"AUDIT TRAIL BROKEN: {report.problem}.")
    return 1


def cmd_show(args: argparse.Namespace) -> None:
    from datetime import date

    from emr.errors import ValidationError
    from emr.services.audit_trail import list_events

    since = None
    if args.since:
        try:
            since = date.fromisoformat(args.since)
        except ValueError as exc:
            raise ValidationError(
                f"--since takes a date as YYYY-MM-DD, not {args.since!r}."
            ) from exc
    db = open_db()
    entries = list_events(
        acting_user(args, db),
        patient_mrn=args.patient,
        username=args.filter_user,
        since=since,
        limit=args.limit,
    )
    rows = [
        {
            "id": e.id,
            "time": e.occurred_at.astimezone().strftime("%Y-%m-%d %H:%M:%S"),
            "user": e.username,
            "action": e.action,
            "entity": e.entity,
            "entity_id": "" if e.entity_id is None else e.entity_id,
            "mrn": e.patient_mrn or "",
            "emergency": e.emergency,
            "detail": e.detail,
        }
        for e in entries
    ]
    if args.json:
        print_json(rows)
    else:
        print_table(rows, ["time", "user", "action", "entity", "entity_id", "mrn", "detail"])


def cmd_emergencies(args: argparse.Namespace) -> None:
    from emr.services.emergency import list_emergency_grants

    db = open_db()
    grants = list_emergency_grants(acting_user(args, db), unreviewed_only=args.unreviewed)
    rows = [
        {
            "id": g.id,
            "granted": g.granted_at.astimezone().strftime("%Y-%m-%d %H:%M"),
            "user": g.username,
            "mrn": g.patient_mrn,
            "patient": g.patient_name,
            "reason": g.reason,
            "reviewed": g.reviewed,
        }
        for g in grants
    ]
    if args.json:
        print_json(rows)
    else:
        print_table(rows, ["id", "granted", "user", "mrn", "patient", "reviewed", "reason"])
