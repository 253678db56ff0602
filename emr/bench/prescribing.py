"""Benchmarks of prescribing and its documents: the safety check of a draft for a patient on 15
medications, drug search, a prescription's PDF and a referral letter's PDF.

Set-up, before any timing:
- A benchmark database built before the demo made prescriptions (its ready marker is kept, so
  it is reused) gets them now: emr.demo.prescribing runs alone on it and fills the charts that
  have none, rather than the whole database being built again.
- The patient on 15 medications is registered once through the services (and found again on
  later runs): 15 current medications, a penicillin and a sulfa allergy, and drafts of drugs
  that meet them (ibuprofen with warfarin, clarithromycin with atorvastatin, amoxicillin with
  the penicillin allergy, co-trimoxazole with the sulfa allergy and warfarin, fluoxetine
  beside sertraline). The timed check is emr.services.prescriptions.check_prescription of one
  draft after another: every draft is checked against the allergies, the 15 medications and
  the other drafts, and the check is audited.

Floors (the statements an operation needs on the bare driver, in one transaction with the
audit events it writes):
- the check: the draft, the patient, the active allergies, the medications and the other
  drafts; the checking itself (pure Python) is left out, so the difference is the service, the
  ORM and the checks;
- the prescription PDF: the prescription, patient and prescriber rows, the count of prints
  and the audit event (reportlab's drawing is the difference);
- the referral letter PDF: the referral, its physician, the patient and the practice profile,
  with the two audit events (referral and patient viewed);
- drug search: none. The formulary is searched in memory (the simplest scan is what
  search_formulary does) and the practice's products by one indexed LIKE query.
Printing a prescription again marks it COPY and is audited as a print: the runs do so.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

from sqlalchemy import exists, func, select

from emr.bench import BenchContext, Operation
from emr.bench.raw import RawConnection
from emr.models.patients import Patient
from emr.models.prescribing import Prescription, Referral
from emr.services.context import Actor

SAMPLE_SIZE = 40
MEDICATIONS = 15
BENCH_FAMILY = "Benchmark"
BENCH_GIVEN = "Polly"
BENCH_DOB = date(1948, 3, 14)

# (name, dose, frequency, reason): the 15 current medications
CURRENT: tuple[tuple[str, str, str, str], ...] = (
    ("warfarin", "5 mg", "once daily", "Atrial fibrillation"),
    ("lisinopril", "20 mg", "once daily", "Hypertension"),
    ("amlodipine", "5 mg", "once daily", "Hypertension"),
    ("atorvastatin", "40 mg", "at bedtime", "Hyperlipidemia"),
    ("metformin", "1000 mg", "twice daily", "Type 2 diabetes"),
    ("sertraline", "50 mg", "once daily", "Depression"),
    ("omeprazole", "20 mg", "every morning", "Reflux"),
    ("levothyroxine", "75 mcg", "every morning", "Hypothyroidism"),
    ("metoprolol", "50 mg", "twice daily", "Atrial fibrillation"),
    ("spironolactone", "25 mg", "once daily", "Heart failure"),
    ("gabapentin", "300 mg", "three times daily", "Neuropathy"),
    ("furosemide", "40 mg", "once daily", "Heart failure"),
    ("albuterol", "90 mcg/actuation, 2 puffs", "every 4 hours as needed", "COPD"),
    ("allopurinol", "300 mg", "once daily", "Gout"),
    ("digoxin", "125 mcg", "once daily", "Atrial fibrillation"),
)
ALLERGIES = (("Penicillin", "drug", "Hives", "moderate"), ("Sulfa", "drug_class", "Rash", "mild"))
# (drug, strength, dose form, dose, unit, frequency, days, quantity, quantity unit)
DRAFTS: tuple[tuple[str, str, str, str, str, str, int, str, str], ...] = (
    ("ibuprofen", "600 mg", "tablet", "1", "tablet", "three times daily", 7, "21", "tablets"),
    ("clarithromycin", "500 mg", "tablet", "1", "tablet", "twice daily", 7, "14", "tablets"),
    ("amoxicillin", "500 mg", "capsule", "1", "capsule", "three times daily", 10, "30", "capsules"),
    (
        "sulfamethoxazole / trimethoprim",
        "800 mg/160 mg",
        "tablet",
        "1",
        "tablet",
        "twice daily",
        5,
        "10",
        "tablets",
    ),
    ("fluoxetine", "20 mg", "capsule", "1", "capsule", "once daily", 30, "30", "capsules"),
)
DRUG_QUERIES = (
    "lis",
    "amox",
    "ator",
    "met",
    "Lipitor",
    "hydro",
    "s",
    "ome",
    "sert",
    "pred",
    "amox clav",
    "Zol",
)


def operations(ctx: BenchContext) -> list[Operation]:
    if not _has_patients(ctx):
        return []
    _ensure_demo_prescribing(ctx)
    from emr.printing.prescription import prescription_pdf
    from emr.printing.referral import referral_pdf
    from emr.services.drug_catalog import search_drugs
    from emr.services.prescriptions import check_prescription

    actor = ctx.actor
    raw = RawConnection(ctx.db)
    many = ensure_patient_on_15_medications(ctx)
    signed = _sample(ctx, Prescription, Prescription.status == "signed")
    referrals = _sample(ctx, Referral, Referral.status != "draft")

    ops = [
        Operation(
            "prescribing_check_patient_on_15_medications",
            run=lambda i: check_prescription(actor, many.drafts[i % len(many.drafts)]),
            floor=lambda i: _raw_check(raw, many.patient_id, many.drafts[i % len(many.drafts)]),
        ),
        Operation(
            "prescribing_drug_search",
            run=lambda i: search_drugs(actor, DRUG_QUERIES[i % len(DRUG_QUERIES)]),
            floor=None,
        ),
    ]
    if signed:
        ops.append(
            Operation(
                "prescribing_prescription_pdf",
                run=lambda i: prescription_pdf(actor, [signed[i % len(signed)]]),
                floor=lambda i: _raw_prescription_print(raw, signed[i % len(signed)]),
            )
        )
    if referrals:
        ops.append(
            Operation(
                "prescribing_referral_letter_pdf",
                run=lambda i: referral_pdf(actor, referrals[i % len(referrals)]),
                floor=lambda i: _raw_referral_print(raw, referrals[i % len(referrals)]),
            )
        )
    return ops


# --- set-up ------------------------------------------------------------------------------------


def _has_patients(ctx: BenchContext) -> bool:
    with ctx.db.read() as s:
        return s.execute(select(Patient.id).limit(1)).first() is not None


def _ensure_demo_prescribing(ctx: BenchContext) -> None:
    """A database built before the demo wrote prescriptions gets them now (its charts are
    filled by the demo area alone; nothing else is made again)."""
    with ctx.db.read() as s:
        made = s.execute(select(exists().where(Prescription.signed_by.is_not(None)))).scalar()
    if made:
        return
    from emr.demo import prescribing
    from emr.demo.context import DemoContext

    prescribing.generate(
        DemoContext(
            db=ctx.db,
            rng=random.Random("1:emr.demo.prescribing"),
            seed=1,
            patients=ctx.patients,
            today=date.today(),
            operator=Actor.operator(ctx.db, "demo"),
        )
    )


@dataclass(frozen=True)
class PatientOn15:
    patient_id: int
    drafts: tuple[int, ...]


def ensure_patient_on_15_medications(ctx: BenchContext) -> PatientOn15:
    """The benchmark's patient on 15 medications with its drafts: made once, then found."""
    from emr.services.allergies import add_allergy
    from emr.services.medications import add_medication
    from emr.services.patients import PatientInput, register_patient
    from emr.services.prescriptions import PrescriptionInput, draft_prescription
    from emr.services.schedule_setup import provider_rows

    actor = ctx.actor
    with ctx.db.read() as s:
        found = s.execute(
            select(Patient.id)
            .where(
                Patient.family_name == BENCH_FAMILY,
                Patient.given_name == BENCH_GIVEN,
                Patient.date_of_birth == BENCH_DOB,
            )
            .order_by(Patient.id)
            .limit(1)
        ).scalar()
        if found is not None:
            drafts = s.execute(
                select(Prescription.id)
                .where(Prescription.patient_id == found, Prescription.status == "draft")
                .order_by(Prescription.id)
            ).scalars()
            return PatientOn15(found, tuple(drafts))
        prescriber = provider_rows(s)[0].id
    patient = register_patient(
        actor,
        PatientInput(
            family_name=BENCH_FAMILY,
            given_name=BENCH_GIVEN,
            date_of_birth=BENCH_DOB,
            sex="F",
            address_line1="1 Test Street",
            city="Springfield",
            state="IL",
            postal_code="62701",
        ),
        allow_duplicate=True,
    )
    for substance, category, reaction, severity in ALLERGIES:
        add_allergy(actor, patient.id, substance, category, reaction=reaction, severity=severity)
    for name, dose, frequency, reason in CURRENT:
        add_medication(
            actor,
            patient.id,
            name,
            dose=dose,
            route="by mouth" if name != "albuterol" else "inhaled",
            frequency=frequency,
            reason=reason,
            started_on=date(2020, 1, 6),
            source="here",
        )
    drafts = []
    for drug, strength, form, amount, unit, frequency, days, quantity, q_unit in DRAFTS:
        draft = draft_prescription(
            actor,
            patient.id,
            PrescriptionInput(
                drug_name=drug,
                strength=strength,
                dose_form=form,
                route="oral",
                dose_amount=amount,
                dose_unit=unit,
                frequency=frequency,
                duration_days=days,
                quantity=quantity,
                quantity_unit=q_unit,
                prescriber_id=prescriber,
            ),
        )
        drafts.append(draft.id)
    return PatientOn15(patient.id, tuple(drafts))


def _sample(ctx: BenchContext, model, condition) -> list[int]:
    """A fixed random sample of the rows' ids (by id: the demo's rows are numbered densely)."""
    with ctx.db.read() as s:
        top = s.execute(select(func.max(model.id))).scalar()
        if top is None:
            return []
        wanted = sorted({ctx.rng.randint(1, top) for _ in range(SAMPLE_SIZE * 3)})
        ids = s.execute(
            select(model.id)
            .where(model.id.in_(wanted), condition, model.entered_in_error.is_(False))
            .order_by(model.id)
        ).scalars()
        found = list(ids)[:SAMPLE_SIZE]
        if not found:
            found = list(
                s.execute(
                    select(model.id).where(condition).order_by(model.id).limit(SAMPLE_SIZE)
                ).scalars()
            )
    return found


# --- floors ------------------------------------------------------------------------------------


def _raw_check(raw: RawConnection, patient_id: int, prescription_id: int) -> None:
    cur = raw.begin_write()
    cur.execute("SELECT * FROM prescriptions WHERE id = ?", (prescription_id,)).fetchone()
    cur.execute("SELECT id FROM patients WHERE id = ?", (patient_id,)).fetchone()
    cur.execute(
        "SELECT substance, category, reaction, severity FROM allergies WHERE patient_id = ? "
        "AND entered_in_error = 0 AND status = 'active'",
        (patient_id,),
    ).fetchall()
    cur.execute(
        "SELECT id, name, stopped_on FROM medications WHERE patient_id = ? "
        "AND entered_in_error = 0",
        (patient_id,),
    ).fetchall()
    cur.execute(
        "SELECT id, drug_name, drug_classes FROM prescriptions WHERE patient_id = ? "
        "AND status = 'draft' AND entered_in_error = 0 AND id != ?",
        (patient_id, prescription_id),
    ).fetchall()
    raw.audit(
        cur,
        action="view",
        entity="prescriptions",
        entity_id=prescription_id,
        patient_id=patient_id,
        detail="checked",
    )
    raw.commit()


def _raw_prescription_print(raw: RawConnection, prescription_id: int) -> None:
    cur = raw.begin_write()
    row = cur.execute(
        "SELECT patient_id, prescriber_id FROM prescriptions WHERE id = ?", (prescription_id,)
    ).fetchone()
    cur.execute("SELECT * FROM prescriptions WHERE id = ?", (prescription_id,)).fetchone()
    cur.execute("SELECT * FROM patients WHERE id = ?", (row[0],)).fetchone()
    cur.execute("SELECT * FROM users WHERE id = ?", (row[1],)).fetchone()
    cur.execute("SELECT * FROM practice_profile WHERE id = 1").fetchone()
    cur.execute(
        "UPDATE prescriptions SET times_printed = times_printed + 1 WHERE id = ?",
        (prescription_id,),
    )
    raw.audit(
        cur,
        action="view",
        entity="prescriptions",
        entity_id=prescription_id,
        patient_id=row[0],
        detail="printed",
    )
    raw.commit()


def _raw_referral_print(raw: RawConnection, referral_id: int) -> None:
    cur = raw.begin_write()
    row = cur.execute(
        "SELECT patient_id, referring_provider_id FROM referrals WHERE id = ?", (referral_id,)
    ).fetchone()
    cur.execute("SELECT * FROM referrals WHERE id = ?", (referral_id,)).fetchone()
    cur.execute("SELECT * FROM users WHERE id = ?", (row[1],)).fetchone()
    cur.execute("SELECT * FROM patients WHERE id = ?", (row[0],)).fetchone()
    cur.execute("SELECT * FROM practice_profile WHERE id = 1").fetchone()
    for entity in ("referrals", "patient"):
        raw.audit(
            cur,
            action="view",
            entity=entity,
            entity_id=referral_id if entity == "referrals" else row[0],
            patient_id=row[0],
            detail="printed" if entity == "referrals" else "",
        )
    raw.commit()
