"""Synthetic patients: names of varied origins, a realistic age mix, addresses, phones,
insurance and emergency contacts.

Rows go in by Core executemany in batches, one transaction (and one audit event) per batch, with
their search keys, so that 100,000 patients take seconds rather than minutes.
"""

from __future__ import annotations

import itertools
import random
from datetime import date, timedelta

from sqlalchemy import insert, select

from emr.demo.context import DemoContext
from emr.demo.names import (
    CITIES,
    EMAIL_DOMAINS,
    ORIGINS,
    PAYERS,
    RELATIONSHIPS,
    STREETS,
    Origin,
)
from emr.models.base import utcnow
from emr.models.patients import Patient, PatientNameKey, PatientPhoneKey
from emr.mrn import random_mrn
from emr.normalize import name_tokens
from emr.security import audit
from emr.services.patients import name_key_rows, normalised_columns, phone_key_rows

BATCH_SIZE = 5_000
AREA = "patients"

# (youngest, oldest, share): children, young adults, middle age, older adults.
AGE_BANDS = ((0, 17, 19), (18, 39, 27), (40, 64, 33), (65, 99, 21))
NOTES = (
    "Prefers morning appointments.",
    "Needs an interpreter; bring a family member if possible.",
    "Hard of hearing: speak clearly, face the patient.",
    "Wheelchair user: book the ground-floor room.",
    "Call the mobile number, not home.",
    "Copay collected at check-out.",
)


class _PatientFactory:
    def __init__(self, rng: random.Random, today: date, taken_mrns: set[str]) -> None:
        self.rng = rng
        self.today = today
        self.taken = taken_mrns
        self.origin_weights = list(itertools.accumulate(o.weight for o in ORIGINS))
        self.age_weights = list(itertools.accumulate(b[2] for b in AGE_BANDS))

    def mrn(self) -> str:
        while True:
            mrn = random_mrn(self.rng)
            if mrn not in self.taken:
                self.taken.add(mrn)
                return mrn

    def origin(self) -> Origin:
        return self.rng.choices(ORIGINS, cum_weights=self.origin_weights)[0]

    def date_of_birth(self) -> date:
        low, high, _ = self.rng.choices(AGE_BANDS, cum_weights=self.age_weights)[0]
        days = self.rng.randrange(low * 365, (high + 1) * 365)
        return self.today - timedelta(days=days + 1)

    def phone(self, area_codes: tuple[str, ...]) -> str:
        rng = self.rng
        return f"({rng.choice(area_codes)}) {rng.randrange(200, 1000)}-{rng.randrange(10000):04d}"

    def given(self, origin: Origin, sex: str) -> str:
        if sex == "F" or (sex in "OU" and self.rng.random() < 0.5):
            return self.rng.choice(origin.female)
        return self.rng.choice(origin.male)

    def patient(self) -> dict:
        rng = self.rng
        origin = self.origin()
        sex = rng.choices("FMOU", cum_weights=(505, 990, 995, 1000))[0]
        family = rng.choice(origin.family)
        if rng.random() < 0.03:  # a double-barrelled name from a second origin
            family = f"{family}-{rng.choice(self.origin().family)}"
        given = self.given(origin, sex)
        middle = self.given(origin, sex) if rng.random() < 0.35 else ""
        if middle == given:
            middle = ""
        dob = self.date_of_birth()
        age = (self.today - dob).days // 365
        city, state, zip3, area_codes = rng.choice(CITIES)

        mobile = self.phone(area_codes) if rng.random() < 0.88 else ""
        home = self.phone(area_codes) if rng.random() < 0.4 or not mobile else ""
        work = self.phone(area_codes) if 18 <= age < 67 and rng.random() < 0.15 else ""
        email = ""
        if age >= 14 and rng.random() < 0.6:
            local = ".".join(name_tokens(given)[:1] + name_tokens(family)[:1])
            email = f"{local}{rng.randrange(100) if rng.random() < 0.5 else ''}@{rng.choice(EMAIL_DOMAINS)}"

        contact_given = self.given(origin, rng.choice("FM"))
        relationship = "parent" if age < 18 else rng.choice(RELATIONSHIPS)
        has_contact = age < 18 or rng.random() < 0.8

        payer, payer_code = self._payer(age)
        member_id = f"{payer_code}{rng.randrange(10**8, 10**9)}" if payer_code else ""
        subscriber = f"{contact_given} {family}" if age < 18 and payer_code else ""
        language = origin.language if rng.random() < 0.3 else "English"
        values = {
            "mrn": self.mrn(),
            "family_name": family,
            "given_name": given,
            "middle_name": middle,
            "date_of_birth": dob,
            "sex": sex,
            "gender_identity": "",
            "address_line1": f"{rng.randrange(1, 9900)} {rng.choice(STREETS)}",
            "address_line2": f"Apt {rng.randrange(1, 40)}" if rng.random() < 0.2 else "",
            "city": city,
            "state": state,
            "postal_code": f"{zip3}{rng.randrange(100):02d}",
            "country": "US",
            "phone_home": home,
            "phone_mobile": mobile,
            "phone_work": work,
            "email": email,
            "preferred_language": language,
            "emergency_contact_name": f"{contact_given} {family}" if has_contact else "",
            "emergency_contact_relationship": relationship if has_contact else "",
            "emergency_contact_phone": self.phone(area_codes) if has_contact else "",
            "insurance_payer": payer,
            "insurance_member_id": member_id,
            "insurance_group": f"G{rng.randrange(1000, 99999)}" if payer_code else "",
            "insurance_subscriber_name": subscriber,
            "insurance_subscriber_relationship": (
                ("child" if subscriber else "self") if payer_code else ""
            ),
            "front_desk_notes": rng.choice(NOTES) if rng.random() < 0.05 else "",
            "active": True,
            "deactivation_reason": "",
            "deceased": False,
            "deceased_date": None,
        }
        return values

    def _payer(self, age: int) -> tuple[str, str]:
        rng = self.rng
        if age >= 65 and rng.random() < 0.85:
            return PAYERS[0]
        if age < 18 and rng.random() < 0.4:
            return PAYERS[1]
        return rng.choice(PAYERS[1:])


class _Row:
    """Attribute access to a values dict, for the helpers that read patient fields."""

    def __init__(self, values: dict) -> None:
        self.__dict__.update(values)


def generate(ctx: DemoContext) -> dict[str, int]:
    with ctx.db.read() as s:
        taken = set(s.execute(select(Patient.mrn)).scalars())
    factory = _PatientFactory(ctx.rng, ctx.today, taken)
    table = Patient.__table__
    made = 0
    patient_ids: list[int] = []
    while made < ctx.patients:
        count = min(BATCH_SIZE, ctx.patients - made)
        now = utcnow()
        rows = []
        for _ in range(count):
            values = factory.patient()
            values.update(normalised_columns(_Row(values)))  # type: ignore[arg-type]
            values.update(created_at=now, updated_at=now, version=1)
            values.update(created_by=None, updated_by=None)
            rows.append(values)
        with ctx.operator.write() as s:
            result = s.execute(
                insert(table).returning(table.c.id, sort_by_parameter_order=True), rows
            )
            ids = list(result.scalars())
            names: list[dict] = []
            phones: list[dict] = []
            for pid, v in zip(ids, rows, strict=True):
                names += name_key_rows(pid, v["family_name"], v["given_name"], v["middle_name"])
                phones += phone_key_rows(pid, [v["phone_home"], v["phone_mobile"], v["phone_work"]])
            s.execute(insert(PatientNameKey), names)
            if phones:
                s.execute(insert(PatientPhoneKey), phones)
            audit.record(
                s,
                user_id=None,
                username=ctx.operator.username,
                action="create",
                entity="demo",
                detail=f"synthetic patients {made + 1}-{made + count} (seed {ctx.seed})",
            )
        patient_ids += ids
        made += count
        ctx.report(AREA, made, ctx.patients)
    ctx.produced["patient_ids"] = patient_ids
    return {"patients": made}
