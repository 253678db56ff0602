"""`emr-admin hl7 export`: build a patient's HL7 v2.5.1 messages and print them or write one
file per message (acts as a user: --user / $EMR_USER; the export is audited).

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
    p = sub.add_parser("hl7", help="HL7 v2.5.1 messages: export (acts as a user)")
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


ACTIONS: list[Callable[[argparse._SubParsersAction], None]] = [_register_export]


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
