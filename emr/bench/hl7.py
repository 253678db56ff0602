"""Benchmarks of the HL7 message layer: ORU^R01 for a visit with 12 observations (built from
the database, then validated), and ADT build throughput for many patients beside hl7apy.

Throughput: each ADT run builds BATCH messages, so messages per second = BATCH * 1000 / the
median in milliseconds. The rows are read before timing (the encoder is what is measured);
the comparison row builds the same patients' ADT^A08 with hl7apy's own object API (MSH, EVN,
PID with identifiers, name, birth date, sex, address and phone, PV1: fewer segments than ours).

Validation uses hl7apy (strict 2.5.1) when it is installed (the test extra); otherwise our own
reader splits the message back and the operation is named so.

Floors: the ORU's is the raw SQL read of the visit's observations; the ADT rows have none (no
database work is timed).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from emr.bench import BenchContext, Operation
from emr.bench.raw import RawConnection
from emr.interop.hl7.adt import build_adt
from emr.interop.hl7.build import build_message
from emr.interop.hl7.encoding import parse, sequential_control_id, timestamp
from emr.interop.hl7.segments import Header
from emr.models.observations import Observation
from emr.models.patients import Patient

VISIT_OBSERVATIONS = 12
BATCH = 50  # hl7apy needs about 5 ms a message: 200 runs of 50 take a minute
SENDER = {"sending_application": "SMALLPRACTICE-EMR", "sending_facility": "1234567893"}


def operations(ctx: BenchContext) -> list[Operation]:
    ops: list[Operation] = []
    encounter_id = _visit_with_observations(ctx)
    if encounter_id is not None:
        ops += _oru_operations(ctx, encounter_id)
    patients = _patients(ctx)
    if patients:
        ops += _adt_operations(patients)
    return ops


def _visit_with_observations(ctx: BenchContext) -> int | None:
    """The visit whose count of observations is nearest 12 (12 in a demo database)."""
    with ctx.db.read() as s:
        counts = (
            select(Observation.encounter_id, func.count().label("n"))
            .where(Observation.encounter_id.is_not(None), Observation.entered_in_error.is_(False))
            .group_by(Observation.encounter_id)
            .subquery()
        )
        row = s.execute(
            select(counts.c.encounter_id)
            .order_by(func.abs(counts.c.n - VISIT_OBSERVATIONS), counts.c.encounter_id)
            .limit(1)
        ).first()
    return row[0] if row else None


def _validator():
    try:
        from hl7apy.consts import VALIDATION_LEVEL
        from hl7apy.parser import parse_message
    except ImportError:
        return "own_reader", parse

    def strict(er7: str) -> None:
        message = parse_message(er7, validation_level=VALIDATION_LEVEL.STRICT, find_groups=True)
        message.validate()

    return "hl7apy_strict", strict


def _oru_operations(ctx: BenchContext, encounter_id: int) -> list[Operation]:
    raw = RawConnection(ctx.db)
    sql = (
        "SELECT o.*, e.*, p.* FROM observations o JOIN encounters e ON e.id = o.encounter_id "
        "JOIN patients p ON p.id = o.patient_id WHERE o.encounter_id = ? "
        "AND o.entered_in_error = 0 ORDER BY o.id"
    )
    how, validate = _validator()

    def build(i: int) -> str:
        with ctx.db.read() as s:
            return build_message(s, "ORU^R01", "encounter", encounter_id, **SENDER).er7

    def floor(i: int) -> None:
        cur = raw.begin_read()
        cur.execute(sql, (encounter_id,)).fetchall()
        raw.commit()

    return [
        Operation("hl7_oru_visit_build", build, floor),
        Operation(f"hl7_oru_visit_build_validate_{how}", lambda i: validate(build(i)), floor),
    ]


def _patients(ctx: BenchContext) -> list[Patient]:
    with ctx.db.read() as s:
        rows = list(s.scalars(select(Patient).order_by(Patient.id).limit(BATCH)))
        s.expunge_all()
    return rows


def _adt_operations(patients: list[Patient]) -> list[Operation]:
    now = datetime.now(UTC)

    def ours(i: int) -> None:
        for p in patients:
            header = Header(
                SENDER["sending_application"],
                SENDER["sending_facility"],
                "",
                "",
                sequential_control_id(),
                now,
            )
            build_adt("A08", p, header)

    ops = [Operation(f"hl7_adt_build_{len(patients)}_patients", ours, None)]
    try:
        import hl7apy  # noqa: F401
    except ImportError:
        return ops
    stamp = timestamp(now)

    def with_hl7apy(i: int) -> None:
        for p in patients:
            _hl7apy_adt(p, stamp)

    ops.append(Operation(f"hl7_adt_build_{len(patients)}_patients_hl7apy", with_hl7apy, None))
    return ops


def _hl7apy_adt(p: Patient, stamp: str) -> str:
    from hl7apy.core import Message

    m = Message("ADT_A01", version="2.5.1")
    m.msh.msh_3.hd_1 = SENDER["sending_application"]
    m.msh.msh_4.hd_1 = SENDER["sending_facility"]
    m.msh.msh_7.ts_1 = stamp
    m.msh.msh_9 = "ADT^A08^ADT_A01"
    m.msh.msh_10 = sequential_control_id()
    m.msh.msh_11 = "P"
    m.msh.msh_12 = "2.5.1"
    m.evn.evn_1 = "A08"
    m.evn.evn_2.ts_1 = stamp
    pid = m.pid
    pid.pid_1 = "1"
    pid.pid_3.cx_1 = p.mrn
    pid.pid_3.cx_5 = "MR"
    pid.pid_5.xpn_1.fn_1 = p.family_name
    pid.pid_5.xpn_2 = p.given_name
    pid.pid_7.ts_1 = p.date_of_birth.strftime("%Y%m%d")
    pid.pid_8 = p.sex
    if p.address_line1:
        pid.pid_11.xad_1.sad_1 = p.address_line1
        pid.pid_11.xad_3 = p.city
    if p.phone_home:
        pid.pid_13.xtn_1 = p.phone_home
    m.pv1.pv1_1 = "1"
    m.pv1.pv1_2 = "N"
    return m.to_er7()
