"""The chart's benchmarks: every operation runs on a small database, on the demo's big chart,
and reports numbers; the floors' audit events keep the chain intact."""

from __future__ import annotations

import random
from pathlib import Path

from sqlalchemy import func, select

from emr import bench
from emr.bench import chart
from emr.demo.chart import BIG_CHART_ENCOUNTERS
from emr.models import AuditEvent
from emr.models.chart import Encounter
from emr.security.audit import verify_chain
from emr.services.context import Actor

CHART_OPERATIONS = {
    "chart_open_header_big",
    "chart_open_header_and_timeline_big",
    "chart_open_header_typical",
    "chart_vitals_series_big",
    "chart_search_metformin_big",
    "chart_search_a1c_big",
    "chart_encounter_list_big",
}


def test_chart_operations_run_on_a_small_database(tmp_path: Path, emr_home: Path):
    assert "emr.bench.chart" in bench.BENCH_AREAS
    assert "emr.bench.codes" in bench.BENCH_AREAS  # ICD-10-CM search is timed there
    runs = 3
    db = bench.prepare_database(40, root=tmp_path)
    try:
        ctx = bench.BenchContext(
            db=db,
            actor=Actor.operator(db, "bench"),
            patients=40,
            rng=random.Random(0),
            runs=runs,
        )
        big = chart._big_chart(ctx)
        with db.read() as s:
            encounters = s.execute(select(func.count()).where(Encounter.patient_id == big)).scalar()
            views_before = s.execute(
                select(func.count()).where(AuditEvent.patient_id == big)
            ).scalar()
        assert encounters == BIG_CHART_ENCOUNTERS

        operations = chart.operations(ctx)
        assert {op.name for op in operations} == CHART_OPERATIONS
        results = bench.run_operations(operations, runs)
        for timing in results.values():
            assert timing.runs == runs
            assert 0 < timing.median_ms <= timing.p95_ms
            assert timing.floor_ms is not None and timing.floor_ms > 0

        with db.read() as s:
            views_after = s.execute(
                select(func.count()).where(AuditEvent.patient_id == big)
            ).scalar()
            report = verify_chain(s)
        assert report.ok, report.problem
        # Every timed run of the big chart's operations and of their floors was audited.
        big_operations = sum(1 for name in CHART_OPERATIONS if name.endswith("_big"))
        assert views_after - views_before >= big_operations * 2 * (runs + bench.WARMUP_RUNS)
    finally:
        db.dispose()


def test_no_chart_no_operations(tmp_path: Path, emr_home: Path):
    db = bench.prepare_database(0, root=tmp_path)
    try:
        ctx = bench.BenchContext(
            db=db, actor=Actor.operator(db, "bench"), patients=0, rng=random.Random(0)
        )
        assert chart.operations(ctx) == []
    finally:
        db.dispose()
