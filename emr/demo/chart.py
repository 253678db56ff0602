"""Synthetic charts: years of encounters with signed SOAP notes, problems coded in ICD-10-CM,
allergies, medications, immunizations (CVX), vitals and lab panels (LOINC, UCUM) and history
for every demo patient.

Each patient gets a profile (chronic conditions by age and sex, a weight and blood pressure
that drift over the years, personal lab baselines) and a chart span: adults from a few to
fifteen years back, children from birth. Encounters are one per completed past appointment
(linked to it) plus older visits (annual physicals, follow-ups of the chronic conditions,
acute visits); today's roomed visits get draft notes. Every other encounter's note is signed by
its provider and hashed exactly as emr.services.encounters does, so the signatures verify.

The first patient aged 50 or more of the run (the first patient when there is none) gets the
"big chart" the benchmark opens: BIG_CHART_ENCOUNTERS encounters and BIG_CHART_OBSERVATIONS
observations.

Rows go in by Core executemany, a batch of patients per transaction, ids of encounters and lab
panels allocated inside the transaction; one audit event summarises the generation.
"""

from __future__ import annotations

import functools
import itertools
import math
import operator
import random
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Date, func, insert, select

from emr.codes import loinc
from emr.codes.cvx import get_cvx
from emr.codes.icd10 import get_icd10
from emr.codes.units import CM_PER_IN, KG_PER_LB
from emr.demo.context import DemoContext
from emr.localtime import to_local, to_utc
from emr.models.base import UTCDateTime
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
from emr.models.patients import Patient
from emr.models.scheduling import Appointment, AppointmentType
from emr.models.users import User
from emr.security import audit
from emr.services.encounters import note_hash
from emr.services.labs import compute_flag
from emr.services.schedule_setup import provider_rows

AREA = "chart"
CHART_YEARS = (1, 1, 2, 2, 3, 3, 4, 5, 6, 8, 10)  # how far back an adult's chart goes
BATCH_PATIENTS = 2_000
CACHE_KIB = 500_000
BIG_CHART_ENCOUNTERS = 700
BIG_CHART_OBSERVATIONS = 5_000
BIG_CHART_MIN_AGE = 50
BIG_CHART_YEARS = 24
DEMO_CLOCK = time(10, 30)  # as the schedule: today is seen at 10:30
VITALS = "vital-signs"
_FLAGS = {None: "", "low": "L", "high": "H"}
LABORATORY = "laboratory"

FULL_VITALS = (
    "systolic",
    "diastolic",
    "heart_rate",
    "respiratory_rate",
    "temperature",
    "spo2",
    "weight",
    "height",
    "bmi",
)
# Height is measured at physicals; other visits' BMI uses the latest height, as
# emr.services.vitals computes it.
VISIT_VITALS = ("systolic", "diastolic", "heart_rate", "temperature", "spo2", "weight", "bmi")
FOLLOW_UP_VITALS = ("systolic", "diastolic", "heart_rate", "weight", "bmi")
SHORT_VITALS = ("systolic", "diastolic", "heart_rate")
HOME_VITALS = ("systolic", "diastolic", "heart_rate", "weight")  # telehealth: patient-reported
VITALS_BY_KIND = {
    "Annual physical": FULL_VITALS,
    "Follow-up": FOLLOW_UP_VITALS,
    "Telehealth": HOME_VITALS,
}


# --- what patients have -----------------------------------------------------------------------


@dataclass(frozen=True)
class Drug:
    name: str
    dose: str
    route: str
    frequency: str


@dataclass(frozen=True)
class Condition:
    code: str
    key: str
    chronic: bool
    # share of patients who have it: children, 18-39, 40-64, 65 and over
    prevalence: tuple[float, float, float, float]
    sex: str  # "" any, "F" or "M"
    reason: str  # the visit's reason
    subjective: tuple[str, ...]
    plan: tuple[str, ...]
    drugs: tuple[Drug, ...] = ()  # the first is started; the second replaces it sometimes
    min_age: int = 0


# fmt: off
CONDITIONS: tuple[Condition, ...] = (
    Condition("I10", "hypertension", True, (0, .08, .30, .50), "", "Blood pressure check",
              ("Here for blood pressure follow-up. Home readings mostly 130s/80s.",
               "Hypertension follow-up. No headaches, chest pain or shortness of breath.",
               "Checks BP at the pharmacy, reports 120s-140s systolic. Taking medication daily."),
              ("Low-salt diet, regular exercise. Recheck BP in 3 months.",
               "Home BP log; bring readings next visit. BMP yearly."),
              (Drug("Lisinopril", "10 mg", "by mouth", "once daily"),
               Drug("Losartan", "50 mg", "by mouth", "once daily")), 18),
    Condition("E78.5", "hyperlipidemia", True, (0, .05, .28, .42), "", "Cholesterol follow-up",
              ("Follow-up of cholesterol. Tolerating statin, no muscle aches.",
               "Lipids follow-up; trying to eat less saturated fat.",),
              ("Lipid panel yearly. Mediterranean-style diet discussed.",),
              (Drug("Atorvastatin", "20 mg", "by mouth", "at bedtime"),
               Drug("Rosuvastatin", "10 mg", "by mouth", "once daily")), 18),
    Condition("E11.9", "diabetes", True, (0, .03, .13, .25), "", "Diabetes follow-up",
              ("Here for diabetes follow-up. Fasting sugars 110s-150s at home. No hypoglycemia.",
               "Diabetes check. Taking metformin with meals; mild GI upset at first, now fine.",
               "Diabetes follow-up; walking 30 minutes most days. Denies polyuria, polydipsia."),
              ("Recheck A1c in 3 months. Annual eye exam and foot exam; urine albumin yearly.",
               "Diabetic diet reviewed. Continue home glucose checks."),
              (Drug("Metformin", "500 mg", "by mouth", "twice daily"),
               Drug("Metformin ER", "1000 mg", "by mouth", "once daily")), 18),
    Condition("E66.9", "obesity", True, (.05, .22, .32, .28), "", "Weight check",
              ("Discussed weight; trying to cut down on sugary drinks.",
               "Weight follow-up. Joined a gym, goes twice a week."),
              ("Goal 5-10% weight loss. Nutrition referral offered.",)),
    Condition("J45.909", "asthma", True, (.09, .08, .07, .06), "", "Asthma follow-up",
              ("Asthma follow-up. Uses albuterol about twice a week, no night symptoms.",
               "Asthma check; symptoms worse with colds and in spring."),
              ("Asthma action plan reviewed. Inhaler technique checked.",),
              (Drug("Albuterol HFA", "90 mcg/actuation, 2 puffs", "inhaled",
                    "every 4 hours as needed"),
               Drug("Fluticasone HFA", "110 mcg, 2 puffs", "inhaled", "twice daily")), 3),
    Condition("F41.1", "anxiety", True, (.02, .10, .08, .05), "", "Anxiety follow-up",
              ("Anxiety follow-up. Worry and poor sleep are better since starting sertraline.",
               "Feels more in control; still stressed at work. GAD-7 score 8."),
              ("Continue therapy sessions. Sleep hygiene reviewed. Follow up in 2 months.",),
              (Drug("Sertraline", "50 mg", "by mouth", "once daily"),
               Drug("Escitalopram", "10 mg", "by mouth", "once daily")), 12),
    Condition("F32.A", "depression", True, (.01, .08, .08, .06), "", "Mood check",
              ("Mood check. Sleeping better, enjoys time with family again. PHQ-9 score 7.",
               "Depression follow-up; energy improving, no thoughts of self-harm."),
              ("Continue counselling. Crisis line numbers given. Recheck PHQ-9 next visit.",),
              (Drug("Sertraline", "50 mg", "by mouth", "once daily"),
               Drug("Bupropion XL", "150 mg", "by mouth", "every morning")), 12),
    Condition("K21.9", "gerd", True, (.01, .08, .15, .18), "", "Heartburn",
              ("Heartburn after large meals and at night, better on omeprazole.",
               "Reflux follow-up; avoids late meals, symptoms rare now."),
              ("Raise the head of the bed, avoid late meals. Try stepping down the PPI.",),
              (Drug("Omeprazole", "20 mg", "by mouth", "every morning"),
               Drug("Famotidine", "20 mg", "by mouth", "twice daily")), 12),
    Condition("E03.9", "hypothyroidism", True, (0, .03, .08, .12), "F", "Thyroid follow-up",
              ("Thyroid follow-up. Energy good, no palpitations, weight stable.",),
              ("TSH yearly. Take levothyroxine on an empty stomach.",),
              (Drug("Levothyroxine", "50 mcg", "by mouth", "every morning"),), 18),
    Condition("J30.9", "allergic rhinitis", True, (.10, .15, .12, .08), "", "Allergies",
              ("Sneezing and itchy eyes every spring; cetirizine helps.",),
              ("Avoid triggers; nasal spray in season.",),
              (Drug("Cetirizine", "10 mg", "by mouth", "once daily"),
               Drug("Fluticasone nasal", "50 mcg, 2 sprays each nostril", "in the nose",
                    "once daily")), 2),
    Condition("I48.91", "atrial fibrillation", True, (0, 0, .02, .09), "",
              "Atrial fibrillation follow-up",
              ("AF follow-up. Occasional palpitations, no bleeding on apixaban.",),
              ("Continue anticoagulation (CHA2DS2-VASc reviewed). Cardiology yearly.",),
              (Drug("Apixaban", "5 mg", "by mouth", "twice daily"),
               Drug("Metoprolol succinate", "25 mg", "by mouth", "once daily")), 40),
    Condition("N18.30", "ckd", True, (0, 0, .02, .08), "", "Kidney function follow-up",
              ("Kidney function follow-up. No swelling; avoids NSAIDs.",),
              ("Avoid NSAIDs; renally dose medications. BMP and urine albumin every 6 months.",),
              (), 40),
    Condition("M17.9", "knee osteoarthritis", True, (0, 0, .06, .16), "", "Knee pain",
              ("Knee pain after walking; morning stiffness under 30 minutes.",),
              ("Physical therapy exercises; acetaminophen as needed; weight loss helps.",),
              (Drug("Acetaminophen", "500 mg", "by mouth", "every 6 hours as needed"),), 40),
    Condition("G47.33", "sleep apnea", True, (0, .02, .06, .07), "", "Sleep follow-up",
              ("Uses CPAP most nights; daytime sleepiness much better.",),
              ("Continue CPAP nightly; mask refit if leaking.",), (), 25),
    Condition("J44.9", "copd", True, (0, 0, .03, .08), "", "COPD follow-up",
              ("COPD follow-up. Short of breath on stairs, no recent flares.",),
              ("Pulmonary rehab discussed. Smoking cessation counselled.",),
              (Drug("Tiotropium", "18 mcg", "inhaled", "once daily"),
               Drug("Albuterol HFA", "90 mcg/actuation, 2 puffs", "inhaled",
                    "every 4 hours as needed")), 45),
    Condition("F90.9", "adhd", True, (.08, .02, 0, 0), "", "ADHD follow-up",
              ("School is going better; parent reports improved focus.",),
              ("Behavioural strategies reviewed with the parent. Follow up after the term.",),
              (Drug("Methylphenidate ER", "18 mg", "by mouth", "every morning"),), 6),
    Condition("L20.9", "eczema", True, (.10, .03, .02, .02), "", "Rash",
              ("Dry itchy patches on the elbows and knees, worse in winter.",),
              ("Thick emollient twice daily; short course of topical steroid for flares.",),
              (Drug("Hydrocortisone 2.5% cream", "thin layer", "applied to the skin",
                    "twice daily"),), 0),
)

# Short illnesses: a visit, a problem that resolves, sometimes a short course of medicine.
ACUTE: tuple[Condition, ...] = (
    Condition("J06.9", "uri", False, (1, 1, 1, 1), "", "Cold symptoms",
              ("Runny nose, sore throat and cough for 4 days. No fever today.",),
              ("Supportive care, fluids, rest. Return if fever or shortness of breath.",)),
    Condition("J02.9", "pharyngitis", False, (1, .7, .4, .2), "", "Sore throat",
              ("Sore throat for 3 days, painful swallowing, low-grade fever.",),
              ("Rapid strep done. Warm fluids; return if not better in a week.",),
              (Drug("Amoxicillin", "500 mg", "by mouth", "twice daily"),)),
    Condition("N39.0", "uti", False, (.2, .8, .6, .8), "F", "Urinary symptoms",
              ("Burning on urination and frequency for 2 days. No flank pain.",),
              ("Urine culture sent. Fluids. Return if fever or flank pain.",),
              (Drug("Nitrofurantoin", "100 mg", "by mouth", "twice daily"),)),
    Condition("H66.90", "otitis media", False, (1.5, .1, .05, .05), "", "Ear pain",
              ("Ear pain and fever since yesterday, pulling at the ear.",),
              ("Analgesia; recheck the ear in 2 weeks if not better.",),
              (Drug("Amoxicillin", "400 mg/5 mL, 5 mL", "by mouth", "twice daily"),)),
    Condition("M54.50", "low back pain", False, (.05, .8, .9, .7), "", "Low back pain",
              ("Low back pain after lifting boxes, no leg weakness or numbness.",),
              ("Stay active, heat, stretches. Return if numbness or weakness.",),
              (Drug("Ibuprofen", "600 mg", "by mouth", "three times daily"),
               Drug("Cyclobenzaprine", "5 mg", "by mouth", "at bedtime"))),
    Condition("J20.9", "bronchitis", False, (.4, .5, .6, .7), "", "Cough for two weeks",
              ("Cough for two weeks, now productive, no fever. Non-smoker household.",),
              ("Honey and fluids; cough may last 3 weeks. Return if short of breath.",),
              (Drug("Benzonatate", "100 mg", "by mouth", "three times daily"),)),
    Condition("S93.401A", "ankle sprain", False, (.4, .6, .3, .1), "", "Ankle injury",
              ("Twisted the right ankle playing sport yesterday; swelling, can bear weight.",),
              ("Rest, ice, compression, elevation. Ottawa rules negative, no X-ray needed.",)),
    Condition("R51.9", "headache", False, (.2, .6, .5, .3), "", "Headaches",
              ("Headaches for two weeks, worse at the end of the workday. No red flags.",),
              ("Headache diary; screen time breaks; acetaminophen as needed.",)),
)
# fmt: on

# Antibiotics avoided when the patient is allergic to penicillins.
PENICILLINS = {"Amoxicillin"}
PENICILLIN_ALTERNATIVE = Drug("Azithromycin", "250 mg", "by mouth", "once daily")
STOP_REASONS_SWITCH = ("Side effects", "Not effective", "Replaced by another medication", "Cost")

# (substance, category, reaction, severity)
# fmt: off
ALLERGENS: tuple[tuple[str, str, str, str], ...] = (
    ("Penicillin", "drug", "Hives", "moderate"),
    ("Penicillin", "drug", "Anaphylaxis", "severe"),
    ("Amoxicillin", "drug", "Rash", "mild"),
    ("Sulfonamide antibiotics", "drug_class", "Rash", "moderate"),
    ("Codeine", "drug", "Nausea and vomiting", "mild"),
    ("Aspirin", "drug", "Wheezing", "moderate"),
    ("Cephalexin", "drug", "Hives", "moderate"),
    ("Erythromycin", "drug", "Stomach upset", "mild"),
    ("Morphine", "drug", "Itching", "mild"),
    ("Iodinated contrast media", "drug_class", "Hives", "moderate"),
    ("Peanuts", "food", "Anaphylaxis", "severe"),
    ("Shellfish", "food", "Hives and lip swelling", "moderate"),
    ("Tree nuts", "food", "Throat tightness", "severe"),
    ("Eggs", "food", "Rash", "mild"),
    ("Strawberries", "food", "Itchy mouth", "mild"),
    ("Latex", "environmental", "Contact dermatitis", "mild"),
    ("Bee stings", "environmental", "Swelling", "moderate"),
    ("Grass pollen", "environmental", "Sneezing, itchy eyes", "mild"),
    ("Dust mites", "environmental", "Congestion", "mild"),
    ("Cat dander", "environmental", "Wheezing", "moderate"),
)
FAMILY: tuple[tuple[str, str], ...] = (
    ("Type 2 diabetes", "E11.9"), ("Hypertension", "I10"),
    ("Coronary artery disease", "I25.10"), ("Myocardial infarction", "I21.9"),
    ("Breast cancer", "C50.919"), ("Colon cancer", "C18.9"), ("Stroke", "I63.9"),
    ("Alzheimer disease", "G30.9"), ("Asthma", "J45.909"), ("Depression", "F32.A"),
    ("Prostate cancer", "C61"), ("Osteoporosis", "M81.0"),
)
RELATIVES = ("mother", "father", "sister", "brother", "maternal grandmother",
             "maternal grandfather", "paternal grandmother", "paternal grandfather")
SURGERIES: tuple[tuple[str, int, str], ...] = (  # (operation, youngest age, sex)
    ("Appendectomy", 8, ""), ("Tonsillectomy", 5, ""), ("Laparoscopic cholecystectomy", 25, ""),
    ("Inguinal hernia repair", 20, "M"), ("Cesarean section", 20, "F"),
    ("Carpal tunnel release", 35, ""), ("Total knee replacement", 60, ""),
    ("Cataract surgery, right eye", 60, ""), ("Arthroscopic knee surgery", 20, ""),
    ("Hysterectomy", 40, "F"),
)
PAST_MEDICAL: tuple[tuple[str, str], ...] = (
    ("Pneumonia, treated as outpatient", "J18.9"), ("Kidney stone", "N20.0"),
    ("Mononucleosis", "B27.90"), ("Fractured left wrist", "S62.102A"),
    ("Gestational diabetes", "O24.419"), ("Concussion", "S06.0X0A"),
)
OCCUPATIONS = (
    "Teacher", "Nurse", "Electrician", "Software developer", "Truck driver", "Accountant",
    "Retail sales associate", "Construction worker", "Chef", "Office manager", "Mechanic",
    "Hairdresser", "Warehouse worker", "Police officer", "Graphic designer", "Farmer",
    "Bus driver", "Pharmacist", "Cleaner", "Social worker", "Engineer", "Dental hygienist",
)
LABS = ("Quest Diagnostics", "Labcorp", "Springfield General Hospital Laboratory")
VACCINE_SOURCES = ("CVS Pharmacy", "Walgreens", "State immunization registry",
                   "Previous provider's records", "Employer vaccination clinic")
GIVERS = ("M. Alvarez, RN", "J. Park, LPN", "K. Brooks, MA", "Nora Jensen, RN")
EXAM = (
    "General: alert, well appearing, no distress.",
    "HEENT: normocephalic, oropharynx clear, TMs clear.",
    "Neck: supple, no lymphadenopathy.",
    "Heart: regular rate and rhythm, no murmur.",
    "Lungs: clear to auscultation bilaterally.",
    "Abdomen: soft, non-tender, no organomegaly.",
    "Extremities: no edema.",
    "Skin: warm and dry, no rash.",
    "Psych: normal mood and affect.",
)
ANNUAL_SUBJECTIVE = (
    "Here for the annual physical. Feels well. Exercises {exercise} times a week.",
    "Annual exam. No new concerns. Sleeping well, diet mostly home-cooked.",
    "Yearly physical; wants to discuss screening. No chest pain, no weight loss.",
)
ANNUAL_PLAN = (
    "Age-appropriate screening discussed. Labs ordered: CMP, lipid panel, CBC.",
    "Preventive care up to date. Vaccines reviewed. Return in one year.",
)
WELL_CHILD_SUBJECTIVE = (
    "Well-child check. Eating and sleeping well, meeting milestones. Parent has no concerns.",
    "Well-child visit with parent. Growing well; development on track for age.",
)
WELL_CHILD_PLAN = (
    "Growth and development normal. Vaccines due today discussed. Anticipatory guidance given.",
    "Reviewed safety, nutrition and screen time. Next well-child visit as scheduled.",
)
# fmt: on


# --- lab tests: reference ranges and how values spread ----------------------------------------


@dataclass(frozen=True)
class LabSpec:
    key: str
    low: float | None
    high: float | None
    mean: float
    sd: float
    decimals: int


# fmt: off
LAB_SPECS: dict[str, LabSpec] = {s.key: s for s in (
    LabSpec("glucose_serum", 70, 99, 90, 8, 0), LabSpec("bun", 7, 20, 14, 3.5, 0),
    LabSpec("creatinine", 0.6, 1.2, 0.9, 0.12, 2), LabSpec("egfr_ckd_epi_2021", 60, None, 0, 0, 0),
    LabSpec("sodium", 136, 145, 140, 1.8, 0), LabSpec("potassium", 3.5, 5.1, 4.2, 0.3, 1),
    LabSpec("chloride", 98, 107, 102, 2.2, 0), LabSpec("co2", 22, 29, 25.5, 1.8, 0),
    LabSpec("calcium", 8.6, 10.3, 9.4, 0.3, 1), LabSpec("albumin", 3.5, 5.0, 4.2, 0.25, 1),
    LabSpec("bilirubin_total", 0.1, 1.2, 0.6, 0.22, 1), LabSpec("alt", 7, 56, 24, 9, 0),
    LabSpec("ast", 10, 40, 22, 6, 0), LabSpec("alkaline_phosphatase", 44, 147, 78, 18, 0),
    LabSpec("cholesterol_total", None, 199, 185, 25, 0), LabSpec("hdl", 40, None, 52, 11, 0),
    LabSpec("triglycerides", None, 149, 120, 40, 0), LabSpec("ldl_calculated", None, 99, 0, 0, 0),
    LabSpec("hemoglobin", 12.0, 17.5, 14.2, 1.0, 1), LabSpec("hematocrit", 36, 52, 42, 3, 1),
    LabSpec("wbc", 4.5, 11.0, 7.0, 1.5, 1), LabSpec("rbc", 4.2, 6.1, 4.9, 0.35, 2),
    LabSpec("mcv", 80, 100, 89, 4, 0), LabSpec("platelets", 150, 400, 255, 50, 0),
    LabSpec("hba1c", 4.0, 5.6, 5.3, 0.25, 1), LabSpec("tsh", 0.4, 4.0, 1.8, 0.6, 2),
)}
# fmt: on
# The names the laboratory's reports give its tests (the LOINC code says what each is).
LAB_NAMES = {
    "glucose_serum": "Glucose",
    "bun": "BUN",
    "creatinine": "Creatinine",
    "egfr_ckd_epi_2021": "eGFR (CKD-EPI 2021)",
    "sodium": "Sodium",
    "potassium": "Potassium",
    "chloride": "Chloride",
    "co2": "CO2",
    "calcium": "Calcium",
    "albumin": "Albumin",
    "bilirubin_total": "Bilirubin, total",
    "alt": "ALT",
    "ast": "AST",
    "alkaline_phosphatase": "Alkaline phosphatase",
    "cholesterol_total": "Cholesterol, total",
    "hdl": "HDL cholesterol",
    "triglycerides": "Triglycerides",
    "ldl_calculated": "LDL cholesterol, calculated",
    "hemoglobin": "Hemoglobin",
    "hematocrit": "Hematocrit",
    "wbc": "WBC",
    "rbc": "RBC",
    "mcv": "MCV",
    "platelets": "Platelets",
    "hba1c": "Hemoglobin A1c",
    "tsh": "TSH",
}  # fmt: skip
# (name, panel LOINC, the tests in it)
CMP = (
    "Comprehensive metabolic panel",
    "24323-8",
    (
        "glucose_serum",
        "bun",
        "creatinine",
        "egfr_ckd_epi_2021",
        "sodium",
        "potassium",
        "chloride",
        "co2",
        "calcium",
        "albumin",
        "bilirubin_total",
        "alt",
        "ast",
        "alkaline_phosphatase",
    ),
)
LIPIDS = (
    "Lipid panel",
    "24331-1",
    ("cholesterol_total", "hdl", "triglycerides", "ldl_calculated"),
)
CBC = ("CBC", "58410-2", ("hemoglobin", "hematocrit", "wbc", "rbc", "mcv", "platelets"))
A1C = ("Hemoglobin A1c", "4548-4", ("hba1c",))
TSH = ("Thyroid stimulating hormone", "3016-3", ("tsh",))


# --- a patient's chart being made ------------------------------------------------------------


@dataclass
class PatientInfo:
    id: int
    dob: date
    sex: str


@dataclass
class Have:
    """A condition the patient has, from `onset` (resolved on `resolved`, or still active)."""

    condition: Condition
    onset: date
    resolved: date | None = None
    drugs: list[tuple[Drug, date, date | None, str]] = field(default_factory=list)

    def active_on(self, day: date) -> bool:
        return self.onset <= day and (self.resolved is None or day < self.resolved)

    def drugs_on(self, day: date) -> list[Drug]:
        return [
            d for d, start, stop, _ in self.drugs if start <= day and (stop is None or day < stop)
        ]


@dataclass
class Visit:
    day: date
    minute: int  # from local midnight
    kind: str  # encounter type
    reason: str
    provider_id: int
    focus: list[Have]
    appointment_id: int | None = None
    starts_at: datetime | None = None  # UTC, for appointment visits
    signed_at: datetime | None = None  # UTC; None: a draft
    vitals: tuple[str, ...] = FULL_VITALS
    glucose: bool = False  # a fingerstick glucose with the vitals
    labs: tuple[tuple[str, str, tuple[str, ...]], ...] = ()


def _years(days: float) -> float:
    return days / 365.25


def _age(dob: date, day: date) -> float:
    return _years((day - dob).days)


def _band(age: float) -> int:
    return 0 if age < 18 else 1 if age < 40 else 2 if age < 65 else 3


def _add_years(day: date, years: float) -> date:
    return day + timedelta(days=round(years * 365.25))


# Median heights (cm) and weights (kg) by age, for children's growth (CDC charts, rounded).
_HEIGHTS = ((0, 50), (0.5, 67), (1, 75), (2, 87), (4, 102), (6, 116), (8, 128), (10, 138),
            (12, 149), (14, 161), (16, 168), (18, 171))  # fmt: skip
_WEIGHTS = ((0, 3.4), (0.5, 7.8), (1, 9.8), (2, 12.5), (4, 16.5), (6, 21), (8, 26), (10, 32.5),
            (12, 40), (14, 50), (16, 58), (18, 63))  # fmt: skip


def _interpolate(table: tuple[tuple[float, float], ...], age: float) -> float:
    for (a0, v0), (a1, v1) in itertools.pairwise(table):
        if age <= a1:
            return v0 + (v1 - v0) * max(0.0, age - a0) / (a1 - a0)
    return table[-1][1]


@functools.cache
def _limits() -> dict[str, tuple[float, float]]:
    """The possible range of each vital (emr.codes.loinc refuses values outside it)."""
    return {v.key: (v.min_possible or 0.0, v.max_possible or math.inf) for v in loinc.vital_signs()}


class _Body:
    """The patient's measurements over time: height, weight, blood pressure, pulse."""

    def __init__(self, rng: random.Random, p: PatientInfo, has: set[str]) -> None:
        self.rng = rng
        self.p = p
        male = p.sex == "M" or (p.sex not in "FM" and rng.random() < 0.5)
        self.adult_height = rng.gauss(176 if male else 162.5, 7)
        self.size = self.adult_height / 171  # children grow along their own centile
        obese = "obesity" in has
        self.bmi = rng.uniform(30.5, 40) if obese else min(29.5, max(18.6, rng.gauss(25.5, 3.2)))
        self.weight_slope = rng.gauss(0.25, 0.6)  # kg a year
        self.systolic = rng.gauss(116, 7)
        self.diastolic = rng.gauss(74, 5)
        self.pulse = rng.gauss(74, 7)
        self.hypertensive = "hypertension" in has
        self.copd = "copd" in has
        self.afib = "atrial fibrillation" in has

    def height(self, age: float) -> float:
        if age >= 18:
            return self.adult_height - max(0.0, age - 60) * 0.1
        return _interpolate(_HEIGHTS, age) * self.size

    def weight(self, age: float, years_before_today: float) -> float:
        if age >= 18:
            base = self.bmi * (self.adult_height / 100) ** 2
            return max(35.0, base - self.weight_slope * years_before_today)
        return _interpolate(_WEIGHTS, age) * self.size**2 * (self.bmi / 25) ** 0.5

    def measure(self, day: date, today: date, treated_bp: bool, fever: bool) -> dict[str, float]:
        rng = self.rng
        age = _age(self.p.dob, day)
        height_in = round(self.height(age) / CM_PER_IN * 2) / 2 + rng.choice((-0.5, 0, 0, 0.5))
        height = round(height_in * CM_PER_IN, 2)
        weight_lb = self.weight(age, _years((today - day).days)) / KG_PER_LB
        weight = round(round(weight_lb + rng.gauss(0, 1.5), 1) * KG_PER_LB, 2)
        systolic, diastolic = self.systolic, self.diastolic
        if age >= 18:
            systolic += (age - 40) * 0.35
        else:
            systolic, diastolic = 95 + age * 1.3, 58 + age
        if self.hypertensive:
            systolic += 14 if treated_bp else 28
            diastolic += 7 if treated_bp else 13
        pulse = self.pulse if age >= 12 else 140 - age * 5 if age < 2 else 110 - age * 2
        temp_f = rng.gauss(101.2, 0.7) if fever else rng.gauss(98.2, 0.35)
        spo2 = rng.gauss(93.5, 1.5) if self.copd else rng.gauss(97.8, 1)
        rr = rng.gauss(16, 1.5) if age >= 12 else rng.gauss(34 - age * 1.5, 3)
        values = {
            "systolic": round(systolic + rng.gauss(0, 7)),
            "diastolic": round(diastolic + rng.gauss(0, 5)),
            "heart_rate": max(42, round(pulse + rng.gauss(0, 10 if self.afib else 6))),
            "respiratory_rate": round(rr),
            "temperature": round((round(temp_f, 1) - 32) * 5 / 9, 2),
            "spo2": round(min(100, spo2)),
            "weight": weight,
            "height": height,
        }
        values["bmi"] = round(weight / (height / 100) ** 2, 1)
        values["glucose_capillary"] = round(rng.gauss(135, 25))
        limits = _limits()
        for key, value in values.items():
            low, high = limits[key]
            values[key] = float(min(max(value, low), high))
        if values["diastolic"] >= values["systolic"] - 15:
            values["diastolic"] = values["systolic"] - 25
        if age < 2:  # growth is followed by weight-for-length, not BMI
            del values["bmi"]
        return values


# --- the generator -----------------------------------------------------------------------------


class _Charts:
    """Makes every table's rows for a batch of patients."""

    def __init__(self, ctx: DemoContext, providers: list[int], names: dict[int, str]) -> None:
        self.rng = ctx.rng
        self.today = ctx.today
        self.seed = ctx.seed
        self.providers = providers
        self.names = names
        self.midnights: dict[date, datetime] = {}
        self.clock = self.utc(self.today, DEMO_CLOCK.hour * 60 + DEMO_CLOCK.minute)
        self.icd = {c.code: get_icd10(c.code).description for c in (*CONDITIONS, *ACUTE)}
        self.icd.update({code: get_icd10(code).description for _, code in FAMILY})
        self.icd.update({code: get_icd10(code).description for _, code in PAST_MEDICAL})
        self.vital = {v.key: v for v in loinc.vital_signs()}
        self.lab = {t.key: t for t in loinc.lab_tests()}
        self.counts: Counter[str] = Counter()
        self.reset()

    def reset(self) -> None:
        self.rows: dict[str, list[dict]] = {
            name: []
            for name in (
                "encounters",
                "notes",
                "problems",
                "allergy_status",
                "allergies",
                "medications",
                "immunizations",
                "history_entries",
                "lab_panels",
                "observations",
            )
        }

    # -- times --
    def utc(self, day: date, minute: int) -> datetime:
        midnight = self.midnights.get(day)
        if midnight is None:
            # Office hours lie far from the small-hours DST change: one offset per day.
            noon = to_utc(datetime.combine(day, time(12)))
            midnight = self.midnights[day] = noon - timedelta(hours=12)
        return midnight + timedelta(minutes=minute)

    def stamp(self, at: datetime, by: int | None) -> dict:
        return {
            "created_at": at,
            "updated_at": at,
            "created_by": by,
            "updated_by": by,
            "version": 1,
        }

    def clinical(self, patient_id: int, encounter_id: int | None, at: datetime, by: int | None):
        return {
            "patient_id": patient_id,
            "encounter_id": encounter_id,
            "entered_in_error": False,
            "error_reason": "",
        } | self.stamp(at, by)

    def observation(
        self,
        patient_id: int,
        encounter_id: int,
        at: datetime,
        by: int,
        category: str,
        code: str,
        name: str,
        value: float,
        unit: str,
        low: float | None,
        high: float | None,
        flag: str,
        observed_at: datetime,
        panel_id: int | None,
        lab: str,
        source: str,
        group: str,
    ) -> dict:
        # One literal, no merging: there are millions of these.
        return {
            "patient_id": patient_id,
            "encounter_id": encounter_id,
            "entered_in_error": False,
            "error_reason": "",
            "created_at": at,
            "updated_at": at,
            "created_by": by,
            "updated_by": by,
            "version": 1,
            "category": category,
            "loinc_code": code,
            "name": name,
            "value_num": value,
            "value_text": "",
            "unit": unit,
            "ref_low": low,
            "ref_high": high,
            "ref_text": "",
            "flag": flag,
            "observed_at": observed_at,
            "panel_id": panel_id,
            "performing_lab": lab,
            "source": source,
            "group_id": group,
        }

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    # -- the profile --
    def conditions(self, p: PatientInfo, span_start: date, big: bool) -> list[Have]:
        rng = self.rng
        age = _age(p.dob, self.today)
        band = _band(age)
        have: list[Have] = []
        for c in CONDITIONS:
            if age < c.min_age or (c.sex and p.sex != c.sex):
                continue
            chance = c.prevalence[band]
            if big:
                chance = 1.0 if c.key in BIG_CHART_CONDITIONS else 0.0
            elif "diabetes" in {h.condition.key for h in have} and c.key in ("hypertension",):
                chance = min(1.0, chance * 1.8)
            if rng.random() >= chance:
                continue
            earliest = max(_add_years(p.dob, c.min_age), self.today - timedelta(days=20 * 365))
            latest = self.today - timedelta(days=45)
            if earliest >= latest:
                continue
            onset = earliest + timedelta(days=rng.randrange((latest - earliest).days))
            if big:
                onset = min(onset, span_start + timedelta(days=rng.randrange(3 * 365)))
            h = Have(c, onset)
            if not big and c.key in ("anxiety", "depression", "gerd") and rng.random() < 0.2:
                h.resolved = onset + timedelta(days=rng.randrange(200, 1500))
                if h.resolved >= self.today:
                    h.resolved = None
            self.prescribe(h)
            have.append(h)
        return have

    def prescribe(self, h: Have, allergic: set[str] | None = None) -> None:
        rng = self.rng
        drugs = h.condition.drugs
        if not drugs:
            return
        first = drugs[0]
        if allergic and first.name in PENICILLINS:
            first = PENICILLIN_ALTERNATIVE
        start = h.onset + timedelta(days=rng.randrange(0, 30))
        if start > self.today:
            return
        if not h.condition.chronic:
            stop = start + timedelta(days=rng.choice((5, 7, 10)))
            reason = "Course completed"
            h.drugs.append((first, start, stop if stop <= self.today else None, reason))
            if len(drugs) > 1 and rng.random() < 0.4:
                h.drugs.append((drugs[1], start, stop, "Course completed"))
            return
        if len(drugs) > 1 and rng.random() < 0.25:
            switch = start + timedelta(days=rng.randrange(60, 900))
            if switch < self.today:
                h.drugs.append((first, start, switch, rng.choice(STOP_REASONS_SWITCH)))
                h.drugs.append((drugs[1], switch, None, ""))
                return
        stop = h.resolved if h.resolved and h.resolved <= self.today else None
        h.drugs.append((first, start, stop, "No longer needed" if stop else ""))

    def acute(self, p: PatientInfo, span_start: date, cutoff: date) -> list[Have]:
        rng = self.rng
        years = _years((cutoff - span_start).days)
        episodes = []
        for _ in range(min(8, int(years * rng.uniform(0.15, 0.6)))):
            day = span_start + timedelta(days=rng.randrange(max(1, (cutoff - span_start).days)))
            band = _band(_age(p.dob, day))
            choices = [c for c in ACUTE if not c.sex or c.sex == p.sex]
            weights = [c.prevalence[band] for c in choices]
            c = rng.choices(choices, weights=weights)[0]
            episodes.append(Have(c, day, day + timedelta(days=rng.randrange(7, 45))))
        return episodes

    # -- the patient --
    def patient(
        self,
        p: PatientInfo,
        appointments: list,
        next_ids: dict[str, int],
        cutoff: date,
        big: bool,
    ) -> None:
        rng = self.rng
        age = _age(p.dob, self.today)
        if big:
            span_start = max(_add_years(p.dob, 18), _add_years(self.today, -BIG_CHART_YEARS))
        elif age < 18:
            span_start = (
                p.dob + timedelta(days=3)
                if age < 3
                else _add_years(self.today, -rng.uniform(1, min(age, 6)))
            )
        else:
            years = min(age - 18, rng.choice(CHART_YEARS))
            span_start = max(_add_years(p.dob, 18), _add_years(self.today, -max(years, 1)))
        span_start = min(span_start, cutoff)
        have = self.conditions(p, span_start, big)
        has = {h.condition.key for h in have}
        allergies = self.allergies(p, span_start)
        allergic = {a["substance"] for a in allergies}
        if allergic & {"Penicillin", "Amoxicillin"}:
            allergic |= PENICILLINS
        episodes = [] if big else self.acute(p, span_start, cutoff)
        for h in episodes:
            self.prescribe(h, allergic)
        primary = rng.choice(self.providers)
        visits = self.visits(p, have, episodes, appointments, span_start, cutoff, primary, big)
        body = _Body(rng, p, has)
        lab_z: dict[str, float] = {}
        first_encounter = next_ids["encounters"]
        seen_problem: set[int] = set()
        for visit in visits:
            eid = next_ids["encounters"]
            next_ids["encounters"] += 1
            self.encounter(p, visit, eid, body, have, lab_z, next_ids, seen_problem)
        # Everything recorded but not at a visit goes in with the first encounter's time.
        at = self.utc(span_start, 9 * 60)
        self.problem_rows(p, [*have, *episodes], at, primary)
        self.medication_rows(p, [*have, *episodes], primary)
        self.allergy_rows(p, allergies, at, primary)
        self.immunizations(p, span_start, primary)
        self.history(p, has, at, primary)
        self.counts["encounters"] += next_ids["encounters"] - first_encounter

    # -- visits --
    def visits(
        self,
        p: PatientInfo,
        have: list[Have],
        episodes: list[Have],
        appointments: list,
        span_start: date,
        cutoff: date,
        primary: int,
        big: bool,
    ) -> list[Visit]:
        rng = self.rng
        visits: list[Visit] = []
        chronic_days = 0
        day = span_start
        if big:
            wanted = BIG_CHART_ENCOUNTERS - len(appointments)
            step = max(1, (cutoff - span_start).days // max(1, wanted))
            days = [span_start + timedelta(days=i * step) for i in range(max(0, wanted))]
            for i, d in enumerate(days):
                kind = "Annual physical" if i % 20 == 0 else "Follow-up"
                visits.append(self.visit(p, d, kind, have, primary))
        else:
            while day < cutoff:
                age = _age(p.dob, day)
                if age < 2.5:
                    gap = 60 if age < 0.6 else 91 if age < 1.6 else 182
                    visits.append(self.visit(p, day, "Annual physical", have, primary))
                    day += timedelta(days=gap + rng.randrange(-7, 8))
                    continue
                active = [h for h in have if h.active_on(day)]
                physical_chance = 0.8 if age >= 65 or age < 18 else 0.5
                if rng.random() < physical_chance:
                    visits.append(self.visit(p, day, "Annual physical", have, primary))
                follow_ups = min(2, len(active))
                for k in range(follow_ups):
                    d = day + timedelta(days=(k + 1) * 365 // (follow_ups + 1))
                    if d < cutoff:
                        kind = (
                            "Telehealth" if d.year >= 2020 and rng.random() < 0.2 else "Follow-up"
                        )
                        visits.append(self.visit(p, d, kind, have, primary))
                        chronic_days += 1
                day += timedelta(days=365 + rng.randrange(-20, 21))
            for h in episodes:
                if h.onset < cutoff:
                    visits.append(self.visit(p, h.onset, "Office visit", have, primary, h))
        for a in appointments:
            visits.append(self.appointment_visit(p, a, have))
        visits.sort(key=lambda v: (v.day, v.minute))
        self.plan_labs(p, have, visits, big)
        if big:
            self.fit_big_chart(visits)
        return visits

    def visit(
        self,
        p: PatientInfo,
        day: date,
        kind: str,
        have: list[Have],
        provider: int,
        acute: Have | None = None,
    ) -> Visit:
        rng = self.rng
        day += timedelta(days=(7 - day.weekday()) % 7 if day.weekday() >= 5 else 0)
        minute = 8 * 60 + 15 * rng.randrange(0, 35)
        active = [h for h in have if h.active_on(day)]
        if acute is not None:
            focus, reason = [acute], acute.condition.reason
        elif kind == "Annual physical":
            focus = active
            age = _age(p.dob, day)
            reason = (
                "Well-child check"
                if age < 18
                else ("Medicare annual wellness visit" if age >= 65 else "Annual physical")
            )
        else:
            focus = rng.sample(active, min(len(active), rng.choice((1, 2, 2, 3)))) if active else []
            reason = focus[0].condition.reason if focus else "Medication review"
        vitals = VITALS_BY_KIND.get(kind, VISIT_VITALS)
        if provider != self.providers[0] and rng.random() < 0.15:
            provider = rng.choice(self.providers)
        visit = Visit(day, minute, kind, reason, provider, focus, vitals=vitals)
        visit.signed_at = self.utc(day, minute + rng.randrange(30, 480))
        return visit

    def appointment_visit(self, p: PatientInfo, a, have: list[Have]) -> Visit:
        rng = self.rng
        local = to_local(a.starts_at)
        day = local.date()
        active = [h for h in have if h.active_on(day)]
        focus = [h for h in active if h.condition.reason == a.reason] or active[:2]
        kind = a.type_name if a.type_name else "Office visit"
        visit = Visit(
            day,
            local.hour * 60 + local.minute,
            kind,
            a.reason or (focus[0].condition.reason if focus else "Office visit"),
            a.provider_id,
            focus,
            appointment_id=a.id,
            starts_at=a.starts_at,
            vitals=VITALS_BY_KIND.get(kind, FULL_VITALS),
        )
        if a.status == "completed":
            done = a.completed_at or a.ends_at
            visit.signed_at = min(done + timedelta(minutes=rng.randrange(5, 240)), self.clock)
        return visit

    def plan_labs(self, p: PatientInfo, have: list[Have], visits: list[Visit], big: bool) -> None:
        """CMP and lipids yearly for adults with a chronic condition that needs them (every
        third year from 40), a CBC every third year (every other from 65); A1c twice a year for
        diabetics; TSH yearly for hypothyroidism. Drawn at the visit."""
        last: dict[str, date] = {}
        keys = {h.condition.key for h in have}
        for v in visits:
            if v.signed_at is None or v.kind == "Telehealth":
                continue
            age = _age(p.dob, v.day)
            if age < 18:
                continue
            panels = []
            chronic = keys & {"hypertension", "hyperlipidemia", "diabetes", "ckd"}
            every = 330 if chronic else 1000 if age >= 40 else None
            if every and (v.day - last.get("yearly", date.min)).days > every:
                panels += [CMP, LIPIDS]
                if (v.day - last.get("cbc", date.min)).days > (700 if age >= 65 else 1000):
                    panels.append(CBC)
                    last["cbc"] = v.day
                last["yearly"] = v.day
                if "hypothyroidism" in keys and any(
                    h.condition.key == "hypothyroidism" and h.onset <= v.day for h in have
                ):
                    panels.append(TSH)
            diabetic = any(h.condition.key == "diabetes" and h.onset <= v.day for h in have)
            if diabetic and (v.day - last.get("a1c", date.min)).days > (85 if big else 170):
                panels.append(A1C)
                last["a1c"] = v.day
            v.labs = tuple(panels)

    def fit_big_chart(self, visits: list[Visit]) -> None:
        """Full vitals at enough visits, blood pressure and pulse at the rest, so that the
        chart holds BIG_CHART_OBSERVATIONS observations."""
        labs = sum(len(tests) for v in visits for _, _, tests in v.labs)
        short = len(SHORT_VITALS)
        extra = len(FULL_VITALS) - short
        room = BIG_CHART_OBSERVATIONS - labs - short * len(visits)
        full, fingersticks = divmod(max(0, room), extra)
        full = min(full, len(visits))
        chosen = set(self.rng.sample(range(len(visits)), full))
        for i, v in enumerate(visits):
            v.vitals = FULL_VITALS if i in chosen else SHORT_VITALS
        for v in visits[:fingersticks]:
            v.glucose = True

    # -- one encounter: its row, note, vitals and labs --
    def encounter(
        self,
        p: PatientInfo,
        v: Visit,
        eid: int,
        body: _Body,
        have: list[Have],
        lab_z: dict[str, float],
        next_ids: dict[str, int],
        seen: set[int],
    ) -> None:
        rng = self.rng
        when = v.starts_at or self.utc(v.day, v.minute)
        rows = self.rows
        rows["encounters"].append(
            {
                "id": eid,
                "patient_id": p.id,
                "provider_id": v.provider_id,
                "appointment_id": v.appointment_id,
                "occurred_at": when,
                "encounter_type": v.kind,
                "reason": v.reason,
                "entered_in_error": False,
                "error_reason": "",
            }
            | self.stamp(when, v.provider_id)
        )
        treated = any(h.condition.key == "hypertension" and h.drugs_on(v.day) for h in have)
        fever = any(h.condition.key in ("pharyngitis", "otitis media") for h in v.focus)
        measured = body.measure(v.day, self.today, treated, fever)
        roomed = when + timedelta(minutes=rng.randrange(2, 10))
        keys = [k for k in v.vitals if k in measured]
        if v.glucose:
            keys.append("glucose_capillary")
        group = self.uuid()
        for key in keys:
            vital = self.vital[key]
            value = measured[key]
            flag = loinc.flag_vital(key, value)
            rows["observations"].append(
                self.observation(
                    p.id, eid, roomed, v.provider_id, VITALS, vital.loinc_code,
                    vital.display_name, value, vital.ucum_unit, vital.normal_low,
                    vital.normal_high, _FLAGS[flag], roomed, None, "", "manual", group,
                )
            )  # fmt: skip
        self.counts["vitals"] += len(keys)
        results: dict[str, tuple[float, str]] = {}
        for name, code, tests in v.labs:
            results.update(self.panel(p, v, eid, when, name, code, tests, have, lab_z, next_ids))
        note = self.note_text(p, v, measured, keys, results, have, seen)
        signed = v.signed_at is not None
        rows["notes"].append(
            {
                "encounter_id": eid,
                "patient_id": p.id,
                "subjective": note[0],
                "objective": note[1],
                "assessment": note[2],
                "plan": note[3],
                "status": "signed" if signed else "draft",
                "template_id": None,
                "signed_by": v.provider_id if signed else None,
                "signed_at": v.signed_at,
                "signed_hash": note_hash(*note) if signed else None,
            }
            | self.stamp(when, v.provider_id)
            | {"updated_at": v.signed_at or roomed}
        )
        self.counts["signed notes" if signed else "draft notes"] += 1

    def panel(
        self,
        p: PatientInfo,
        v: Visit,
        eid: int,
        when: datetime,
        name: str,
        code: str,
        tests: tuple[str, ...],
        have: list[Have],
        lab_z: dict[str, float],
        next_ids: dict[str, int],
    ) -> dict[str, tuple[float, str]]:
        rng = self.rng
        pid = next_ids["lab_panels"]
        next_ids["lab_panels"] += 1
        drawn = when + timedelta(minutes=20)
        reported = drawn + timedelta(hours=rng.randrange(6, 30))
        lab = LABS[p.id % len(LABS)]
        self.rows["lab_panels"].append(
            self.clinical(p.id, eid, reported, v.provider_id)
            | {
                "id": pid,
                "name": name,
                "loinc_code": code,
                "collected_at": drawn,
                "performing_lab": lab,
                "ordered_by": v.provider_id,
                "source": "import",
                "notes": "",
            }
        )
        values = self.lab_values(p, v.day, tests, have, lab_z)
        out: dict[str, tuple[float, str]] = {}
        for key in tests:
            spec, test = LAB_SPECS[key], self.lab[key]
            value = values[key]
            flag = compute_flag(value, "", spec.low, spec.high)
            out[key] = (value, flag)
            self.rows["observations"].append(
                self.observation(
                    p.id, eid, reported, v.provider_id, LABORATORY, test.loinc_code,
                    LAB_NAMES[key], value, test.ucum_unit, spec.low, spec.high, flag, drawn,
                    pid, lab, "import", "",
                )
            )  # fmt: skip
        self.counts["lab results"] += len(tests)
        return out

    def lab_values(
        self,
        p: PatientInfo,
        day: date,
        tests: tuple[str, ...],
        have: list[Have],
        lab_z: dict[str, float],
    ) -> dict[str, float]:
        rng = self.rng
        on = {h.condition.key: h for h in have if h.active_on(day)}
        treated = {k for k, h in on.items() if h.drugs_on(day)}
        values: dict[str, float] = {}
        for key in tests:
            spec = LAB_SPECS[key]
            if not spec.sd:
                continue
            z = lab_z.setdefault(key, rng.gauss(0, 0.7))
            mean = spec.mean
            if p.sex == "F" and key in ("hemoglobin", "hematocrit", "rbc", "creatinine"):
                mean *= 0.9
            if p.sex == "F" and key == "hdl":
                mean += 10
            if key == "glucose_serum" and "diabetes" in on:
                mean = 128 if "diabetes" in treated else 165
            if key == "hba1c" and "diabetes" in on:
                mean = 6.9 if "diabetes" in treated else 8.4
            if key == "creatinine" and "ckd" in on:
                mean = 1.55
            if key == "cholesterol_total" and "hyperlipidemia" in on:
                mean = 178 if "hyperlipidemia" in treated else 245
            if key == "triglycerides" and "diabetes" in on:
                mean = 175
            if key == "tsh" and "hypothyroidism" in on:
                mean = 2.6 if "hypothyroidism" in treated else 7.5
            value = mean + spec.sd * (z + rng.gauss(0, 0.7))
            values[key] = round(max(value, spec.mean * 0.2 if spec.mean else 0.1), spec.decimals)
        if "hematocrit" in tests:
            values["hematocrit"] = round(values["hemoglobin"] * 2.95 + rng.gauss(0, 0.6), 1)
        if "ldl_calculated" in tests:  # Friedewald: TC - HDL - TG/5
            ldl = values["cholesterol_total"] - values["hdl"] - values["triglycerides"] / 5
            values["ldl_calculated"] = float(max(30, round(ldl)))
        if "egfr_ckd_epi_2021" in tests:
            values["egfr_ckd_epi_2021"] = float(
                _egfr(values["creatinine"], _age(p.dob, day), p.sex == "F")
            )
        return values

    # -- the note --
    def note_text(
        self,
        p: PatientInfo,
        v: Visit,
        m: dict[str, float],
        keys: list[str],
        results: dict[str, tuple[float, str]],
        have: list[Have],
        seen: set[int],
    ) -> tuple[str, str, str, str]:
        rng = self.rng
        age = _age(p.dob, v.day)
        physical = v.kind == "Annual physical"
        subjective: list[str] = []
        if physical:
            bank = WELL_CHILD_SUBJECTIVE if age < 18 else ANNUAL_SUBJECTIVE
            subjective.append(rng.choice(bank).format(exercise=rng.randrange(0, 6)))
        for h in v.focus:
            first = id(h) not in seen
            seen.add(id(h))
            if first and h.condition.chronic and not physical:
                subjective.append(f"New concern: {h.condition.reason.lower()}.")
            subjective.append(rng.choice(h.condition.subjective))
        if not subjective:
            subjective.append(f"{v.reason}. No other concerns today.")
        drugs = sorted({d for h in have for d in h.drugs_on(v.day)}, key=lambda d: d.name)
        if drugs:
            subjective.append(
                "Medications: " + "; ".join(f"{d.name} {d.dose} {d.frequency}" for d in drugs) + "."
            )

        vitals = _vitals_line(m, keys)
        objective = [
            ("Home readings reported by video: " if v.kind == "Telehealth" else "Vitals: ") + vitals
        ]
        if v.kind != "Telehealth":
            exam = EXAM if physical else rng.sample(EXAM, 4)
            objective += list(exam)
        if results:
            objective.append("Labs: " + _labs_line(results))

        assessment = []
        plan = []
        for n, h in enumerate(v.focus, start=1):
            c = h.condition
            status = _status(c.key, m, results, rng)
            assessment.append(f"{n}. {self.icd[c.code]} ({c.code}){status}")
            on_drugs = h.drugs_on(v.day)
            if on_drugs:
                plan.append(
                    "Continue "
                    + ", ".join(f"{d.name.lower()} {d.dose} {d.frequency}" for d in on_drugs)
                    + "."
                )
            else:
                started = [d for d, start, _, _ in h.drugs if start >= v.day][:1]
                if started:
                    d = started[0]
                    plan.append(f"Start {d.name.lower()} {d.dose} {d.route} {d.frequency}.")
            plan.append(rng.choice(c.plan))
        if physical:
            if not assessment:
                assessment.append(
                    "Well child, growing and developing normally."
                    if age < 18
                    else "Healthy adult; preventive care visit."
                )
            plan.append(rng.choice(WELL_CHILD_PLAN if age < 18 else ANNUAL_PLAN))
        if not assessment:
            assessment.append(f"{v.reason}: stable.")
        plan.append(
            "Return in "
            + rng.choice(("3 months", "6 months", "one year", "2 weeks"))
            + " or sooner if worse."
        )
        if v.signed_at is None:  # a draft while the visit goes on
            return ("\n".join(subjective), "\n".join(objective[:1]), "", "")
        return ("\n".join(subjective), "\n".join(objective), "\n".join(assessment), "\n".join(plan))

    # -- lists --
    def problem_rows(self, p: PatientInfo, have: list[Have], at: datetime, by: int) -> None:
        for h in have:
            recorded = max(at, self.utc(h.onset, 9 * 60))
            status = "active"
            if h.resolved is not None and h.resolved <= self.today:
                status = "resolved"
            self.rows["problems"].append(
                self.clinical(p.id, None, recorded, by)
                | {
                    "icd10_code": h.condition.code,
                    "description": self.icd[h.condition.code],
                    "onset": h.onset,
                    "status": status,
                    "resolved_on": h.resolved if status == "resolved" else None,
                    "notes": "",
                }
            )
        self.counts["problems"] += len(have)

    def medication_rows(self, p: PatientInfo, have: list[Have], by: int) -> None:
        rng = self.rng
        for h in have:
            for drug, start, stop, reason in h.drugs:
                self.rows["medications"].append(
                    self.clinical(p.id, None, self.utc(start, 11 * 60), by)
                    | {
                        "name": drug.name,
                        "rxnorm": "",
                        "dose": drug.dose,
                        "route": drug.route,
                        "frequency": drug.frequency,
                        "instructions": "",
                        "reason": get_reason(h),
                        "started_on": start,
                        "stopped_on": stop,
                        "stop_reason": reason if stop else "",
                        "source": "here" if rng.random() < 0.8 else "elsewhere",
                        "prescription_id": None,
                    }
                )
                self.counts["medications"] += 1

    def allergies(self, p: PatientInfo, span_start: date) -> list[dict]:
        """The allergy rows to make (none for 'no known allergies' or 'not recorded')."""
        rng = self.rng
        r = rng.random()
        if r < 0.10:
            self.counts["allergies not recorded"] += 1
            return []
        if r < 0.30:
            self.rows["allergy_status"].append(
                {"patient_id": p.id, "no_known_allergies": True}
                | self.stamp(self.utc(span_start, 9 * 60), None)
            )
            self.counts["no known allergies"] += 1
            return []
        found = []
        for substance, category, reaction, severity in rng.sample(
            ALLERGENS, rng.choice((1, 1, 1, 2, 2, 3))
        ):
            if any(a["substance"] == substance for a in found):
                continue
            resolved = category == "food" and rng.random() < 0.1
            found.append(
                {
                    "substance": substance,
                    "category": category,
                    "code": "",
                    "code_system": "",
                    "reaction": reaction,
                    "severity": severity,
                    "status": "resolved" if resolved else "active",
                    "onset": None,
                    "notes": "Outgrown" if resolved else "",
                }
            )
        return found

    def allergy_rows(self, p: PatientInfo, found: list[dict], at: datetime, by: int) -> None:
        for a in found:
            self.rows["allergies"].append(self.clinical(p.id, None, at, by) | a)
        self.counts["allergies"] += len(found)

    # -- immunizations --
    def immunizations(self, p: PatientInfo, span_start: date, by: int) -> None:
        rng = self.rng
        age = _age(p.dob, self.today)
        doses: list[tuple[str, date, bool]] = []  # (cvx, given on, refused)
        for season in range(max(span_start.year, p.dob.year), self.today.year + 1):
            day = date(season, 9, 15) + timedelta(days=rng.randrange(75))
            at_age = _age(p.dob, day)
            if day > self.today or at_age < 0.5:
                continue
            chance = 0.75 if at_age >= 65 else 0.5 if at_age < 18 else 0.45
            if rng.random() < chance:
                doses.append((_flu_code(season, at_age), day, False))
            elif at_age >= 18 and rng.random() < 0.15:
                doses.append((_flu_code(season, at_age), day, True))
        if age >= 19 and rng.random() < 0.6:
            doses.append(("115", self.today - timedelta(days=rng.randrange(30, 3650)), False))
        if age >= 5 and rng.random() < 0.65:
            first = date(2021, 3, 1) + timedelta(days=rng.randrange(200))
            code = rng.choice(("207", "208"))
            doses += [(code, first, False), (code, first + timedelta(days=28), False)]
            for year, chance in ((2023, 0.35), (2024, 0.25), (2025, 0.2)):
                day = date(year, 9, 20) + timedelta(days=rng.randrange(60))
                if day <= self.today and rng.random() < chance:
                    doses.append((rng.choice(("309", "312")), day, False))
        if age >= 65 and rng.random() < 0.65:
            day = max(_add_years(p.dob, 65), date(2021, 11, 1)) + timedelta(days=rng.randrange(400))
            if day <= self.today:
                doses.append(("216", day, False))
        if age >= 50 and rng.random() < 0.35:
            day = max(_add_years(p.dob, 50), date(2018, 3, 1)) + timedelta(days=rng.randrange(1500))
            if day + timedelta(days=90) <= self.today:
                doses += [("187", day, False), ("187", day + timedelta(days=90), False)]
        if age < 19:
            for code, at_age in CHILD_SCHEDULE:
                day = _add_years(p.dob, at_age) + timedelta(days=rng.randrange(0, 21))
                if day <= self.today and rng.random() < 0.95:
                    if code == "133" and day.year >= 2023:
                        code = "215"
                    doses.append((code, day, False))
        for code, day, refused in doses:
            self.immunization(p, code, day, refused, span_start, by)
        self.counts["immunizations"] += len(doses)

    def immunization(
        self, p: PatientInfo, code: str, day: date, refused: bool, span_start: date, by: int
    ) -> None:
        rng = self.rng
        vaccine = get_cvx(code)
        at = self.utc(day, 10 * 60 + rng.randrange(0, 360))
        here = day >= span_start and not code.startswith("20") and rng.random() < 0.8
        if refused:
            row = {
                "lot_number": "",
                "expires_on": None,
                "manufacturer": "",
                "site": "",
                "route": "",
                "dose": "",
                "administered_by": "",
                "historical": False,
                "source": "",
                "refused": True,
                "refusal_reason": "Patient decision",
            }
        else:
            age = _age(p.dob, day)
            site = rng.choice(("LT", "RT", "LVL", "RVL") if age < 3 else ("LD", "RD", "LA", "RA"))
            route = "SC" if code in ("03", "21") else "IM"
            row = {
                "lot_number": "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(2))
                + str(rng.randrange(10_000, 999_999)),
                "expires_on": day + timedelta(days=rng.randrange(120, 540)),
                "manufacturer": _manufacturer(code, rng),
                "site": site,
                "route": route,
                "dose": "0.25 mL" if code == "312" and age < 12 else "0.5 mL",
                "administered_by": rng.choice(GIVERS) if here else "",
                "historical": not here,
                "source": "" if here else rng.choice(VACCINE_SOURCES),
                "refused": False,
                "refusal_reason": "",
            }
        self.rows["immunizations"].append(
            self.clinical(p.id, None, at, by)
            | {"cvx_code": vaccine.code, "vaccine": vaccine.short_description, "given_on": day}
            | row
        )

    # -- history --
    def history(self, p: PatientInfo, has: set[str], at: datetime, by: int) -> None:
        rng = self.rng
        age = _age(p.dob, self.today)
        entries: list[dict] = []

        def add(kind: str, description: str, **more: str) -> None:
            entries.append(
                self.clinical(p.id, None, at, by)
                | {
                    "kind": kind,
                    "description": description,
                    "category": "",
                    "relative": "",
                    "icd10_code": "",
                    "when_text": "",
                    "notes": "",
                }
                | more
            )

        for condition, code in rng.sample(FAMILY, rng.choice((0, 1, 1, 2, 2, 3))):
            relative = rng.choice(RELATIVES)
            add("family", condition, relative=relative, icd10_code=code,
                when_text=f"at {rng.randrange(45, 80)}")  # fmt: skip
        if age >= 15:
            r = rng.random()
            if "copd" in has or r < 0.15:
                smoke = rng.choice(
                    ("Current smoker, 1/2 pack a day", "Current smoker, 1 pack a day")
                )
                if "copd" in has and rng.random() < 0.5:
                    smoke = f"Former smoker, quit {self.today.year - rng.randrange(1, 15)}"
            elif r < 0.4:
                smoke = f"Former smoker, quit {self.today.year - rng.randrange(1, 30)}"
            else:
                smoke = "Never smoker"
            add("social", smoke, category="tobacco")
        if age >= 18:
            drink = rng.choice(("None", "Social, 1-2 drinks a week", "3-7 drinks a week",
                                "None (in recovery)", "A glass of wine with dinner"))  # fmt: skip
            add("social", drink, category="alcohol")
            if rng.random() < 0.06:
                add("social", "Cannabis occasionally", category="substances")
            job = OCCUPATIONS[p.id % len(OCCUPATIONS)]
            add("social", f"Retired {job.lower()}" if age >= 67 else job, category="occupation")
        elif age >= 5:
            add("social", f"Student, grade {min(12, max(1, int(age) - 5))}", category="occupation")
        for operation, youngest, sex in SURGERIES:
            if age >= youngest + 2 and (not sex or sex == p.sex) and rng.random() < 0.06:
                year = _add_years(p.dob, rng.uniform(youngest, age)).year
                add("surgical", operation, when_text=str(year))
        if age >= 18 and rng.random() < 0.2:
            condition, code = rng.choice(PAST_MEDICAL)
            if p.sex == "F" or not condition.startswith("Gestational"):
                year = _add_years(p.dob, rng.uniform(16, age)).year
                add("medical", condition, icd10_code=code, when_text=str(year))
        self.rows["history_entries"] += entries
        self.counts["history entries"] += len(entries)


# --- small helpers ------------------------------------------------------------------------------

BIG_CHART_CONDITIONS = {
    "hypertension",
    "hyperlipidemia",
    "diabetes",
    "obesity",
    "gerd",
    "ckd",
    "atrial fibrillation",
    "sleep apnea",
    "knee osteoarthritis",
    "depression",
}

# (CVX, age in years) of the US childhood schedule
CHILD_SCHEDULE: tuple[tuple[str, float], ...] = (
    ("08", 0.0), ("08", 0.12), ("08", 0.5),
    ("20", 0.17), ("20", 0.33), ("20", 0.5), ("20", 1.3), ("20", 4.5),
    ("10", 0.17), ("10", 0.33), ("10", 0.6), ("10", 4.5),
    ("49", 0.17), ("49", 0.33), ("49", 1.1),
    ("133", 0.17), ("133", 0.33), ("133", 0.5), ("133", 1.1),
    ("03", 1.0), ("03", 4.5), ("21", 1.0), ("21", 4.5),
    ("83", 1.0), ("83", 1.6),
    ("115", 11.2), ("165", 11.2), ("165", 11.8),
)  # fmt: skip

_MAKERS = {
    "03": ("Merck",), "08": ("Merck", "GlaxoSmithKline"), "10": ("Sanofi Pasteur",),
    "20": ("Sanofi Pasteur", "GlaxoSmithKline"), "21": ("Merck",), "49": ("Merck",),
    "83": ("Merck", "GlaxoSmithKline"), "115": ("GlaxoSmithKline", "Sanofi Pasteur"),
    "133": ("Pfizer",), "135": ("Sanofi Pasteur",), "140": ("Sanofi Pasteur", "GlaxoSmithKline"),
    "150": ("Sanofi Pasteur", "GlaxoSmithKline", "Seqirus"), "165": ("Merck",),
    "187": ("GlaxoSmithKline",), "197": ("Sanofi Pasteur",), "207": ("Moderna",),
    "208": ("Pfizer",), "215": ("Merck",), "216": ("Pfizer",), "309": ("Pfizer",),
    "312": ("Moderna",),
}  # fmt: skip


def _manufacturer(code: str, rng: random.Random) -> str:
    return rng.choice(_MAKERS.get(code, ("Merck",)))


def _flu_code(season: int, age: float) -> str:
    """The US moved from quadrivalent to trivalent influenza vaccines for 2024-25."""
    if season >= 2024:
        return "135" if age >= 65 else "140"
    return "197" if age >= 65 and season >= 2020 else "135" if age >= 65 else "150"


def get_reason(h: Have) -> str:
    return h.condition.reason if not h.condition.chronic else h.condition.key.capitalize()


def _egfr(creatinine: float, age: float, female: bool) -> int:
    """CKD-EPI 2021 (race-free) estimated GFR, mL/min/1.73 m2."""
    kappa, alpha = (0.7, -0.241) if female else (0.9, -0.302)
    ratio = creatinine / kappa
    egfr = 142 * min(ratio, 1) ** alpha * max(ratio, 1) ** -1.2 * 0.9938 ** max(age, 18)
    return round(egfr * (1.012 if female else 1))


def _number(value: float) -> str:
    return f"{value:g}"


def _vitals_line(m: dict[str, float], keys: Iterable[str]) -> str:
    keys = set(keys)
    parts = []
    if "systolic" in keys:
        parts.append(f"BP {_number(m['systolic'])}/{_number(m['diastolic'])}")
    if "heart_rate" in keys:
        parts.append(f"HR {_number(m['heart_rate'])}")
    if "respiratory_rate" in keys:
        parts.append(f"RR {_number(m['respiratory_rate'])}")
    if "temperature" in keys:
        parts.append(f"T {m['temperature'] * 9 / 5 + 32:.1f} F")
    if "spo2" in keys:
        parts.append(f"SpO2 {_number(m['spo2'])}%")
    if "weight" in keys:
        parts.append(f"Wt {m['weight'] / KG_PER_LB:.1f} lb")
    if "height" in keys:
        parts.append(f"Ht {m['height'] / CM_PER_IN:.1f} in")
    if "bmi" in keys:
        parts.append(f"BMI {m['bmi']:.1f}")
    if "glucose_capillary" in keys:
        parts.append(f"fingerstick glucose {_number(m['glucose_capillary'])} mg/dL")
    return ", ".join(parts) + "."


_LAB_LABELS = {
    "hba1c": "A1c",
    "glucose_serum": "glucose",
    "creatinine": "creatinine",
    "egfr_ckd_epi_2021": "eGFR",
    "potassium": "K",
    "ldl_calculated": "LDL",
    "hdl": "HDL",
    "triglycerides": "TG",
    "hemoglobin": "Hgb",
    "tsh": "TSH",
}


def _labs_line(results: dict[str, tuple[float, str]]) -> str:
    parts = []
    for key, label in _LAB_LABELS.items():
        if key in results:
            value, flag = results[key]
            parts.append(f"{label} {_number(value)}" + (f" ({flag})" if flag else ""))
    return ", ".join(parts) + "."


def _status(key: str, m: dict[str, float], results: dict, rng: random.Random) -> str:
    if key == "diabetes" and "hba1c" in results:
        a1c = results["hba1c"][0]
        word = "at goal" if a1c < 7 else "above goal" if a1c >= 8 else "near goal"
        return f": A1c {_number(a1c)}%, {word}."
    if key == "hypertension":
        s, d = m["systolic"], m["diastolic"]
        word = "at goal" if s < 130 and d < 80 else "above goal"
        return f": BP {_number(s)}/{_number(d)} today, {word}."
    if key == "hyperlipidemia" and "ldl_calculated" in results:
        return f": LDL {_number(results['ldl_calculated'][0])} mg/dL."
    if key == "ckd" and "egfr_ckd_epi_2021" in results:
        return f": eGFR {_number(results['egfr_ckd_epi_2021'][0])}, stable."
    return rng.choice((": stable.", ": improving.", ": stable on current treatment.", "."))


# --- reading what the schedule made, and the whole run -----------------------------------------


@dataclass(frozen=True)
class _Appointment:
    id: int
    patient_id: int
    provider_id: int
    starts_at: datetime
    ends_at: datetime
    completed_at: datetime | None
    status: str
    reason: str
    type_name: str


def _appointments(s, first: int, last: int) -> dict[int, list[_Appointment]]:
    """Completed and roomed appointments of these patients that have no encounter yet."""
    rows = s.execute(
        select(
            Appointment.id,
            Appointment.patient_id,
            Appointment.provider_id,
            Appointment.starts_at,
            Appointment.ends_at,
            Appointment.completed_at,
            Appointment.status,
            Appointment.reason,
            AppointmentType.name,
        )
        .join(AppointmentType, AppointmentType.id == Appointment.type_id, isouter=True)
        .outerjoin(Encounter, Encounter.appointment_id == Appointment.id)
        .where(
            Appointment.patient_id.between(first, last),
            Appointment.status.in_(("completed", "in_room")),
            Encounter.id.is_(None),
        )
        .order_by(Appointment.starts_at, Appointment.id)
    )
    found: dict[int, list[_Appointment]] = {}
    for row in rows:
        found.setdefault(row[1], []).append(_Appointment(*row[:8], row[8] or ""))
    return found


def _patients(ctx: DemoContext, s) -> list[PatientInfo]:
    ids = ctx.produced.get("patient_ids")
    query = select(Patient.id, Patient.date_of_birth, Patient.sex).order_by(Patient.id)
    if ids is None:  # alone: the patients with no encounter yet
        query = query.where(
            ~select(Encounter.id).where(Encounter.patient_id == Patient.id).exists()
        )
        return [PatientInfo(*r) for r in s.execute(query)]
    wanted = set(ids)  # type: ignore[arg-type]
    if not wanted:
        return []
    query = query.where(Patient.id.between(min(wanted), max(wanted)))
    return [PatientInfo(*r) for r in s.execute(query) if r[0] in wanted]


def _big_chart_patient(patients: list[PatientInfo], today: date) -> int | None:
    for p in patients:
        if _age(p.dob, today) >= BIG_CHART_MIN_AGE:
            return p.id
    return patients[0].id if patients else None


def _next_ids(s) -> dict[str, int]:
    return {
        "encounters": (s.execute(select(func.max(Encounter.id))).scalar() or 0) + 1,
        "lab_panels": (s.execute(select(func.max(LabPanel.id))).scalar() or 0) + 1,
    }


_TABLES = {
    "encounters": Encounter.__table__,
    "notes": Note.__table__,
    "problems": Problem.__table__,
    "allergy_status": AllergyStatus.__table__,
    "allergies": Allergy.__table__,
    "medications": Medication.__table__,
    "immunizations": Immunization.__table__,
    "history_entries": HistoryEntry.__table__,
    "lab_panels": LabPanel.__table__,
    "observations": Observation.__table__,
}


def _sqlite_datetime(value: datetime) -> str:
    """As emr.models.base.UTCDateTime stores it on SQLite: naive UTC with microseconds."""
    if value.tzinfo is not UTC:
        value = value.astimezone(UTC)
    return value.replace(tzinfo=None).isoformat(" ", "microseconds")


def _insert(s, table, rows: list[dict], sqlite: bool) -> None:
    """Core insert of rows (all with the same keys). On SQLite the values are bound as the
    UTCDateTime and Date types would bind them, by the driver's executemany: SQLAlchemy's own
    bind processing of millions of values is about half of the generator's time."""
    if not sqlite:
        s.execute(insert(table), rows)
        return
    names = list(rows[0])
    columns = [table.c[name] for name in names]
    quote = s.bind.dialect.identifier_preparer.quote
    sql = (
        f"INSERT INTO {quote(table.name)} ({', '.join(quote(n) for n in names)}) "
        f"VALUES ({', '.join('?' * len(names))})"
    )
    datetimes = [i for i, c in enumerate(columns) if isinstance(c.type, UTCDateTime)]
    dates = [i for i, c in enumerate(columns) if type(c.type) is Date]
    get = operator.itemgetter(*names)
    formatted: dict[datetime, str] = {}
    params = []
    for row in rows:
        values = list(get(row))
        for i in datetimes:
            value = values[i]
            if value is not None:
                text = formatted.get(value)
                if text is None:
                    text = formatted[value] = _sqlite_datetime(value)
                values[i] = text
        for i in dates:
            if values[i] is not None:
                values[i] = values[i].isoformat()
        params.append(tuple(values))
    s.connection().exec_driver_sql(sql, params)


def generate(ctx: DemoContext) -> dict[str, int]:
    with ctx.db.read() as s:
        patients = _patients(ctx, s)
        providers = list(ctx.produced.get("provider_ids") or [p.id for p in provider_rows(s)])
        names = dict(s.execute(select(User.id, User.full_name)).all())
        earliest = s.execute(
            select(func.min(Appointment.starts_at)).where(Appointment.status == "completed")
        ).scalar()
    if not patients or not providers:
        return {"encounters": 0}
    cutoff = ctx.today - timedelta(weeks=13)
    if earliest is not None:
        cutoff = min(cutoff, to_local(earliest).date())
    charts = _Charts(ctx, providers, names)
    big = _big_chart_patient(patients, ctx.today)
    done = 0
    for start in range(0, len(patients), BATCH_PATIENTS):
        batch = patients[start : start + BATCH_PATIENTS]
        with ctx.operator.write() as s:
            if ctx.db.is_sqlite:
                s.connection().exec_driver_sql(f"PRAGMA cache_size = -{CACHE_KIB}")
            appointments = _appointments(s, batch[0].id, batch[-1].id)
            next_ids = _next_ids(s)
            for p in batch:
                charts.patient(p, appointments.get(p.id, []), next_ids, cutoff, p.id == big)
            for name, rows in charts.rows.items():
                if rows:
                    _insert(s, _TABLES[name], rows, ctx.db.is_sqlite)
            charts.reset()
            if ctx.db.is_sqlite:
                s.connection().exec_driver_sql("PRAGMA cache_size = -2000")
        done += len(batch)
        ctx.report(AREA, done, len(patients))
    counts = dict(charts.counts)
    with ctx.operator.write() as s:
        made = ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items()))
        audit.record(
            s,
            user_id=None,
            username=ctx.operator.username,
            action="create",
            entity="demo",
            detail=f"synthetic charts of {len(patients)} patients: {made} "
            f"(big chart: patient {big}; seed {ctx.seed})",
        )
    ctx.produced["big_chart_patient_id"] = big
    return {
        "encounters": counts.get("encounters", 0),
        "notes": counts.get("signed notes", 0) + counts.get("draft notes", 0),
        "problems": counts.get("problems", 0),
        "allergies": counts.get("allergies", 0),
        "medications": counts.get("medications", 0),
        "immunizations": counts.get("immunizations", 0),
        "observations": counts.get("vitals", 0) + counts.get("lab results", 0),
        "history_entries": counts.get("history entries", 0),
    }
