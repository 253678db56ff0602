"""The schedule's benchmarks: every operation runs on a small database and reports numbers."""

from __future__ import annotations

import random
from pathlib import Path

from sqlalchemy import func, select

from emr import bench
from emr.bench import scheduling
from emr.models import Appointment
from emr.security.audit import verify_chain
from emr.services.context import Actor

SCHEDULE_OPERATIONS = {
    "schedule_day_one_provider_busy",
    "schedule_day_all_providers",
    "schedule_week_one_provider",
    "schedule_find_next_free_slot",
    "schedule_book_appointment",
    "schedule_patient_appointments",
}


def test_schedule_operations_run_on_a_small_database(tmp_path: Path, emr_home: Path):
    assert "emr.bench.scheduling" in bench.BENCH_AREAS
    runs = 3
    db = bench.prepare_database(120, appointments=2_000, root=tmp_path)
    try:
        with db.read() as s:
            before = s.execute(select(func.count(Appointment.id))).scalar()
        assert 1_800 < before < 2_200
        ctx = bench.BenchContext(
            db=db,
            actor=Actor.operator(db, "bench"),
            patients=120,
            rng=random.Random(0),
            appointments=2_000,
            runs=runs,
        )
        operations = scheduling.operations(ctx)
        assert {op.name for op in operations} == SCHEDULE_OPERATIONS
        results = bench.run_operations(operations, runs)
        for timing in results.values():
            assert timing.runs == runs
            assert 0 < timing.median_ms <= timing.p95_ms
            assert timing.floor_ms is not None and timing.floor_ms > 0

        with db.read() as s:
            booked = (
                s.execute(
                    select(Appointment.override_reason).where(
                        Appointment.reason == "Benchmark visit"
                    )
                )
                .scalars()
                .all()
            )
            after = s.execute(select(func.count(Appointment.id))).scalar()
            report = verify_chain(s)
        # The booking and its floor each booked their runs, at free slots (no override).
        assert len(booked) == after - before == 2 * (runs + bench.WARMUP_RUNS)
        assert booked.count("") >= runs
        assert report.ok, report.problem  # the floors' audit events are chained correctly
    finally:
        db.dispose()
    assert (tmp_path / "120-patients-2000-appointments" / bench.READY_MARKER).exists()


def test_bench_databases_are_kept_by_patients_and_appointments(tmp_path: Path):
    assert bench.bench_folder(300, None, tmp_path) == tmp_path / "300-patients"
    assert (
        bench.bench_folder(100_000, 1_000_000, tmp_path)
        == tmp_path / "100000-patients-1000000-appointments"
    )


def test_no_providers_no_schedule_operations(tmp_path: Path, db):
    ctx = bench.BenchContext(db=db, actor=Actor.operator(db), patients=0, rng=random.Random(0))
    assert scheduling.operations(ctx) == []
