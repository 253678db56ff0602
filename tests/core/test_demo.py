"""Synthetic demo data: realistic, deterministic for a seed, searchable, audited."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlalchemy import func, select

from emr import demo
from emr.config import load_settings
from emr.db import open_database
from emr.models import AuditEvent, Patient, PatientNameKey, PatientPhoneKey
from emr.mrn import is_valid_mrn
from emr.normalize import fold
from emr.services.context import Actor
from emr.services.patients import search_patients

TODAY = date(2026, 11, 25)
COLUMNS = [c for c in Patient.__table__.columns if c.name not in {"id", "created_at", "updated_at"}]


def rows(db) -> list[tuple]:
    with db.read() as s:
        return [tuple(r) for r in s.execute(select(*COLUMNS).order_by(Patient.id))]


def test_generates_the_patients_with_their_search_keys_and_audit(db, monkeypatch):
    # The patients and their schedule only: charts for 12,000 patients are tested elsewhere.
    monkeypatch.setattr(demo, "DEMO_AREAS", ["emr.demo.patients", "emr.demo.scheduling"])
    progress: list[tuple[str, int, int]] = []
    counts = demo.generate(
        db, patients=12_000, seed=3, today=TODAY, progress=lambda *a: progress.append(a)
    )
    assert counts["patients"] == 12_000
    patient_progress = [p for p in progress if p[0] == "patients"]
    assert patient_progress[-1] == ("patients", 12_000, 12_000) and len(patient_progress) == 3
    with db.read() as s:
        patients = s.execute(select(Patient)).scalars().all()
        keyed = s.execute(select(func.count(func.distinct(PatientNameKey.patient_id)))).scalar()
        phoned = s.execute(select(func.count(func.distinct(PatientPhoneKey.patient_id)))).scalar()
        events = s.execute(
            select(AuditEvent.action, AuditEvent.entity).where(AuditEvent.entity == "demo")
        ).all()
        s.expunge_all()  # keep the loaded rows readable after the snapshot ends
    assert keyed == 12_000
    assert phoned == sum(1 for p in patients if p.phone_home or p.phone_mobile or p.phone_work)
    assert events == [("create", "demo")] * 4  # one per batch of 5,000, one for the schedule
    assert all(p.version == 1 and p.active and p.created_at for p in patients)
    assert len({p.mrn for p in patients}) == 12_000
    assert all(is_valid_mrn(p.mrn) for p in patients)

    families = {p.family_name for p in patients}
    for name in ["O'Brien", "Müller", "Nguyễn", "García", "Kowalski", "Dubois", "Haddad"]:
        assert name in families
    assert {"Okafor", "Chen", "Patel"} <= families
    assert any(fold(f) != f.lower() for f in families)  # accents kept as written

    ages = [(TODAY - p.date_of_birth).days // 365 for p in patients]
    children = sum(a < 18 for a in ages) / len(ages)
    seniors = sum(a >= 65 for a in ages) / len(ages)
    assert 0.12 < children < 0.3 and 0.12 < seniors < 0.3
    assert all(0 <= a < 100 for a in ages)
    assert {p.sex for p in patients} == {"F", "M", "O", "U"}
    assert sum(bool(p.insurance_payer) for p in patients) == len(patients)
    assert sum(p.insurance_payer == "Medicare" for p in patients) > 0.1 * len(patients)
    assert sum(bool(p.emergency_contact_name) for p in patients) > 0.7 * len(patients)
    assert all(p.address_line1 and p.city and p.state and p.postal_code for p in patients)


def test_the_same_seed_gives_the_same_data(db, tmp_path: Path):
    demo.generate(db, patients=300, seed=5, today=TODAY)
    other = open_database(
        load_settings({"EMR_HOME": str(tmp_path / "other"), "EMR_DB_KEY": "5f" * 32}), create=True
    )
    try:
        demo.generate(other, patients=300, seed=5, today=TODAY)
        assert rows(other) == rows(db)
        third = open_database(
            load_settings({"EMR_HOME": str(tmp_path / "third"), "EMR_DB_KEY": "5f" * 32}),
            create=True,
        )
        try:
            demo.generate(third, patients=300, seed=6, today=TODAY)
            assert rows(third) != rows(db)
        finally:
            third.dispose()
    finally:
        other.dispose()


def test_demo_patients_are_found_by_the_search(db):
    demo.generate(db, patients=300, seed=1, today=TODAY)
    actor = Actor.operator(db)
    with db.read() as s:
        someone = s.execute(select(Patient).order_by(Patient.id).limit(1)).scalar_one()
        s.expunge(someone)
    found = search_patients(actor, f"{fold(someone.family_name)} {someone.given_name[:2]}")
    assert someone.id in [p.id for p in found]
    assert [p.id for p in search_patients(actor, someone.mrn)] == [someone.id]


def test_a_second_run_adds_patients_with_new_mrns(db):
    demo.generate(db, patients=100, seed=1, today=TODAY)
    demo.generate(db, patients=100, seed=1, today=TODAY)
    with db.read() as s:
        mrns = s.execute(select(Patient.mrn)).scalars().all()
    assert len(mrns) == len(set(mrns)) == 200


def test_areas_are_listed_by_module_name():
    assert demo.DEMO_AREAS[:3] == ["emr.demo.patients", "emr.demo.scheduling", "emr.demo.chart"]
