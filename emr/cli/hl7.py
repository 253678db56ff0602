"""`emr-admin hl7 export`: build a patient's HL7 v2.5.1 messages and print them or write one
file per message (acts as a user: --user / $EMR_USER; the export is audited).
`emr-admin hl7 send`: deliver the outbox now. `emr-admin hl7 listen`: a small MLLP receiver.

Each action of `emr-admin hl7` is registered by one function in ACTIONS (`send` and `listen`
join them there), so that `emr-admin hl7 --help` lists them all.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from emr.cli.common import acting_user, open_db

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

MESSAGE_TYPES = (  # as emr.interop.hl7.build.MESSAGE_TYPES (not imported: a fast --help)
    "ADT^A04",
    "ADT^A08",
    "ADT^A28",
    "ADT^A31",
    "ORU^R01",
    "VXU^V04",
    "MDM^T02",
    "MDM^T08",
    "REF^I12",
    "RDE^O11",
)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "hl7", help="HL7 v2.5.1 messages: export (acts as a user), send the outbox, listen"
    )
    hsub = p.add_subparsers(dest="hl7_command", metavar="ACTION", required=True)
    for add_action in ACTIONS:
        add_action(hsub)


def _register_export(hsub: argparse._SubParsersAction) -> None:
    export = hsub.add_parser(
        "export",
        help="build a patient's messages of one type",
        description="Builds the patient's messages of this type from the chart: ADT from the "
        "registration; ORU^R01 one per lab panel and vitals entry; VXU^V04 one per "
        "immunization; MDM^T02 per signed note, T08 per addendum; REF^I12 per sent referral; "
        "RDE^O11 per signed prescription (or only the record given with --id). Without --out "
        "the messages are printed, one segment a line; with --out each is written to "
        "DIR/<control id>.hl7 with carriage returns, as interface engines read them.",
    )
    export.add_argument("--patient", required=True, metavar="MRN")
    export.add_argument("--type", required=True, type=str.upper, choices=MESSAGE_TYPES)
    export.add_argument("--id", type=int, help="only this record (lab panel, note, …)")
    export.add_argument("--out", type=Path, metavar="DIR", help="write files into this folder")
    export.set_defaults(func=cmd_export)


def _register_send(hsub: argparse._SubParsersAction) -> None:
    send = hsub.add_parser(
        "send",
        help="deliver the outbox now",
        description="Delivers the queued messages that are due, in order, to every active "
        "destination (or only the one named) and prints how it went. A machine-level command "
        "(it needs the database key, not a user). Exit status 0 when everything due was "
        "delivered, 1 when a message was refused or is waiting for a retry.",
    )
    send.add_argument("--destination", metavar="NAME", help="only this destination")
    send.add_argument(
        "--timeout", type=float, default=30.0, metavar="SECONDS", help="wait for each ACK"
    )
    send.set_defaults(func=cmd_send)


def _register_listen(hsub: argparse._SubParsersAction) -> None:
    listen = hsub.add_parser(
        "listen",
        help="a small MLLP receiver that stores and acknowledges messages",
        description="Receives HL7 messages over MLLP, writes each to DIR/<control id>.hl7 "
        "and answers AA (AE for an unreadable message); a control id received before is "
        "acknowledged again but not stored twice. For testing this EMR or a partner. Runs "
        "until interrupted (Ctrl+C).",
    )
    listen.add_argument("--port", type=int, required=True, help="TCP port (0: any free port)")
    listen.add_argument("--out", type=Path, required=True, metavar="DIR")
    listen.add_argument("--host", default="127.0.0.1", help="address to listen on")
    listen.add_argument("--tls-cert", type=Path, metavar="PEM", help="serve TLS with this")
    listen.add_argument("--tls-key", type=Path, metavar="PEM", help="its private key")
    listen.set_defaults(func=cmd_listen)


ACTIONS: list[Callable[[argparse._SubParsersAction], None]] = [
    _register_export,
    _register_send,
    _register_listen,
]


def cmd_export(args: argparse.Namespace) -> int:
    from emr.errors import ValidationError
    from emr.interop.hl7.build import build_message, sender_of
    from emr.printing import write_atomically
    from emr.security import audit
    from emr.security.permissions import Permission
    from emr.services.clinical import open_chart_in
    from emr.services.patients import get_patient_by_mrn

    if args.out is not None and not args.out.is_dir():
        raise ValidationError({"out": f"{args.out} is not a folder."})
    db = open_db()
    try:
        actor = acting_user(args, db)
        patient = get_patient_by_mrn(actor, args.patient)
        with actor.write() as s:
            emergency = False
            if args.type.startswith("ADT"):
                actor.require(Permission.PATIENT_READ)
            else:
                emergency = open_chart_in(s, actor, patient.id, Permission.CHART_READ)
            targets = _targets(s, patient.id, args.type, args.id)
            if not targets:
                raise ValidationError({"type": f"This patient has nothing to send as {args.type}."})
            application, facility = sender_of(s)
            built = [
                build_message(
                    s,
                    args.type,
                    entity,
                    entity_id,
                    sending_application=application,
                    sending_facility=facility,
                )
                for entity, entity_id in targets
            ]
            audit.record(
                s,
                user_id=actor.user_id,
                username=actor.username,
                action="export",
                entity="hl7",
                entity_id=None,
                patient_id=patient.id,
                detail=f"{args.type}: {len(built)} message(s)",
                emergency=emergency,
            )
    finally:
        db.dispose()
    for message in built:
        if args.out is None:
            sys.stdout.write(message.er7.replace("\r", "\n") + "\n")
        else:
            out = args.out / f"{message.control_id}.hl7"
            write_atomically(out, message.er7.encode("utf-8"))
            print(out)
    return 0


def cmd_send(args: argparse.Namespace) -> int:
    from emr.cli.common import operator
    from emr.services.destinations import find_destination
    from emr.services.outbox import send_now

    db = open_db()
    try:
        actor = operator(db)
        destination_id = None
        if args.destination:
            destination_id = find_destination(actor, args.destination).id
        report = send_now(actor, destination_id=destination_id, ack_timeout=args.timeout)
    finally:
        db.dispose()
    for line in report.lines():
        print(line)
    return 0 if report.complete else 1


def cmd_listen(args: argparse.Namespace) -> int:
    from emr.errors import ValidationError
    from emr.interop.listener import MllpListener, Receipt, server_tls_context

    if not 0 <= args.port <= 65535:
        raise ValidationError({"port": "The port is a number from 0 to 65535."})
    if not args.out.is_dir():
        raise ValidationError({"out": f"{args.out} is not a folder."})
    if (args.tls_cert is None) != (args.tls_key is None):
        raise ValidationError({"tls": "Give both --tls-cert and --tls-key, or neither."})
    tls = server_tls_context(args.tls_cert, args.tls_key) if args.tls_cert else None

    def show(receipt: Receipt) -> None:
        what = f"{receipt.message_type or 'message'} {receipt.control_id or '(unreadable)'}"
        note = " duplicate, not stored again" if receipt.duplicate else ""
        print(f"{what}: {receipt.code}{note}", flush=True)

    try:
        listener = MllpListener(args.out, args.host, args.port, tls_context=tls, on_receipt=show)
    except OSError as exc:
        raise ValidationError(
            {"port": f"Cannot listen on {args.host}:{args.port}: {exc.strerror or exc}."}
        ) from None
    print(
        f"Listening on {listener.host}:{listener.port}{' (TLS)' if tls else ''}, "
        f"writing to {args.out}. Ctrl+C stops.",
        flush=True,
    )
    try:
        listener.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        listener.stop()
    print(f"Stopped after {len(listener.receipts)} message(s).", flush=True)
    return 0


def _targets(s: Session, patient_id: int, message_type: str, only: int | None) -> list[tuple]:
    """(entity, id) of each message of this type for the patient."""
    from sqlalchemy import select

    from emr.models.chart import Addendum, Note
    from emr.models.clinical import Immunization
    from emr.models.observations import LabPanel, Observation
    from emr.models.prescribing import Prescription, Referral

    def ids(model, *where) -> list[int]:
        query = select(model.id).where(model.patient_id == patient_id, *where)
        if only is not None:
            query = query.where(model.id == only)
        return list(s.scalars(query.order_by(model.id)))

    kind = message_type.split("^")[0]
    if kind == "ADT":
        return [("patient", patient_id)]
    if kind == "ORU":
        panels = [("lab_panels", i) for i in ids(LabPanel, LabPanel.entered_in_error.is_(False))]
        first_of_entries = select(Observation.group_id, Observation.id).where(
            Observation.patient_id == patient_id,
            Observation.panel_id.is_(None),
            Observation.entered_in_error.is_(False),
        )
        seen: dict[str, int] = {}
        for group_id, obs_id in s.execute(first_of_entries.order_by(Observation.id)):
            seen.setdefault(group_id or str(obs_id), obs_id)
        vitals = [("observations", i) for i in seen.values() if only in (None, i)]
        return panels + vitals if only is None else (panels or vitals)
    if kind == "VXU":
        return [
            ("immunizations", i)
            for i in ids(Immunization, Immunization.entered_in_error.is_(False))
        ]
    if message_type == "MDM^T02":
        return [("note", i) for i in ids(Note, Note.status == "signed")]
    if message_type == "MDM^T08":
        return [("addendum", i) for i in ids(Addendum)]
    if kind == "REF":
        return [("referral", i) for i in ids(Referral, Referral.status != "draft")]
    return [("prescription", i) for i in ids(Prescription, Prescription.status == "signed")]
