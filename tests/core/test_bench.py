"""The benchmark harness: its own encrypted database, reused, and timings for every operation."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from emr import bench
from emr.db import sqlite_file_is_plain
from emr.models import Patient
from emr.security.audit import verify_chain

PATIENT_OPERATIONS = {
    "patient_search_family_prefix",
    "patient_search_family_given_prefix",
    "patient_search_given_first",
    "patient_search_accented_unaccented",
    "patient_search_dob",
    "patient_search_mrn",
    "patient_search_phone_last4",
    "patient_open",
    "patient_register",
}


def test_bench_builds_its_own_encrypted_database_and_times_every_operation(
    tmp_path: Path, emr_home: Path
):
    results = bench.run_bench(300, 4, root=tmp_path)
    patient_results = {n: t for n, t in results.items() if n.startswith("patient_")}
    assert set(patient_results) == PATIENT_OPERATIONS
    for timing in patient_results.values():
        assert timing.runs == 4
        assert 0 < timing.median_ms <= timing.p95_ms
        assert timing.floor_ms is not None and timing.floor_ms > 0
        assert set(timing.as_dict()) == {"median_ms", "p95_ms", "floor_ms", "runs"}

    schedule_results = {n for n in results if n.startswith("schedule_")}
    assert len(schedule_results) == 6
    chart_results = {n for n in results if n.startswith("chart_")}
    assert "chart_open_header_and_timeline_big" in chart_results and len(chart_results) == 7
    prescribing_results = {n for n in results if n.startswith("prescribing_")}
    assert len(prescribing_results) == 4

    folder = tmp_path / "300-patients"
    database = folder / "emr.db"
    assert (folder / bench.READY_MARKER).exists()
    assert not sqlite_file_is_plain(database)
    assert not (emr_home / "emr.db").exists()  # never the practice database

    # Reused, not rebuilt: the same patients are there (plus those the register runs added).
    db = bench.prepare_database(300, root=tmp_path)
    try:
        with db.read() as s:
            first_ids = s.execute(select(Patient.id).order_by(Patient.id).limit(3)).all()
            count = s.execute(select(func.count(Patient.id))).scalar()
        # The register operation and its raw floor each added their runs; the prescribing
        # benchmark added its patient on 15 medications.
        assert count == 300 + 2 * (4 + bench.WARMUP_RUNS) + 1
        assert len(first_ids) == 3
        _assert_audit_chain_intact(db)  # the raw floors write correct audit events too
    finally:
        db.dispose()


def test_an_interrupted_build_is_started_again(tmp_path: Path):
    (tmp_path / "50-patients").mkdir()
    (tmp_path / "50-patients" / "emr.db").write_bytes(b"half a database")
    db = bench.prepare_database(50, root=tmp_path)
    try:
        with db.read() as s:
            assert s.execute(select(func.count(Patient.id))).scalar() == 50
    finally:
        db.dispose()


def test_bench_root_follows_the_environment(monkeypatch, tmp_path: Path):
    monkeypatch.setenv("EMR_BENCH_DIR", str(tmp_path))
    assert bench.bench_root() == tmp_path
    monkeypatch.delenv("EMR_BENCH_DIR")
    monkeypatch.chdir(tmp_path)
    assert bench.bench_root() == tmp_path / "bench-data"


def test_percentiles():
    samples = [float(i) for i in range(1, 101)]
    assert bench._percentile(samples, 0.95) == 95.0
    assert bench._percentile([3.0], 0.95) == 3.0


def _assert_audit_chain_intact(db) -> None:
    with db.read() as s:
        report = verify_chain(s)
    assert report.ok, report.problem
