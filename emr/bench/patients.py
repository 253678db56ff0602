"""Benchmarks of the front desk's patient work: search by every kind of query, open, register."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, timedelta

from sqlalchemy import func, select

from emr.bench import BenchContext, Operation
from emr.bench.raw import RawConnection
from emr.models.base import utcnow
from emr.models.patients import Patient
from emr.mrn import new_unique_mrn
from emr.normalize import fold, name_tokens, phone_digits
from emr.services.patients import (
    PatientInput,
    compact_name,
    get_patient,
    name_key_rows,
    parse_query,
    phone_key_rows,
    register_patient,
    search_patients,
    search_statement,
)

SAMPLE_SIZE = 60


def _sample(ctx: BenchContext) -> list:
    with ctx.db.read() as s:
        top = s.execute(select(func.max(Patient.id))).scalar() or 0
        ids = sorted({ctx.rng.randint(1, top) for _ in range(SAMPLE_SIZE * 3)})
        rows = s.execute(
            select(
                Patient.id,
                Patient.mrn,
                Patient.family_name,
                Patient.given_name,
                Patient.date_of_birth,
                Patient.phone_mobile,
                Patient.phone_home,
            ).where(Patient.id.in_(ids), Patient.active)
        ).all()
    return rows


def _queries(rows: list) -> dict[str, list[str]]:
    accented = [r for r in rows if fold(r.family_name) != r.family_name.lower()]
    if not accented:
        accented = rows
    shapes = {
        "family_prefix": [name_tokens(r.family_name)[0][:3] for r in rows],
        "family_given_prefix": [
            f"{name_tokens(r.family_name)[0][:4]} {name_tokens(r.given_name)[0][:2]}" for r in rows
        ],
        "given_first": [f"{r.given_name} {r.family_name}" for r in rows],
        "accented_unaccented": [" ".join(name_tokens(r.family_name)) for r in accented],
        "dob": [r.date_of_birth.strftime("%m/%d/%Y") for r in rows],
        "mrn": [r.mrn for r in rows],
        "phone_last4": [
            phone_digits(r.phone_mobile or r.phone_home)[-4:]
            for r in rows
            if r.phone_mobile or r.phone_home
        ],
    }
    return {name: qs[:SAMPLE_SIZE] for name, qs in shapes.items()}


def operations(ctx: BenchContext) -> list[Operation]:
    rows = _sample(ctx)
    if not rows:
        return []
    raw = RawConnection(ctx.db)
    ops: list[Operation] = []
    for shape, queries in _queries(rows).items():
        ops.append(_search_operation(ctx, raw, shape, queries))

    ids = [r.id for r in rows]
    ops.append(
        Operation(
            name="patient_open",
            run=lambda i: get_patient(ctx.actor, ids[i % len(ids)]),
            floor=lambda i: _raw_open(raw, ids[i % len(ids)]),
        )
    )
    ops.append(
        Operation(
            name="patient_register",
            run=lambda i: register_patient(ctx.actor, _new_patient(ctx, i), allow_duplicate=True),
            floor=lambda i: _raw_register(raw, _new_patient(ctx, i)),
        )
    )
    return ops


def _search_operation(
    ctx: BenchContext, raw: RawConnection, shape: str, queries: list[str]
) -> Operation:
    compiled = [raw.compile(search_statement(parse_query(q), limit=50)) for q in queries]

    def run(i: int) -> None:
        search_patients(ctx.actor, queries[i % len(queries)], limit=50)

    def floor(i: int) -> None:
        sql, params = compiled[i % len(compiled)]
        cur = raw.begin_write()
        found = cur.execute(sql, params).fetchall()
        raw.audit(
            cur,
            action="search",
            entity="patient",
            entity_id=None,
            patient_id=None,
            detail=f"{len(found)} found for: {queries[i % len(queries)]}",
        )
        raw.commit()

    return Operation(name=f"patient_search_{shape}", run=run, floor=floor)


def _raw_open(raw: RawConnection, patient_id: int) -> None:
    cur = raw.begin_write()
    cur.execute("SELECT * FROM patients WHERE id = ?", (patient_id,)).fetchone()
    raw.audit(
        cur, action="view", entity="patient", entity_id=patient_id, patient_id=patient_id, detail=""
    )
    raw.commit()


def _new_patient(ctx: BenchContext, i: int) -> PatientInput:
    rng = ctx.rng
    return PatientInput(
        family_name=rng.choice(["Benchmark", "Bänchmark", "O'Bench"]),
        given_name=f"Run{i}",
        date_of_birth=date(1950, 1, 1) + timedelta(days=rng.randrange(25_000)),
        sex=rng.choice("FM"),
        phone_mobile=f"(555) {rng.randrange(200, 1000)}-{rng.randrange(10000):04d}",
        city="Springfield",
    )


def _raw_register(raw: RawConnection, data: PatientInput) -> None:
    """The statements a registration needs: duplicate check, free MRN, the row, its search keys
    and the audit event, in one transaction."""
    cur = raw.begin_write()
    family, given = compact_name(data.family_name), compact_name(data.given_name)
    cur.execute(
        "SELECT id FROM patients WHERE search_family = ? AND search_given = ? "
        "AND date_of_birth = ? AND active = 1",
        (family, given, data.date_of_birth.isoformat()),
    ).fetchall()
    mrn = new_unique_mrn(
        lambda m: cur.execute("SELECT id FROM patients WHERE mrn = ?", (m,)).fetchone() is not None
    )
    now = utcnow().replace(tzinfo=None).isoformat(sep=" ")
    values = asdict(data) | {
        "date_of_birth": data.date_of_birth.isoformat(),
        "mrn": mrn,
        "active": 1,
        "deactivation_reason": "",
        "deceased": 0,
        "search_family": family,
        "search_given": given,
        "phone_digits": phone_digits(data.phone_mobile),
        "created_at": now,
        "updated_at": now,
        "version": 1,
    }
    columns = ", ".join(values)
    marks = ", ".join("?" for _ in values)
    cur.execute(f"INSERT INTO patients ({columns}) VALUES ({marks})", tuple(values.values()))
    patient_id = cur.lastrowid
    cur.executemany(
        "INSERT INTO patient_name_keys (patient_id, key, sort_name, active) VALUES (?, ?, ?, 1)",
        [
            (patient_id, r["key"], r["sort_name"])
            for r in name_key_rows(patient_id, data.family_name, data.given_name, data.middle_name)
        ],
    )
    cur.executemany(
        "INSERT INTO patient_phone_keys (reversed_digits, patient_id) VALUES (?, ?)",
        [
            (r["reversed_digits"], patient_id)
            for r in phone_key_rows(patient_id, [data.phone_mobile])
        ],
    )
    raw.audit(
        cur,
        action="create",
        entity="patient",
        entity_id=patient_id,
        patient_id=patient_id,
        detail=f"registered MRN {mrn}",
    )
    raw.commit()
