"""Synthetic prescriptions and referrals for the demo's charts.

Prescriptions: every medication the practice started (source "here", from emr.demo.chart) gets
the signed prescription that started it, as emr.services.prescriptions.sign_prescription would
have left it: signed by the provider of the visit it was written at (the visit on or shortly
before the start; else the patient's own physician), a structured sig and the sig text rendered
by the service's own `render_sig`, quantity and refills for a 30- or 90-day supply (a course's
length for short illnesses), dispense as written now and then, the diagnosis of the matching
problem, the formulary's drug classes, schedule and RxNorm code, and the alerts the checks
gave against the chart of that day (each major one with the reason it was overridden). The
prescription and its medication point at each other. A medication stopped for a reason other
than a completed course has its prescription discontinued with that reason; a chronic one
still taken after a year was renewed within the last year (the renewal continues the same
medication). Some of today's visits get a draft (a renewal, or the usual drug for the visit's
acute complaint) for the physician to sign. A controlled substance is signed only by a
physician with a DEA number (none among the demo physicians: those medications keep no
prescription).

Referrals: patients with conditions a family physician refers for (atrial fibrillation to
cardiology, knee osteoarthritis to orthopedics and physical therapy, eczema to dermatology …)
are sometimes referred at one of their visits, the letter merged from the practice's starter
template for the specialty (or the general one) with the service's own merge
(emr.services.referrals: the chart's values on the letter's day, then `merge_text`), and
followed through sent, appointment made and report received with their dates and status notes.

Rows go in by Core executemany, a batch of patients per transaction, ids allocated inside it;
one audit event summarises the generation. Alone (no patients made in this run), the area
fills the charts that have no prescription or referral yet.
"""

from __future__ import annotations

import bisect
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import bindparam, func, select, text, update

from emr.codes.drugs import Drug as FormularyDrug
from emr.codes.drugs import find_drug
from emr.demo import chart
from emr.demo.context import DemoContext
from emr.localtime import to_local, to_utc
from emr.models.chart import Encounter
from emr.models.clinical import Allergy, Medication, Problem
from emr.models.patients import Patient
from emr.models.prescribing import Prescription, Referral, ReferralTemplate
from emr.models.users import User
from emr.prescribing_checks import AllergyInHand, check_prescribing, drug_in_hand
from emr.security import audit
from emr.services.medications import is_current
from emr.services.prescriptions import (
    OverriddenAlert,
    frequency_text,
    render_sig,
    route_key,
)
from emr.services.referrals import STATUS_LABELS, chart_values, merge_text, seed_starter_templates
from emr.services.schedule_setup import provider_rows

AREA = "prescribing"
BATCH_PATIENTS = 5_000
WRITTEN_WITHIN_DAYS = 45  # a prescription is written at a visit this close before the start
RENEW_AFTER_DAYS = 365
DRAFT_SHARE = 0.5  # of today's visits
DAW_SHARE = 0.04
NINETY_DAY_SHARE = 0.35
REFERRAL_WITHIN_DAYS = 730  # referrals are made at visits of the last two years
CLINIC_MINUTE = 12 * 60  # a prescription written between visits (a refill request)
COURSE_COMPLETED = "Course completed"


# --- how each demo drug is prescribed ----------------------------------------------------------


@dataclass(frozen=True)
class Sig:
    """A demo medication as a prescription writes it. `per_day`: units taken a day (to reckon
    the quantity); `fill`: a fixed quantity per 30 days (an inhaler, a tube) instead."""

    strength: str
    dose_form: str
    dose_amount: str
    dose_unit: str
    route: str
    frequency: str
    per_day: int
    quantity_unit: str
    as_needed_reason: str = ""
    fill: int = 0


def _tab(strength: str, frequency: str, per_day: int = 1, form: str = "tablet") -> Sig:
    unit = "capsule" if "capsule" in form else "tablet"
    return Sig(strength, form, "1", unit, "oral", frequency, per_day, unit + "s")


# Keyed by the demo's medication name and dose (emr.demo.chart CONDITIONS and ACUTE).
# fmt: off
SIGS: dict[tuple[str, str], Sig] = {
    ("Lisinopril", "10 mg"): _tab("10 mg", "once daily"),
    ("Losartan", "50 mg"): _tab("50 mg", "once daily"),
    ("Atorvastatin", "20 mg"): _tab("20 mg", "at bedtime"),
    ("Rosuvastatin", "10 mg"): _tab("10 mg", "once daily"),
    ("Metformin", "500 mg"): _tab("500 mg", "twice daily", 2),
    ("Metformin ER", "1000 mg"): Sig("500 mg ER", "extended-release tablet", "2", "tablet",
                                     "oral", "once daily", 2, "tablets"),
    ("Albuterol HFA", "90 mcg/actuation, 2 puffs"): Sig(
        "90 mcg/actuation", "inhaler", "2", "puff", "inhalation", "every 4 hours", 0,
        "inhalers", as_needed_reason="shortness of breath", fill=1),
    ("Fluticasone HFA", "110 mcg, 2 puffs"): Sig(
        "110 mcg/actuation", "inhaler", "2", "puff", "inhalation", "twice daily", 0, "inhalers",
        fill=1),
    ("Sertraline", "50 mg"): _tab("50 mg", "once daily"),
    ("Escitalopram", "10 mg"): _tab("10 mg", "once daily"),
    ("Bupropion XL", "150 mg"): _tab("150 mg", "every morning", form="extended-release tablet"),
    ("Omeprazole", "20 mg"): _tab("20 mg", "every morning", form="delayed-release capsule"),
    ("Famotidine", "20 mg"): _tab("20 mg", "twice daily", 2),
    ("Levothyroxine", "50 mcg"): _tab("50 mcg", "every morning"),
    ("Cetirizine", "10 mg"): _tab("10 mg", "once daily"),
    ("Fluticasone nasal", "50 mcg, 2 sprays each nostril"): Sig(
        "50 mcg/spray", "nasal spray", "2", "spray", "nasal", "once daily", 0, "bottles", fill=1),
    ("Apixaban", "5 mg"): _tab("5 mg", "twice daily", 2),
    ("Metoprolol succinate", "25 mg"): _tab("25 mg", "once daily",
                                            form="extended-release tablet"),
    ("Acetaminophen", "500 mg"): Sig("500 mg", "tablet", "1", "tablet", "oral", "every 6 hours",
                                     4, "tablets", as_needed_reason="pain"),
    ("Tiotropium", "18 mcg"): Sig("18 mcg", "inhalation powder capsule", "1", "capsule",
                                  "inhalation", "once daily", 1, "capsules"),
    ("Methylphenidate ER", "18 mg"): _tab("18 mg", "every morning",
                                          form="extended-release tablet"),
    ("Hydrocortisone 2.5% cream", "thin layer"): Sig(
        "2.5% cream", "cream", "1", "application", "topical", "twice daily", 0, "tubes", fill=1),
    ("Amoxicillin", "500 mg"): _tab("500 mg", "twice daily", 2, form="capsule"),
    ("Amoxicillin", "400 mg/5 mL, 5 mL"): Sig("400 mg/5 mL", "oral suspension", "5", "mL",
                                               "oral", "twice daily", 10, "mL"),
    ("Nitrofurantoin", "100 mg"): _tab("100 mg", "twice daily", 2, form="capsule"),
    ("Ibuprofen", "600 mg"): _tab("600 mg", "three times daily", 3),
    ("Cyclobenzaprine", "5 mg"): _tab("5 mg", "at bedtime"),
    ("Benzonatate", "100 mg"): _tab("100 mg", "three times daily", 3, form="capsule"),
    ("Azithromycin", "250 mg"): _tab("250 mg", "once daily"),
}
# fmt: on

# Why an alert that needs a reason was overridden, by the alert's kind.
OVERRIDE_REASONS: dict[str, tuple[str, ...]] = {
    "interaction": (
        "Benefit outweighs the risk; patient counselled on warning signs",
        "Short course; will monitor closely",
        "Discussed with the patient; follow-up visit booked",
    ),
    "duplicate": (
        "Switching: the other is being stopped",
        "Cross-taper planned over two weeks",
    ),
    "allergy": ("Allergy history reviewed: tolerated this drug before",),
    "cross_sensitivity": ("Low cross-reactivity; tolerated before without reaction",),
}

# --- referrals ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Specialist:
    name: str
    organization: str
    address: str
    phone: str
    fax: str
    npi: str


def npi_with_check_digit(first_nine: str) -> str:
    """The NPI with its check digit (Luhn over "80840" and the nine digits, as CMS defines)."""
    total = 0
    for i, ch in enumerate(reversed("80840" + first_nine)):
        d = int(ch)
        if i % 2 == 0:  # every second digit from the right, the check digit's place left out
            d *= 2
            d = d - 9 if d > 9 else d
        total += d
    return first_nine + str((10 - total % 10) % 10)


# fmt: off
_DIRECTORY: dict[str, tuple[tuple[str, str, str, str, str, str], ...]] = {
    "Cardiology": (
        ("Dr. Helen Brandt", "Springfield Heart Center", "1200 Cardinal Way, Suite 300\n"
         "Springfield, IL 62704", "(217) 555-0142", "(217) 555-0143", "198765432"),
        ("Dr. Samuel Osei", "Valley Cardiology Associates", "44 Mercy Drive\n"
         "Springfield, IL 62702", "(217) 555-0188", "(217) 555-0189", "176543210"),
    ),
    "Endocrinology": (
        ("Dr. Priya Raman", "Springfield Diabetes & Endocrine Clinic", "310 Oak Street\n"
         "Springfield, IL 62701", "(217) 555-0231", "(217) 555-0232", "154321098"),
    ),
    "Ophthalmology": (
        ("Dr. Lucas Ferreira", "Clear View Eye Care", "85 Lakeshore Boulevard\n"
         "Springfield, IL 62703", "(217) 555-0310", "(217) 555-0311", "132109876"),
    ),
    "Orthopedics": (
        ("Dr. Karen Whitfield", "Springfield Bone & Joint", "900 Memorial Parkway\n"
         "Springfield, IL 62704", "(217) 555-0420", "(217) 555-0421", "121098765"),
    ),
    "Physical therapy": (
        ("Jordan Ellis, DPT", "MoveWell Physical Therapy", "18 Market Square\n"
         "Springfield, IL 62701", "(217) 555-0515", "(217) 555-0516", "110987654"),
        ("Ana Costa, PT", "Riverside Rehab", "402 River Road\nSpringfield, IL 62702",
         "(217) 555-0533", "(217) 555-0534", "109876543"),
    ),
    "Dermatology": (
        ("Dr. Nadia Haddad", "Springfield Skin Clinic", "77 Elm Avenue\n"
         "Springfield, IL 62703", "(217) 555-0624", "(217) 555-0625", "187654321"),
    ),
    "Pulmonology": (
        ("Dr. Thomas Becker", "Central Illinois Lung & Sleep", "1500 Wabash Avenue\n"
         "Springfield, IL 62704", "(217) 555-0712", "(217) 555-0713", "165432109"),
    ),
    "Nephrology": (
        ("Dr. Grace Mensah", "Prairie Kidney Care", "260 Capitol Avenue\n"
         "Springfield, IL 62701", "(217) 555-0806", "(217) 555-0807", "143210987"),
    ),
    "Gastroenterology": (
        ("Dr. Daniel Kowalski", "Springfield Digestive Health", "615 Jefferson Street\n"
         "Springfield, IL 62702", "(217) 555-0901", "(217) 555-0902", "112345678"),
    ),
    "Psychiatry": (
        ("Dr. Maria Gonzalez", "Lincoln Behavioral Health", "33 Lincoln Plaza\n"
         "Springfield, IL 62701", "(217) 555-0977", "(217) 555-0978", "123456780"),
    ),
}
# fmt: on
SPECIALISTS: dict[str, tuple[Specialist, ...]] = {
    specialty: tuple(
        Specialist(n, org, address, phone, fax, npi_with_check_digit(nine))
        for n, org, address, phone, fax, nine in entries
    )
    for specialty, entries in _DIRECTORY.items()
}


@dataclass(frozen=True)
class ReferralRule:
    code: str  # the problem (ICD-10-CM) the patient is referred for
    specialty: str
    reason: str  # completes "whom I am referring to you for …"
    share: float  # of the patients with the problem
    urgent_share: float = 0.05


# fmt: off
REFERRAL_RULES: tuple[ReferralRule, ...] = (
    ReferralRule("I48.91", "Cardiology",
                 "atrial fibrillation: rhythm control and review of anticoagulation", .35, .15),
    ReferralRule("I10", "Cardiology",
                 "blood pressure above goal on two agents; evaluation for secondary causes", .03),
    ReferralRule("E11.9", "Endocrinology",
                 "type 2 diabetes with the A1c above goal despite metformin", .06),
    ReferralRule("E11.9", "Ophthalmology", "the yearly diabetic retinal examination", .12, 0),
    ReferralRule("E03.9", "Endocrinology",
                 "hypothyroidism with the TSH out of range on levothyroxine", .05),
    ReferralRule("M17.9", "Orthopedics",
                 "knee osteoarthritis with pain limiting walking despite physical therapy", .12),
    ReferralRule("M17.9", "Physical therapy",
                 "knee osteoarthritis: strengthening, gait training and a home program", .18, 0),
    ReferralRule("M54.50", "Physical therapy",
                 "low back pain: core strengthening and posture training", .08, 0),
    ReferralRule("S93.401A", "Physical therapy",
                 "an ankle sprain: balance and strengthening exercises", .1, 0),
    ReferralRule("L20.9", "Dermatology",
                 "eczema not controlled with emollients and a topical steroid", .12),
    ReferralRule("J44.9", "Pulmonology",
                 "COPD with breathlessness on exertion: lung function tests and management", .15),
    ReferralRule("G47.33", "Pulmonology",
                 "obstructive sleep apnea: review of the CPAP settings and adherence", .08, 0),
    ReferralRule("N18.30", "Nephrology",
                 "chronic kidney disease stage 3: evaluation and shared care", .2),
    ReferralRule("K21.9", "Gastroenterology",
                 "reflux persisting on a proton pump inhibitor: evaluation for endoscopy", .04),
    ReferralRule("F32.A", "Psychiatry",
                 "depression with a partial response: medication review", .05, .1),
)
# fmt: on
MAX_REFERRALS = 2  # per patient
CANCEL_SHARE = 0.03
CANCEL_NOTES = ("Patient declined the referral.", "Patient moved out of the area.")


# --- what a batch reads ------------------------------------------------------------------------


@dataclass
class _Med:
    id: int
    name: str
    dose: str
    started_on: date | None
    stopped_on: date | None
    stop_reason: str
    reason: str
    source: str
    created_by: int | None
    prescription_id: int | None
    instructions: str


@dataclass
class _Visit:
    id: int
    provider_id: int
    at: datetime  # UTC
    day: date  # local
    reason: str


@dataclass
class _Chart:
    meds: list[_Med] = field(default_factory=list)
    problems: list[tuple[int, str, date | None, str]] = field(default_factory=list)
    allergies: list[AllergyInHand] = field(default_factory=list)
    visits: list[_Visit] = field(default_factory=list)
    days: list[date] = field(default_factory=list)  # the visits' local days, in order


def _conditions() -> dict[str, chart.Condition]:
    """Demo conditions by the reason their medications carry (emr.demo.chart.get_reason)."""
    found = {}
    for c in (*chart.CONDITIONS, *chart.ACUTE):
        found[c.reason if not c.chronic else c.key.capitalize()] = c
    return found


class _Prescribing:
    def __init__(self, ctx: DemoContext, signers: dict[int, bool], names: dict[int, str]) -> None:
        self.rng = ctx.rng
        self.today = ctx.today
        self.signers = signers  # active physicians: id -> has a DEA number
        self.names = names
        self.by_reason = _conditions()
        self.by_acute_reason = {c.reason: c for c in chart.ACUTE}
        self.formulary: dict[str, FormularyDrug] = {}
        for name, _ in SIGS:
            drug = find_drug(name)
            if drug is None:  # a demo drug missing from the formulary: a bug
                raise ValueError(f"{name} is not in the formulary")
            self.formulary[name] = drug
        self.midnights: dict[date, datetime] = {}
        self.counts: Counter[str] = Counter()
        self.reset()

    def reset(self) -> None:
        self.prescriptions: list[dict] = []
        self.medication_links: list[dict] = []
        self.referrals: list[dict] = []

    def utc(self, day: date, minute: int) -> datetime:
        midnight = self.midnights.get(day)
        if midnight is None:
            noon = to_utc(datetime.combine(day, time(12)))
            midnight = self.midnights[day] = noon - timedelta(hours=12)
        return midnight + timedelta(minutes=minute)

    # -- prescriptions --
    def visit_before(self, c: _Chart, day: date, within: int) -> _Visit | None:
        i = bisect.bisect_right(c.days, day) - 1
        if i >= 0 and (day - c.days[i]).days <= within:
            return c.visits[i]
        return None

    def signer(self, wanted: int | None, controlled: bool) -> int | None:
        if wanted in self.signers and (self.signers[wanted] or not controlled):
            return wanted
        fit = [u for u, dea in self.signers.items() if dea or not controlled]
        return fit[0] if fit else None

    def problem_for(self, c: _Chart, code: str, day: date) -> int | None:
        found = None
        for pid, icd, onset, _ in c.problems:
            if icd == code and (onset is None or onset <= day + timedelta(days=30)):
                found = pid
        return found

    def patient(self, patient_id: int, c: _Chart, next_id: list[int]) -> None:
        rng = self.rng
        prescribed: dict[int, int] = {}  # medication id -> its latest prescription id
        for m in c.meds:
            if m.source != "here" or m.prescription_id is not None or m.started_on is None:
                continue
            sig = SIGS.get((m.name, m.dose))
            condition = self.by_reason.get(m.reason)
            if sig is None or condition is None:
                continue
            drug = self.formulary[m.name]
            visit = self.visit_before(c, m.started_on, WRITTEN_WITHIN_DAYS)
            by = self.signer(visit.provider_id if visit else m.created_by, bool(drug.schedule))
            if by is None:
                self.counts["controlled, no prescriber with a DEA number"] += 1
                continue
            if visit is not None and visit.provider_id != by:
                visit = None
            signed_at = (
                visit.at + timedelta(minutes=rng.randrange(10, 25))
                if visit
                else self.utc(m.started_on, CLINIC_MINUTE + rng.randrange(0, 240))
            )
            day = visit.day if visit else m.started_on
            chronic = condition.chronic
            discontinued = bool(m.stopped_on) and m.stop_reason != COURSE_COMPLETED
            renew = (
                chronic
                and is_current(m.stopped_on, self.today)
                and (self.today - m.started_on).days > RENEW_AFTER_DAYS
            )
            first = self.prescription(
                patient_id,
                c,
                m,
                sig,
                drug,
                condition,
                next_id,
                by,
                visit,
                signed_at,
                day,
                status="discontinued" if discontinued and not renew else "signed",
            )
            prescribed[m.id] = first["id"]
            if renew:
                since = self.today - timedelta(days=rng.randrange(7, RENEW_AFTER_DAYS - 30))
                visit = self.visit_before(c, since, 30) or self.visit_before(c, self.today, 330)
                if visit is not None and (self.today - visit.day).days >= RENEW_AFTER_DAYS:
                    visit = None
                by = self.signer(visit.provider_id if visit else by, bool(drug.schedule))
                day = visit.day if visit else since
                signed_at = (
                    visit.at + timedelta(minutes=rng.randrange(10, 25))
                    if visit
                    else self.utc(since, CLINIC_MINUTE + rng.randrange(0, 240))
                )
                renewal = self.prescription(
                    patient_id,
                    c,
                    m,
                    sig,
                    drug,
                    condition,
                    next_id,
                    by or first["signed_by"],
                    visit,
                    signed_at,
                    day,
                    status="signed",
                    renewed_from=first,
                )
                prescribed[m.id] = renewal["id"]
                self.counts["renewals"] += 1
            self.medication_links.append(
                {
                    "medication_id": m.id,
                    "prescription_id": prescribed[m.id],
                    "instructions": m.instructions or first["sig_text"],
                }
            )
        self.drafts(patient_id, c, next_id, prescribed)

    def prescription(
        self,
        patient_id: int,
        c: _Chart,
        m: _Med,
        sig: Sig,
        drug: FormularyDrug,
        condition: chart.Condition,
        next_id: list[int],
        by: int,
        visit: _Visit | None,
        signed_at: datetime,
        day: date,
        *,
        status: str,
        renewed_from: dict | None = None,
    ) -> dict:
        rng = self.rng
        pid = next_id[0]
        next_id[0] += 1
        if renewed_from is not None:
            values = {k: renewed_from[k] for k in _COPIED}
        else:
            values = self.written(c, sig, drug, condition, m.started_on, m.stopped_on, day)
        values["encounter_id"] = visit.id if visit else None
        others = [
            o
            for o in c.meds
            if o.id != m.id
            and o.started_on is not None
            and o.started_on <= day
            and is_current(o.stopped_on, day)
        ]
        alerts = self.alerts(pid, values, others, c.allergies)
        written_at = signed_at - timedelta(minutes=rng.randrange(2, 8))
        row = {
            "id": pid,
            "patient_id": patient_id,
            "entered_in_error": False,
            "error_reason": "",
            "created_at": written_at,
            "updated_at": signed_at,
            "created_by": by,
            "updated_by": by,
            "version": 2,
            "prescriber_id": by,
            "status": status,
            **values,
            "alerts_overridden": alerts,
            "signed_by": by,
            "signed_at": signed_at,
            "discontinued_at": None,
            "discontinue_reason": "",
            "renewed_from_id": renewed_from["id"] if renewed_from else None,
            "medication_id": m.id,
            "times_printed": 0 if rng.random() < 0.3 else 1,
        }
        if status == "discontinued":
            assert m.stopped_on is not None
            stopped = self.utc(m.stopped_on, CLINIC_MINUTE + rng.randrange(0, 240))
            row |= {
                "discontinued_at": max(stopped, signed_at),
                "discontinue_reason": m.stop_reason[:200],
                "updated_at": max(stopped, signed_at),
                "version": 3,
            }
            self.counts["discontinued"] += 1
        self.prescriptions.append(row)
        self.counts["prescriptions"] += 1
        return row

    def written(
        self,
        c: _Chart,
        sig: Sig,
        drug: FormularyDrug,
        condition: chart.Condition,
        start: date,
        stop: date | None,
        day: date,
    ) -> dict:
        """The prescription's drug, sig, quantity and diagnosis columns, as the service's
        _clean makes them."""
        rng = self.rng
        duration: int | None = None
        if condition.chronic:
            ninety = not drug.schedule and rng.random() < NINETY_DAY_SHARE
            supply = 90 if ninety else 30
            refills = 0 if drug.schedule == "II" else (3 if ninety else rng.choice((5, 11)))
        else:
            duration = (stop - start).days if stop else rng.choice((5, 7, 10))
            supply, refills = duration, 0
        quantity = sig.fill * max(1, supply // 30) if sig.fill else sig.per_day * supply
        as_needed = bool(sig.as_needed_reason)
        route = route_key(sig.route)
        frequency = frequency_text(sig.frequency)
        problem_id = self.problem_for(c, condition.code, day)
        return {
            "drug_name": drug.generic_name,
            "brand_name": "",
            "rxnorm": drug.rxnorm,
            "strength": sig.strength,
            "dose_form": sig.dose_form,
            "route": route,
            "drug_classes": ",".join(sorted(drug.classes)),
            "schedule": drug.schedule,
            "dose_amount": sig.dose_amount,
            "dose_unit": sig.dose_unit,
            "frequency": frequency,
            "duration_days": duration,
            "as_needed": as_needed,
            "as_needed_reason": sig.as_needed_reason,
            "sig_text": render_sig(
                dose_amount=sig.dose_amount,
                dose_unit=sig.dose_unit,
                route=route,
                frequency=frequency,
                duration_days=duration,
                as_needed=as_needed,
                as_needed_reason=sig.as_needed_reason,
            ),
            "quantity": str(quantity),
            "quantity_unit": sig.quantity_unit,
            "refills": refills,
            "dispense_as_written": rng.random() < DAW_SHARE,
            "pharmacy_note": "",
            "diagnosis_code": condition.code,
            "problem_id": problem_id,
        }

    def alerts(
        self,
        prescription_id: int,
        values: dict,
        others: list[_Med],
        allergies: list[AllergyInHand],
    ) -> str:
        """The alerts the checks gave when it was signed, as sign_prescription stores them."""
        drug = drug_in_hand(
            values["drug_name"],
            values["drug_name"],
            identity=f"prescription:{prescription_id}",
            extra_classes=[k for k in values["drug_classes"].split(",") if k],
        )
        medications = [
            drug_in_hand(o.name, f"{o.name} (current medication)", identity=f"medication:{o.id}")
            for o in others
        ]
        kept = []
        for a in check_prescribing(drug, allergies, medications, []):
            reason = self.rng.choice(OVERRIDE_REASONS[a.kind]) if a.needs_reason else ""
            kept.append(OverriddenAlert(a.key, a.severity, a.kind, a.text, reason))
            self.counts["alerts overridden" if reason else "alerts shown"] += 1
        return json.dumps([o.__dict__ for o in kept], ensure_ascii=False)

    def drafts(self, patient_id: int, c: _Chart, next_id: list[int], prescribed: dict) -> None:
        """Drafts for today's visits: a renewal of a current medication, or the usual drug
        for the visit's acute complaint."""
        rng = self.rng
        for visit in c.visits:
            if visit.day != self.today or rng.random() >= DRAFT_SHARE:
                continue
            if visit.provider_id not in self.signers:
                continue
            acute = self.by_acute_reason.get(visit.reason)
            current = [
                p
                for p in self.prescriptions
                if p["patient_id"] == patient_id
                and p["status"] == "signed"
                and p["id"] in prescribed.values()
                and not p["duration_days"]
                and not p["schedule"]
            ]
            if acute is not None and acute.drugs:
                choice = acute.drugs[0]
                sig = SIGS[(choice.name, choice.dose)]
                values = self.written(
                    c, sig, self.formulary[choice.name], acute, self.today, None, self.today
                )
                renewed_from = None
            elif current:
                renewed_from = rng.choice(current)
                values = {k: renewed_from[k] for k in _COPIED}
            else:
                continue
            pid = next_id[0]
            next_id[0] += 1
            written_at = visit.at + timedelta(minutes=rng.randrange(5, 20))
            self.prescriptions.append(
                {
                    "id": pid,
                    "patient_id": patient_id,
                    "entered_in_error": False,
                    "error_reason": "",
                    "created_at": written_at,
                    "updated_at": written_at,
                    "created_by": visit.provider_id,
                    "updated_by": visit.provider_id,
                    "version": 1,
                    "prescriber_id": visit.provider_id,
                    "status": "draft",
                    **values,
                    "encounter_id": visit.id,
                    "alerts_overridden": "",
                    "signed_by": None,
                    "signed_at": None,
                    "discontinued_at": None,
                    "discontinue_reason": "",
                    "renewed_from_id": renewed_from["id"] if renewed_from else None,
                    "medication_id": None,
                    "times_printed": 0,
                }
            )
            self.counts["prescriptions"] += 1
            self.counts["drafts"] += 1

    # -- referrals --
    def referral_plans(
        self, patient_id: int, c: _Chart
    ) -> list[tuple[ReferralRule, _Visit, Specialist]]:
        rng = self.rng
        codes = {icd for _, icd, _, _ in c.problems}
        earliest = self.today - timedelta(days=REFERRAL_WITHIN_DAYS)
        visits = [
            v for v in c.visits if earliest <= v.day < self.today and v.provider_id in self.signers
        ]
        plans = []
        for rule in REFERRAL_RULES:
            if rule.code not in codes or rng.random() >= rule.share or not visits:
                continue
            visit = rng.choice(visits)
            plans.append((rule, visit, rng.choice(SPECIALISTS[rule.specialty])))
            if len(plans) == MAX_REFERRALS:
                break
        return plans

    def referral(
        self,
        s,
        patient: Patient,
        rule: ReferralRule,
        visit: _Visit,
        to: Specialist,
        templates: dict[str, tuple[int, str]],
        next_id: list[int],
    ) -> None:
        rng = self.rng
        template_id, body = templates.get(rule.specialty) or templates[""]
        day = visit.day
        values = chart_values(s, patient, day)
        values |= {
            "referring_provider": self.names.get(visit.provider_id, ""),
            "receiving_provider": to.name,
            "specialty": rule.specialty,
            "reason": rule.reason,
        }
        letter = merge_text(body, values)
        sent = min(self.today, day + timedelta(days=rng.choice((0, 0, 0, 1, 2))))
        notes = [f"{sent:%m/%d/%Y} {STATUS_LABELS['sent']} ({sent:%m/%d/%Y})"]
        status, appointment, report = "sent", None, None
        made = sent + timedelta(days=rng.randrange(2, 15))
        if rng.random() < CANCEL_SHARE and made <= self.today:
            status = "cancelled"
            notes.append(
                f"{made:%m/%d/%Y} {STATUS_LABELS['cancelled']}: {rng.choice(CANCEL_NOTES)}"
            )
        elif made <= self.today:
            status = "appointment_made"
            appointment = made + timedelta(days=rng.randrange(5, 60))
            notes.append(
                f"{made:%m/%d/%Y} {STATUS_LABELS['appointment_made']} ({appointment:%m/%d/%Y})"
            )
            received = appointment + timedelta(days=rng.randrange(2, 21))
            if received <= self.today and rng.random() < 0.9:
                status, report = "report_received", received
                notes.append(
                    f"{received:%m/%d/%Y} {STATUS_LABELS['report_received']} ({received:%m/%d/%Y})"
                )
        created = visit.at + timedelta(minutes=rng.randrange(15, 40))
        changed = self.utc(max(sent, appointment or sent, report or sent), CLINIC_MINUTE)
        rid = next_id[0]
        next_id[0] += 1
        urgency = "urgent" if rng.random() < rule.urgent_share else "routine"
        self.referrals.append(
            {
                "id": rid,
                "patient_id": patient.id,
                "encounter_id": visit.id,
                "entered_in_error": False,
                "error_reason": "",
                "created_at": created,
                "updated_at": max(created, changed),
                "created_by": visit.provider_id,
                "updated_by": visit.provider_id,
                "version": 1 + len(notes),
                "referring_provider_id": visit.provider_id,
                "to_name": to.name,
                "to_specialty": rule.specialty,
                "to_organization": to.organization,
                "to_address": to.address,
                "to_phone": to.phone,
                "to_fax": to.fax,
                "to_npi": to.npi,
                "reason": rule.reason[0].upper() + rule.reason[1:],
                "urgency": urgency,
                "diagnosis_codes": rule.code,
                "template_id": template_id,
                "letter_text": letter,
                "status": status,
                "sent_on": sent,
                "appointment_on": appointment,
                "report_received_on": report,
                "status_note": "\n".join(notes),
            }
        )
        self.counts["referrals"] += 1
        self.counts[f"referrals {status}"] += 1


# The columns a renewal copies (as emr.services.prescriptions renew_prescription does).
_COPIED = (
    "drug_name",
    "brand_name",
    "rxnorm",
    "strength",
    "dose_form",
    "route",
    "drug_classes",
    "schedule",
    "dose_amount",
    "dose_unit",
    "frequency",
    "duration_days",
    "as_needed",
    "as_needed_reason",
    "sig_text",
    "quantity",
    "quantity_unit",
    "refills",
    "dispense_as_written",
    "pharmacy_note",
    "diagnosis_code",
    "problem_id",
)


# --- reading and writing -----------------------------------------------------------------------


def _patient_ids(ctx: DemoContext, s) -> list[int]:
    ids = ctx.produced.get("patient_ids")
    if ids is not None:
        return sorted(ids)  # type: ignore[arg-type]
    # Alone: the charts with no prescription and no referral yet.
    query = (
        select(Patient.id)
        .where(
            ~select(Prescription.id).where(Prescription.patient_id == Patient.id).exists(),
            ~select(Referral.id).where(Referral.patient_id == Patient.id).exists(),
        )
        .order_by(Patient.id)
    )
    return list(s.execute(query).scalars())


def _charts(s, first: int, last: int, wanted: set[int]) -> dict[int, _Chart]:
    charts: dict[int, _Chart] = {pid: _Chart() for pid in sorted(wanted)}
    between = (first, last)
    for row in s.execute(
        select(
            Medication.patient_id,
            Medication.id,
            Medication.name,
            Medication.dose,
            Medication.started_on,
            Medication.stopped_on,
            Medication.stop_reason,
            Medication.reason,
            Medication.source,
            Medication.created_by,
            Medication.prescription_id,
            Medication.instructions,
        )
        .where(Medication.patient_id.between(*between), Medication.entered_in_error.is_(False))
        .order_by(Medication.patient_id, Medication.id)
    ):
        if row[0] in charts:
            charts[row[0]].meds.append(_Med(*row[1:]))
    for pid, *problem in s.execute(
        select(Problem.patient_id, Problem.id, Problem.icd10_code, Problem.onset, Problem.status)
        .where(Problem.patient_id.between(*between), Problem.entered_in_error.is_(False))
        .order_by(Problem.patient_id, Problem.id)
    ):
        if pid in charts:
            charts[pid].problems.append(tuple(problem))  # type: ignore[arg-type]
    for pid, *allergy in s.execute(
        select(
            Allergy.patient_id,
            Allergy.substance,
            Allergy.category,
            Allergy.reaction,
            Allergy.severity,
        )
        .where(
            Allergy.patient_id.between(*between),
            Allergy.entered_in_error.is_(False),
            Allergy.status == "active",
        )
        .order_by(Allergy.patient_id, Allergy.id)
    ):
        if pid in charts:
            charts[pid].allergies.append(AllergyInHand(*allergy))
    for pid, eid, provider, at, reason in s.execute(
        select(
            Encounter.patient_id,
            Encounter.id,
            Encounter.provider_id,
            Encounter.occurred_at,
            Encounter.reason,
        )
        .where(Encounter.patient_id.between(*between), Encounter.entered_in_error.is_(False))
        .order_by(Encounter.patient_id, Encounter.occurred_at, Encounter.id)
    ):
        c = charts.get(pid)
        if c is not None:
            day = to_local(at).date()
            c.visits.append(_Visit(eid, provider, at, day, reason))
            c.days.append(day)
    return charts


def _next_id(s, model) -> int:
    return (s.execute(select(func.max(model.id))).scalar() or 0) + 1


def _templates(ctx: DemoContext) -> dict[str, tuple[int, str]]:
    """The practice's active referral templates by specialty ("" the general one)."""
    seed_starter_templates(ctx.operator)
    with ctx.db.read() as s:
        rows = s.execute(
            select(ReferralTemplate.id, ReferralTemplate.specialty, ReferralTemplate.body)
            .where(ReferralTemplate.active.is_(True))
            .order_by(ReferralTemplate.id)
        ).all()
    found: dict[str, tuple[int, str]] = {}
    for tid, specialty, body in rows:
        found.setdefault(specialty, (tid, body))
    if "" not in found and rows:
        found[""] = (rows[0][0], rows[0][2])
    return found


def _link_medications(s, links: list[dict]) -> None:
    table = Medication.__table__
    s.connection().execute(
        update(table)
        .where(table.c.id == bindparam("medication_id"))
        .values(
            prescription_id=bindparam("prescription_id"), instructions=bindparam("instructions")
        ),
        links,
    )


def _follow_ids(s, tables) -> None:
    """PostgreSQL: the id sequences move past the ids given here, so that the services'
    inserts after the demo do not collide with them."""
    for table in tables:
        s.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                f"(SELECT max(id) FROM {table.name}))"
            )
        )


def _chunks(items: list[int], size: int) -> Iterable[list[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def generate(ctx: DemoContext) -> dict[str, int]:
    with ctx.db.read() as s:
        patient_ids = _patient_ids(ctx, s)
        providers = provider_rows(s)
        users = s.execute(select(User.id, User.full_name, User.dea_number)).all()
    if not patient_ids or not providers:
        return {"prescriptions": 0, "referrals": 0}
    physicians = {p.id for p in providers}
    signers = {uid: bool((dea or "").strip()) for uid, _, dea in users if uid in physicians}
    names = {uid: name for uid, name, _ in users}
    templates = _templates(ctx)
    making = _Prescribing(ctx, signers, names)
    done = 0
    for batch in _chunks(patient_ids, BATCH_PATIENTS):
        with ctx.operator.write() as s:
            charts = _charts(s, batch[0], batch[-1], set(batch))
            next_prescription = [_next_id(s, Prescription)]
            next_referral = [_next_id(s, Referral)]
            planned = []
            for pid in batch:
                c = charts[pid]
                making.patient(pid, c, next_prescription)
                planned += [(pid, *plan) for plan in making.referral_plans(pid, c)]
            if making.prescriptions:
                chart._insert(s, Prescription.__table__, making.prescriptions, ctx.db.is_sqlite)
            if making.medication_links:
                _link_medications(s, making.medication_links)
            # The letters read the chart as it now is, through the referral service's merge.
            for pid, rule, visit, to in planned:
                patient = s.get(Patient, pid)
                making.referral(s, patient, rule, visit, to, templates, next_referral)
            if making.referrals:
                chart._insert(s, Referral.__table__, making.referrals, ctx.db.is_sqlite)
            if not ctx.db.is_sqlite:
                _follow_ids(s, (Prescription.__table__, Referral.__table__))
            making.reset()
            s.expunge_all()
        done += len(batch)
        ctx.report(AREA, done, len(patient_ids))
    counts = making.counts
    with ctx.operator.write() as s:
        made = ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items()))
        audit.record(
            s,
            user_id=None,
            username=ctx.operator.username,
            action="create",
            entity="demo",
            detail=f"synthetic prescriptions and referrals of {len(patient_ids)} patients: "
            f"{made or 'none'} (seed {ctx.seed})",
        )
    return {"prescriptions": counts["prescriptions"], "referrals": counts["referrals"]}
