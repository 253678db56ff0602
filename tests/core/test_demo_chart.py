"""The demo's charts: every kind of chart data for every patient, coded, plausible, signed notes
that verify, the same for the same seed, and each patient's data kept to that patient."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from emr import demo
from emr.codes import loinc
from emr.codes.cvx import get_cvx
from emr.codes.icd10 import get_icd10
from emr.config import load_settings
from emr.db import open_database
from emr.demo import chart
from emr.models import AuditEvent, Patient
from emr.models.chart import Encounter, Note
from emr.models.clinical import (
    Allergy,
    AllergyStatus,
    HistoryEntry,
    Immunization,
    Medication,
    Problem,
)
from emr.models.observations import LabPanel, Observation
from emr.models.scheduling import Appointment
from emr.services.context import Actor
from emr.services.encounters import note_hash, verify_note
from emr.services.history import KINDS as HISTORY_KINDS
from emr.services.history import SOCIAL_CATEGORIES
from emr.services.immunizations import ROUTES, SITES
from emr.services.labs import compute_flag

TODAY = date(2026, 11, 25)
CHART_TABLES = (
    Encounter,
    Note,
    Problem,
    Allergy,
    Medication,
    Immunization,
    HistoryEntry,
    LabPanel,
    Observation,
)


def load(db, model) -> list:
    with db.read() as s:
        rows = s.execute(select(model).order_by(model.id)).scalars().all()
        s.expunge_all()
    return rows


@pytest.fixture(scope="module")
def charted(tmp_path_factory: pytest.TempPathFactory):
    """One demo practice of 60 patients, made once for the tests that only read it."""
    home = tmp_path_factory.mktemp("demo-chart")
    db = open_database(load_settings({"EMR_HOME": str(home), "EMR_DB_KEY": "5f" * 32}), create=True)
    counts = demo.generate(db, patients=60, seed=3, today=TODAY)
    yield db, counts
    db.dispose()


def test_every_patient_gets_a_chart_of_every_kind(charted):
    db, counts = charted
    for kind in (
        "encounters",
        "notes",
        "problems",
        "allergies",
        "medications",
        "immunizations",
        "observations",
        "history_entries",
    ):
        assert counts[kind] > 0, kind
    patients = load(db, Patient)
    encounters = load(db, Encounter)
    assert {e.patient_id for e in encounters} == {p.id for p in patients}
    with db.read() as s:
        for model in CHART_TABLES:
            total = s.execute(select(func.count(model.id))).scalar()
            assert total > 0, model.__tablename__
        events = s.execute(select(AuditEvent.detail).where(AuditEvent.entity == "demo")).all()
    assert sum(e.detail.startswith("synthetic charts of 60 patients") for e in events) == 1


def test_each_completed_appointment_has_its_encounter_and_old_visits_go_back_years(charted):
    db, _ = charted
    appointments = {a.id: a for a in load(db, Appointment)}
    encounters = load(db, Encounter)
    linked = Counter(e.appointment_id for e in encounters if e.appointment_id is not None)
    completed = {a.id for a in appointments.values() if a.status == "completed"}
    in_room = {a.id for a in appointments.values() if a.status == "in_room"}
    assert set(linked) == completed | in_room
    assert all(n == 1 for n in linked.values())
    for e in encounters:
        if e.appointment_id is not None:
            a = appointments[e.appointment_id]
            assert (a.patient_id, a.provider_id, a.starts_at) == (
                e.patient_id,
                e.provider_id,
                e.occurred_at,
            )
    oldest = min(e.occurred_at for e in encounters)
    assert (TODAY - oldest.date()).days > 5 * 365


def test_notes_are_signed_and_verify_and_todays_visits_are_drafts(charted):
    db, _ = charted
    actor = Actor.operator(db)
    appointments = {a.id: a for a in load(db, Appointment)}
    encounters = {e.id: e for e in load(db, Encounter)}
    notes = load(db, Note)
    assert len(notes) == len(encounters)
    drafts = [n for n in notes if n.status == "draft"]
    signed = [n for n in notes if n.status == "signed"]
    assert drafts and len(signed) > 10 * len(drafts)
    for n in drafts:
        a = appointments[encounters[n.encounter_id].appointment_id]
        assert a.status == "in_room"
        assert n.signed_by is None and n.signed_hash is None and n.subjective
    for n in signed:
        e = encounters[n.encounter_id]
        assert n.signed_by == e.provider_id
        assert n.signed_at >= e.occurred_at
        assert n.signed_hash == note_hash(n.subjective, n.objective, n.assessment, n.plan)
        assert n.subjective and n.objective and n.assessment and n.plan
    for n in signed[:: max(1, len(signed) // 40)]:
        assert verify_note(actor, n.id)


def test_problems_are_billable_icd10_codes_with_medications_that_match(charted):
    db, _ = charted
    problems = load(db, Problem)
    for p in problems:
        code = get_icd10(p.icd10_code)
        assert code.billable and p.description == code.description
        assert p.onset is not None and p.onset <= TODAY
        assert p.status in ("active", "resolved")
        assert (p.status == "resolved") == (p.resolved_on is not None)
    assert {p.status for p in problems} == {"active", "resolved"}
    meds = defaultdict(set)
    for m in load(db, Medication):
        meds[m.patient_id].add(m.name)
        assert m.started_on is not None and m.started_on <= TODAY
        assert (m.stopped_on is None) == (m.stop_reason == "")
    for p in problems:
        if p.icd10_code == "E11.9" and p.status == "active" and p.onset < TODAY.replace(month=1):
            assert meds[p.patient_id] & {"Metformin", "Metformin ER"}
        if p.icd10_code == "I10" and p.onset < TODAY.replace(month=1):
            assert meds[p.patient_id] & {"Lisinopril", "Losartan"}


def test_allergy_states_are_recorded_known_none_or_not_recorded(charted):
    db, _ = charted
    patients = {p.id for p in load(db, Patient)}
    allergic = {a.patient_id for a in load(db, Allergy)}
    no_known = {s.patient_id for s in load(db, AllergyStatus) if s.no_known_allergies}
    assert allergic and no_known and not (allergic & no_known)
    assert patients - allergic - no_known  # some never asked
    for a in load(db, Allergy):
        assert a.category in ("drug", "drug_class", "food", "environmental")
        assert a.severity in ("mild", "moderate", "severe") and a.reaction


def test_immunizations_have_cvx_codes_lots_sites_and_routes(charted):
    db, _ = charted
    doses = load(db, Immunization)
    sites, routes = {s.code for s in SITES}, {r.code for r in ROUTES}
    for d in doses:
        vaccine = get_cvx(d.cvx_code)
        assert d.vaccine == vaccine.short_description
        assert d.given_on <= TODAY
        if d.refused:
            assert d.refusal_reason and not d.lot_number
        else:
            assert d.lot_number and d.expires_on > d.given_on and d.manufacturer
            assert d.site in sites and d.route in routes
            assert d.historical == bool(d.source)
    given = {d.cvx_code for d in doses}
    assert given & {"140", "150", "135", "197"}  # influenza
    assert "115" in given  # Tdap
    assert given & {"207", "208", "309", "312"}  # COVID-19


def test_vitals_are_canonical_grouped_within_limits_and_flagged(charted):
    db, _ = charted
    vitals = {v.loinc_code: v for v in loinc.vital_signs()}
    encounters = {e.id: e for e in load(db, Encounter)}
    groups = defaultdict(list)
    observations = load(db, Observation)
    for o in observations:
        if o.category != "vital-signs":
            continue
        v = vitals[o.loinc_code]
        assert o.unit == v.ucum_unit and o.name == v.display_name
        loinc.check_vital(v.key, o.value_num)  # refuses impossible values
        assert o.flag == {"low": "L", "high": "H", None: ""}[loinc.flag_vital(v.key, o.value_num)]
        groups[o.group_id].append(o)
    assert len(groups) == sum(1 for e in encounters.values())
    for members in groups.values():
        assert len({(m.encounter_id, m.observed_at, m.patient_id) for m in members}) == 1
        assert len({m.loinc_code for m in members}) == len(members)
    flags = Counter(o.flag for o in observations if o.category == "vital-signs")
    assert flags["H"] and flags[""] > flags["H"]


def test_lab_panels_have_loinc_codes_ranges_and_flags(charted):
    db, _ = charted
    tests = {t.loinc_code: t for t in loinc.lab_tests()}
    panels = {p.id: p for p in load(db, LabPanel)}
    assert {p.name for p in panels.values()} >= {
        "Comprehensive metabolic panel",
        "Lipid panel",
        "CBC",
        "Hemoglobin A1c",
    }
    results = [o for o in load(db, Observation) if o.category == "laboratory"]
    for o in results:
        test = tests[o.loinc_code]
        assert o.unit == test.ucum_unit and o.name == chart.LAB_NAMES[test.key]
        assert o.ref_low is not None or o.ref_high is not None
        assert o.flag == compute_flag(o.value_num, "", o.ref_low, o.ref_high)
        panel = panels[o.panel_id]
        assert (panel.patient_id, panel.encounter_id, panel.collected_at) == (
            o.patient_id,
            o.encounter_id,
            o.observed_at,
        )
    assert {"H", "L", ""} <= {o.flag for o in results}


def test_history_has_family_social_and_surgical_entries(charted):
    db, _ = charted
    entries = load(db, HistoryEntry)
    assert {e.kind for e in entries} >= {"family", "social", "surgical"}
    assert {e.kind for e in entries} <= set(HISTORY_KINDS)
    social = {e.category for e in entries if e.kind == "social"}
    assert {"tobacco", "alcohol", "occupation"} <= social <= set(SOCIAL_CATEGORIES)
    assert all(e.relative for e in entries if e.kind == "family")


def test_the_big_chart(charted):
    db, _ = charted
    patients = load(db, Patient)
    big = next(p for p in patients if (TODAY - p.date_of_birth).days >= 50 * 365.25)
    with db.read() as s:
        encounters = s.execute(select(func.count()).where(Encounter.patient_id == big.id)).scalar()
        observations = s.execute(
            select(func.count()).where(Observation.patient_id == big.id)
        ).scalar()
        most = s.execute(
            select(Encounter.patient_id)
            .group_by(Encounter.patient_id)
            .order_by(func.count().desc())
            .limit(1)
        ).scalar()
    assert (encounters, observations) == (chart.BIG_CHART_ENCOUNTERS, chart.BIG_CHART_OBSERVATIONS)
    assert most == big.id


def test_each_row_belongs_to_the_patient_of_its_encounter(charted):
    db, _ = charted
    owner = {e.id: e.patient_id for e in load(db, Encounter)}
    for model in (Note, Observation, LabPanel):
        for row in load(db, model):
            assert owner[row.encounter_id] == row.patient_id, model.__tablename__


def _chart_rows(db) -> list[tuple]:
    with db.read() as s:
        return [
            *s.execute(
                select(Note.patient_id, Note.subjective, Note.plan, Note.signed_hash).order_by(
                    Note.id
                )
            ).all(),
            *s.execute(
                select(
                    Observation.patient_id,
                    Observation.loinc_code,
                    Observation.value_num,
                    Observation.observed_at,
                    Observation.group_id,
                ).order_by(Observation.id)
            ).all(),
            *s.execute(select(Problem.patient_id, Problem.icd10_code, Problem.onset)).all(),
        ]


def test_the_same_seed_and_day_give_the_same_charts(db, tmp_path: Path):
    demo.generate(db, patients=25, seed=4, today=TODAY)
    other = open_database(
        load_settings({"EMR_HOME": str(tmp_path / "other"), "EMR_DB_KEY": "5f" * 32}),
        create=True,
    )
    third = open_database(
        load_settings({"EMR_HOME": str(tmp_path / "third"), "EMR_DB_KEY": "5f" * 32}),
        create=True,
    )
    try:
        demo.generate(other, patients=25, seed=4, today=TODAY)
        demo.generate(third, patients=25, seed=5, today=TODAY)
        assert _chart_rows(other) == _chart_rows(db)
        assert _chart_rows(third) != _chart_rows(db)
    finally:
        other.dispose()
        third.dispose()


def test_a_second_run_charts_only_its_own_patients(db):
    progress: list[tuple[str, int, int]] = []
    demo.generate(db, patients=20, seed=1, today=TODAY)
    before = {model.__tablename__: load(db, model) for model in CHART_TABLES}
    first_patients = {p.id for p in load(db, Patient)}
    demo.generate(db, patients=20, seed=2, today=TODAY, progress=lambda *a: progress.append(a))
    assert ("chart", 20, 20) in progress
    for model in CHART_TABLES:
        old = [r for r in load(db, model) if r.patient_id in first_patients]
        kept = before[model.__tablename__]
        assert [(r.id, r.version) for r in old] == [(r.id, r.version) for r in kept]
    second = {p.id for p in load(db, Patient)} - first_patients
    charted = {e.patient_id for e in load(db, Encounter)}
    assert second <= charted
