"""The prescribing benchmarks: every operation runs on a small database and reports numbers;
a database built before the demo made prescriptions gets them in the set-up; the patient on
15 medications is made once; the floors' audit events keep the chain intact."""

from __future__ import annotations

import random
from datetime import date
from pathlib import Path

from sqlalchemy import func, select

from emr import bench, demo
from emr.bench import prescribing
from emr.models.clinical import Medication
from emr.models.patients import Patient
from emr.models.prescribing import Prescription, Referral
from emr.security.audit import verify_chain
from emr.services.context import Actor
from emr.services.medications import is_current
from emr.services.prescriptions import check_prescription

OPERATIONS = {
    "prescribing_check_patient_on_15_medications",
    "prescribing_drug_search",
    "prescribing_prescription_pdf",
    "prescribing_referral_letter_pdf",
}


def _context(db, patients: int, runs: int = 3) -> bench.BenchContext:
    return bench.BenchContext(
        db=db,
        actor=Actor.operator(db, "bench"),
        patients=patients,
        rng=random.Random(0),
        runs=runs,
    )


def test_prescribing_operations_run_on_a_small_database(tmp_path: Path, emr_home: Path):
    assert "emr.bench.prescribing" in bench.BENCH_AREAS
    runs = 3
    db = bench.prepare_database(60, root=tmp_path)
    try:
        ctx = _context(db, 60, runs)
        operations = prescribing.operations(ctx)
        assert {op.name for op in operations} == OPERATIONS
        many = prescribing.ensure_patient_on_15_medications(ctx)
        with db.read() as s:
            medications = s.execute(
                select(Medication.stopped_on).where(Medication.patient_id == many.patient_id)
            ).all()
            printed_before = s.execute(select(func.sum(Prescription.times_printed))).scalar()
        today = date.today()
        assert sum(is_current(m.stopped_on, today) for m in medications) == 15
        assert len(many.drafts) == len(prescribing.DRAFTS)
        # Each draft meets the chart: an interaction, an allergy or a duplicate.
        assert all(check_prescription(ctx.actor, d) for d in many.drafts)

        results = bench.run_operations(operations, runs)
        assert set(results) == OPERATIONS
        for name, timing in results.items():
            assert timing.runs == runs
            assert 0 < timing.median_ms <= timing.p95_ms
            if name == "prescribing_drug_search":
                assert timing.floor_ms is None
            else:
                assert timing.floor_ms is not None and timing.floor_ms > 0

        with db.read() as s:
            printed_after = s.execute(select(func.sum(Prescription.times_printed))).scalar()
            report = verify_chain(s)
        assert report.ok, report.problem
        # Every run of the prescription PDF and of its floor counted a print.
        assert printed_after - printed_before == 2 * (runs + bench.WARMUP_RUNS)

        # Found again, not made twice.
        assert prescribing.ensure_patient_on_15_medications(ctx) == many
        with db.read() as s:
            benchmark_patients = s.execute(
                select(func.count()).where(Patient.family_name == prescribing.BENCH_FAMILY)
            ).scalar()
        assert benchmark_patients == 1
    finally:
        db.dispose()


def test_a_database_built_before_the_prescriptions_gets_them(
    tmp_path: Path, emr_home: Path, monkeypatch
):
    # A benchmark database of an earlier version: the demo had no prescribing area yet.
    monkeypatch.setattr(
        demo, "DEMO_AREAS", ["emr.demo.patients", "emr.demo.scheduling", "emr.demo.chart"]
    )
    db = bench.prepare_database(30, root=tmp_path)
    monkeypatch.undo()
    try:
        with db.read() as s:
            assert s.execute(select(func.count(Prescription.id))).scalar() == 0
        operations = prescribing.operations(_context(db, 30))
        assert {op.name for op in operations} == OPERATIONS
        with db.read() as s:
            signed = s.execute(
                select(func.count(Prescription.id)).where(Prescription.status == "signed")
            ).scalar()
            linked = s.execute(
                select(func.count(Medication.id)).where(Medication.prescription_id.is_not(None))
            ).scalar()
            referrals = s.execute(select(func.count(Referral.id))).scalar()
        assert signed > 0 and linked > 0 and referrals >= 0
        # The set-up again adds nothing more.
        prescribing.operations(_context(db, 30))
        with db.read() as s:
            again = s.execute(
                select(func.count(Prescription.id)).where(Prescription.status == "signed")
            ).scalar()
        assert again == signed
    finally:
        db.dispose()


def test_no_patients_no_operations(tmp_path: Path, emr_home: Path):
    db = bench.prepare_database(0, root=tmp_path)
    try:
        assert prescribing.operations(_context(db, 0)) == []
    finally:
        db.dispose()
