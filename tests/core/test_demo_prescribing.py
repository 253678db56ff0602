"""The demo's prescriptions and referrals: signed prescriptions for the medications the practice
started, linked both ways, written as the prescriptions service writes them; referrals with
letters merged from the templates and statuses with dates; the same for the same seed."""

from __future__ import annotations

import json
import random
from dataclasses import fields
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from emr import demo
from emr.codes.drugs import find_drug
from emr.codes.icd10 import require_billable
from emr.config import load_settings
from emr.db import open_database
from emr.demo import chart, prescribing
from emr.demo.context import DemoContext
from emr.localtime import to_local
from emr.models import AuditEvent, Patient
from emr.models.chart import Encounter
from emr.models.clinical import Medication, Problem
from emr.models.prescribing import Prescription, Referral, ReferralTemplate
from emr.models.users import User
from emr.prescribing_checks import NEEDS_REASON
from emr.services.context import Actor
from emr.services.prescriptions import (
    PrescriptionInput,
    draft_prescription,
    render_sig,
)
from emr.services.referrals import STATUSES, chart_values, merge_text
from emr.services.users import npi_is_valid

TODAY = date(2026, 11, 25)


def load(db, model) -> list:
    with db.read() as s:
        rows = s.execute(select(model).order_by(model.id)).scalars().all()
        s.expunge_all()
    return rows


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory):
    """One demo practice of 150 patients, made once for the tests that only read it."""
    home = tmp_path_factory.mktemp("demo-prescribing")
    db = open_database(load_settings({"EMR_HOME": str(home), "EMR_DB_KEY": "5f" * 32}), create=True)
    counts = demo.generate(db, patients=150, seed=3, today=TODAY)
    yield db, counts
    db.dispose()


def test_the_area_runs_after_the_charts():
    assert demo.DEMO_AREAS.index("emr.demo.prescribing") == (
        demo.DEMO_AREAS.index("emr.demo.chart") + 1
    )


def test_every_demo_drug_is_written_with_a_formulary_drug():
    demo_drugs = {(d.name, d.dose) for c in (*chart.CONDITIONS, *chart.ACUTE) for d in c.drugs} | {
        (chart.PENICILLIN_ALTERNATIVE.name, chart.PENICILLIN_ALTERNATIVE.dose)
    }
    assert demo_drugs <= set(prescribing.SIGS)
    for name, _ in prescribing.SIGS:
        assert find_drug(name) is not None, name


def test_medications_started_here_have_their_signed_prescription_linked_both_ways(made):
    db, counts = made
    prescriptions = {p.id: p for p in load(db, Prescription)}
    medications = {m.id: m for m in load(db, Medication)}
    encounters = {e.id: e for e in load(db, Encounter)}
    physicians = {u.id for u in load(db, User) if u.role == "physician"}
    assert counts["prescriptions"] == len(prescriptions) > 100

    here = [m for m in medications.values() if m.source == "here"]
    # The demo physicians have no DEA number: the controlled stimulant keeps no prescription.
    linked = [m for m in here if m.prescription_id is not None]
    unlinked = {m.name for m in here if m.prescription_id is None}
    assert unlinked <= {"Methylphenidate ER"}
    assert len(linked) > 100
    for m in linked:
        p = prescriptions[m.prescription_id]
        assert p.medication_id == m.id and p.patient_id == m.patient_id
        assert p.status in ("signed", "discontinued")
        assert m.instructions == p.sig_text
    for m in medications.values():
        if m.source != "here":
            assert m.prescription_id is None

    signed = [p for p in prescriptions.values() if p.status != "draft"]
    for p in signed:
        m = medications[p.medication_id]
        assert m.source == "here" and m.patient_id == p.patient_id
        assert p.signed_by == p.prescriber_id and p.signed_by in physicians
        assert p.signed_at is not None and p.created_at <= p.signed_at
        assert p.version >= 2 and not p.entered_in_error
        if p.encounter_id is not None:
            e = encounters[p.encounter_id]
            assert e.patient_id == p.patient_id and e.provider_id == p.signed_by
            assert to_local(e.occurred_at).date() == to_local(p.signed_at).date()
        elif p.renewed_from_id is None:  # written between visits, the day it was started
            assert to_local(p.signed_at).date() == m.started_on
    with_visit = sum(p.encounter_id is not None for p in signed)
    assert with_visit > len(signed) / 4


def test_prescriptions_carry_the_formulary_facts_and_the_services_sig(made):
    db, _ = made
    problems = {p.id: p for p in load(db, Problem)}
    for p in load(db, Prescription):
        drug = find_drug(p.drug_name)
        assert drug is not None and drug.generic_name == p.drug_name
        assert p.drug_classes == ",".join(sorted(drug.classes))
        assert p.schedule == drug.schedule and p.rxnorm == drug.rxnorm
        assert p.sig_text == render_sig(
            dose_amount=p.dose_amount,
            dose_unit=p.dose_unit,
            route=p.route,
            frequency=p.frequency,
            duration_days=p.duration_days,
            as_needed=p.as_needed,
            as_needed_reason=p.as_needed_reason,
        )
        assert p.quantity.isdigit() and int(p.quantity) > 0 and p.quantity_unit
        assert 0 <= p.refills <= 11
        require_billable(p.diagnosis_code)
        if p.problem_id is not None:
            problem = problems[p.problem_id]
            assert problem.patient_id == p.patient_id
            assert problem.icd10_code == p.diagnosis_code
    rows = load(db, Prescription)
    assert any(p.dispense_as_written for p in rows)
    assert any(p.as_needed for p in rows) and any(p.duration_days for p in rows)
    assert sum(p.problem_id is not None for p in rows) > len(rows) / 2


def test_a_prescription_drafted_by_the_service_reads_as_the_demos(db):
    """The service, given the demo's structured fields, writes the same sig text, drug name,
    classes, schedule and RxNorm code."""
    demo.generate(db, patients=40, seed=2, today=TODAY)
    rows = load(db, Prescription)
    physician = next(u.id for u in load(db, User) if u.role == "physician")
    operator = Actor.operator(db)
    kinds = {(p.drug_name, p.strength, p.sig_text, p.quantity): p for p in rows}
    assert len(kinds) > 10
    wanted = {f.name for f in fields(PrescriptionInput)} - {
        "prescriber_id",
        "encounter_id",
        "drug_classes",
    }
    for p in kinds.values():
        data = PrescriptionInput(
            **{name: getattr(p, name) for name in wanted},
            drug_classes=(),
            prescriber_id=physician,
        )
        record = draft_prescription(operator, p.patient_id, data)
        assert record.sig == p.sig_text
        assert record.drug_name == p.drug_name
        assert ",".join(record.drug_classes) == p.drug_classes
        assert (record.schedule, record.rxnorm, record.route) == (p.schedule, p.rxnorm, p.route)
        assert (record.frequency, record.quantity, record.refills) == (
            p.frequency,
            p.quantity,
            p.refills,
        )


def test_alerts_shown_at_signing_are_kept_with_a_reason_for_each_major_one(made):
    db, _ = made
    kept = []
    for p in load(db, Prescription):
        if p.status == "draft":
            assert p.alerts_overridden == ""
            continue
        for alert in json.loads(p.alerts_overridden):
            assert set(alert) == {"key", "severity", "kind", "text", "reason"}
            assert bool(alert["reason"]) == (alert["severity"] in NEEDS_REASON)
            kept.append(alert)
    assert kept, "some demo patients get an alert (two drugs of a class, an interaction)"


def test_discontinued_and_renewed_prescriptions_keep_the_medication_list_in_step(made):
    db, _ = made
    prescriptions = {p.id: p for p in load(db, Prescription)}
    medications = {m.id: m for m in load(db, Medication)}
    stopped = [p for p in prescriptions.values() if p.status == "discontinued"]
    assert stopped
    for p in stopped:
        m = medications[p.medication_id]
        assert m.stopped_on is not None and m.stop_reason == p.discontinue_reason != ""
        assert p.discontinued_at >= p.signed_at
    renewals = [p for p in prescriptions.values() if p.renewed_from_id and p.status != "draft"]
    assert renewals
    for p in renewals:
        old = prescriptions[p.renewed_from_id]
        assert old.medication_id == p.medication_id and old.patient_id == p.patient_id
        assert medications[p.medication_id].prescription_id == p.id
        assert medications[p.medication_id].stopped_on is None
        assert old.signed_at < p.signed_at and (TODAY - to_local(p.signed_at).date()).days < 366
        assert old.sig_text == p.sig_text


def test_todays_visits_have_drafts_for_the_physician_to_sign(made):
    db, counts = made
    encounters = {e.id: e for e in load(db, Encounter)}
    drafts = [p for p in load(db, Prescription) if p.status == "draft"]
    assert drafts
    for p in drafts:
        e = encounters[p.encounter_id]
        assert to_local(e.occurred_at).date() == TODAY and e.patient_id == p.patient_id
        assert p.prescriber_id == e.provider_id and p.signed_by is None and p.signed_at is None
        assert p.medication_id is None and p.version == 1


def test_referrals_have_merged_letters_specialists_and_statuses_with_dates(made):
    db, counts = made
    referrals = load(db, Referral)
    assert counts["referrals"] == len(referrals) >= 5
    templates = {t.id: t for t in load(db, ReferralTemplate)}
    encounters = {e.id: e for e in load(db, Encounter)}
    names = {u.id: u.full_name for u in load(db, User)}
    problems = load(db, Problem)
    statuses = set()
    for r in referrals:
        statuses.add(r.status)
        assert r.status in STATUSES and r.status != "draft"
        template = templates[r.template_id]
        assert template.specialty in ("", r.to_specialty)
        e = encounters[r.encounter_id]
        assert e.patient_id == r.patient_id and e.provider_id == r.referring_provider_id
        assert r.sent_on is not None and to_local(e.occurred_at).date() <= r.sent_on <= TODAY
        if r.appointment_on is not None:
            assert r.appointment_on > r.sent_on
        if r.status == "report_received":
            assert r.appointment_on < r.report_received_on <= TODAY
        if r.status in ("appointment_made", "report_received"):
            assert r.appointment_on is not None
        assert len(r.status_note.splitlines()) == r.version - 1
        assert npi_is_valid(r.to_npi) and r.to_name and r.to_organization and r.to_address
        assert any(
            p.patient_id == r.patient_id and p.icd10_code == r.diagnosis_codes for p in problems
        )
        require_billable(r.diagnosis_codes)
        assert "{" not in r.letter_text and r.to_name in r.letter_text
    assert {"report_received", "appointment_made"} <= statuses

    # The letter is the template merged by the referral service with the chart of its day.
    r = referrals[0]
    with db.read() as s:
        values = chart_values(
            s, s.get(Patient, r.patient_id), to_local(encounters[r.encounter_id].occurred_at).date()
        )
    rule = next(
        x for x in prescribing.REFERRAL_RULES if x.reason[0].upper() + x.reason[1:] == r.reason
    )
    values |= {
        "referring_provider": names[r.referring_provider_id],
        "receiving_provider": r.to_name,
        "specialty": r.to_specialty,
        "reason": rule.reason,
    }
    assert r.letter_text == merge_text(templates[r.template_id].body, values)


def test_the_generation_is_audited_once(made):
    db, _ = made
    with db.read() as s:
        details = (
            s.execute(
                select(AuditEvent.detail).where(
                    AuditEvent.entity == "demo",
                    AuditEvent.detail.like("synthetic prescriptions and referrals%"),
                )
            )
            .scalars()
            .all()
        )
    assert len(details) == 1 and "prescriptions" in details[0]


def _rows(db) -> list[tuple]:
    out = []
    for model in (Prescription, Referral, Medication):
        columns = [c for c in model.__table__.columns]
        with db.read() as s:
            out.append([tuple(r) for r in s.execute(select(*columns).order_by(model.id))])
    return out


def test_the_same_seed_and_day_give_the_same_prescriptions_and_referrals(db, tmp_path: Path):
    demo.generate(db, patients=40, seed=4, today=TODAY)
    other = open_database(
        load_settings({"EMR_HOME": str(tmp_path / "other"), "EMR_DB_KEY": "5f" * 32}),
        create=True,
    )
    third = open_database(
        load_settings({"EMR_HOME": str(tmp_path / "third"), "EMR_DB_KEY": "5f" * 32}),
        create=True,
    )
    try:
        demo.generate(other, patients=40, seed=4, today=TODAY)
        demo.generate(third, patients=40, seed=5, today=TODAY)
        mine = _rows(db)
        assert mine[0] and mine[1]
        assert _rows(other) == mine
        assert _rows(third) != mine
    finally:
        other.dispose()
        third.dispose()


def test_alone_it_fills_the_charts_that_have_no_prescriptions(db, monkeypatch):
    monkeypatch.setattr(demo, "DEMO_AREAS", demo.DEMO_AREAS[:3])
    demo.generate(db, patients=30, seed=1, today=TODAY)
    assert load(db, Prescription) == []
    ctx = DemoContext(
        db=db,
        rng=random.Random(1),
        seed=1,
        patients=0,
        today=TODAY,
        operator=Actor.operator(db, "demo"),
    )
    counts = prescribing.generate(ctx)
    assert counts["prescriptions"] == len(load(db, Prescription)) > 0
    linked = [m for m in load(db, Medication) if m.prescription_id is not None]
    assert linked and all(m.source == "here" for m in linked)
