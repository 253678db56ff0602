"""Patients: register, look up, search, update and deactivate.

Every function takes the acting user, checks the permission, works in one transaction and
writes its audit event in that transaction. Reading a patient is audited, so reads use a write
transaction too.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields, replace
from datetime import date, datetime
from functools import lru_cache

from sqlalchemy import (
    ColumnElement,
    Date,
    Select,
    and_,
    bindparam,
    case,
    delete,
    false,
    func,
    insert,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.orm import Session, aliased

from emr.errors import ConflictError, NotFound, PossibleDuplicate, ValidationError
from emr.models.patients import Patient, PatientNameKey, PatientPhoneKey
from emr.mrn import clean_mrn, is_valid_mrn, mrn_problem, new_unique_mrn
from emr.normalize import (
    name_search_keys,
    name_tokens,
    phone_digits,
    phone_problem,
    try_parse_date,
)
from emr.security import audit
from emr.security.permissions import Permission
from emr.services.context import Actor

SEXES = {"F": "female", "M": "male", "O": "other", "U": "unknown"}
EARLIEST_BIRTH_DATE = date(1900, 1, 1)
AUDIT_DETAIL_MAX = 100
SEARCH_LIMIT_MAX = 500
PHONE_SEARCH_MIN_DIGITS = 4
NAME_ROWS_PER_PATIENT = 3
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


# --- records --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PatientInput:
    """Everything about a patient that a user edits."""

    family_name: str
    given_name: str
    middle_name: str = ""
    date_of_birth: date | None = None
    sex: str = ""
    gender_identity: str = ""
    address_line1: str = ""
    address_line2: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    country: str = ""
    phone_home: str = ""
    phone_mobile: str = ""
    phone_work: str = ""
    email: str = ""
    preferred_language: str = ""
    emergency_contact_name: str = ""
    emergency_contact_relationship: str = ""
    emergency_contact_phone: str = ""
    insurance_payer: str = ""
    insurance_member_id: str = ""
    insurance_group: str = ""
    insurance_subscriber_name: str = ""
    insurance_subscriber_relationship: str = ""
    front_desk_notes: str = ""

    def cleaned(self) -> PatientInput:
        """Surrounding spaces removed from every text, sex in capitals."""
        changes = {
            f.name: getattr(self, f.name).strip()
            for f in fields(self)
            if isinstance(getattr(self, f.name), str)
        }
        changes["sex"] = changes["sex"].upper()
        return replace(self, **changes)


INPUT_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(PatientInput))
PHONE_FIELDS = ("phone_home", "phone_mobile", "phone_work", "emergency_contact_phone")
NAME_FIELDS = ("family_name", "given_name", "middle_name")


def _display_name(family: str, given: str, middle: str) -> str:
    return f"{family}, {given}" + (f" {middle}" if middle else "")


def _age(born: date, on: date | None) -> int:
    on = on or date.today()
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


@dataclass(frozen=True)
class PatientSummary:
    """One line of a patient list."""

    id: int
    mrn: str
    family_name: str
    given_name: str
    middle_name: str
    date_of_birth: date
    sex: str
    phone: str
    active: bool
    deceased: bool

    @property
    def display_name(self) -> str:
        return _display_name(self.family_name, self.given_name, self.middle_name)

    def age(self, on: date | None = None) -> int:
        return _age(self.date_of_birth, on)


@dataclass(frozen=True)
class PatientRecord:
    """A patient's whole registration, as read in one transaction."""

    id: int
    mrn: str
    version: int
    family_name: str
    given_name: str
    middle_name: str
    date_of_birth: date
    sex: str
    gender_identity: str
    address_line1: str
    address_line2: str
    city: str
    state: str
    postal_code: str
    country: str
    phone_home: str
    phone_mobile: str
    phone_work: str
    email: str
    preferred_language: str
    emergency_contact_name: str
    emergency_contact_relationship: str
    emergency_contact_phone: str
    insurance_payer: str
    insurance_member_id: str
    insurance_group: str
    insurance_subscriber_name: str
    insurance_subscriber_relationship: str
    front_desk_notes: str
    active: bool
    deactivation_reason: str
    deceased: bool
    deceased_date: date | None
    created_at: datetime
    updated_at: datetime

    @property
    def display_name(self) -> str:
        return _display_name(self.family_name, self.given_name, self.middle_name)

    @property
    def phone(self) -> str:
        return self.phone_mobile or self.phone_home or self.phone_work

    def age(self, on: date | None = None) -> int:
        return _age(self.date_of_birth, on)

    def to_input(self) -> PatientInput:
        return PatientInput(**{name: getattr(self, name) for name in INPUT_FIELDS})

    def summary(self) -> PatientSummary:
        return PatientSummary(
            id=self.id,
            mrn=self.mrn,
            family_name=self.family_name,
            given_name=self.given_name,
            middle_name=self.middle_name,
            date_of_birth=self.date_of_birth,
            sex=self.sex,
            phone=self.phone,
            active=self.active,
            deceased=self.deceased,
        )


_RECORD_FIELDS = tuple(f.name for f in fields(PatientRecord))


def patient_record(p: Patient) -> PatientRecord:
    """The record of a patient row read in the caller's transaction (for other services)."""
    return PatientRecord(**{name: getattr(p, name) for name in _RECORD_FIELDS})


_record = patient_record


# --- validation ---------------------------------------------------------------------------


def validate_patient(data: PatientInput, *, today: date | None = None) -> None:
    """Check a registration; ValidationError naming each field that breaks a rule."""
    today = today or date.today()
    errors: dict[str, str] = {}
    for name, label in (("family_name", "Family name"), ("given_name", "Given name")):
        value = getattr(data, name).strip()
        if not value:
            errors[name] = f"{label} is required."
        elif not name_tokens(value):
            errors[name] = f"{label} must contain letters."
        elif len(value) > 100:
            errors[name] = f"{label} is longer than 100 characters."
    if len(data.middle_name.strip()) > 100:
        errors["middle_name"] = "Middle name is longer than 100 characters."
    dob = data.date_of_birth
    if dob is None:
        errors["date_of_birth"] = "Date of birth is required."
    elif not isinstance(dob, date) or isinstance(dob, datetime):
        errors["date_of_birth"] = "Date of birth must be a date."
    elif dob > today:
        errors["date_of_birth"] = "Date of birth cannot be in the future."
    elif dob < EARLIEST_BIRTH_DATE:
        errors["date_of_birth"] = "Date of birth cannot be before 1900."
    sex = data.sex.strip().upper()
    if not sex:
        errors["sex"] = "Sex is required (F, M, O or U)."
    elif sex not in SEXES:
        errors["sex"] = "Sex must be F (female), M (male), O (other) or U (unknown)."
    for name in PHONE_FIELDS:
        if problem := phone_problem(getattr(data, name)):
            errors[name] = f"Not a phone number: {problem}."
    email = data.email.strip()
    if email and (not _EMAIL.match(email) or len(email) > 254):
        errors["email"] = "Not an e-mail address (name@example.com)."
    for name in INPUT_FIELDS:
        value = getattr(data, name)
        limit = _column_length(name)
        if isinstance(value, str) and limit and len(value.strip()) > limit and name not in errors:
            errors[name] = f"Longer than {limit} characters."
    if errors:
        raise ValidationError(errors)


def _column_length(name: str) -> int | None:
    column = Patient.__table__.columns[name]
    return getattr(column.type, "length", None)


# --- derived search keys ------------------------------------------------------------------


def _phones(data: PatientInput | Patient) -> list[str]:
    return [data.phone_home, data.phone_mobile, data.phone_work]


def normalised_columns(data: PatientInput) -> dict[str, str]:
    """The patient row's derived columns: compact names and all phone digits."""
    return {
        "search_family": compact_name(data.family_name),
        "search_given": compact_name(data.given_name),
        "phone_digits": " ".join(d for d in map(phone_digits, _phones(data)) if d)[:130],
    }


def compact_name(name: str) -> str:
    """A name as compared for duplicates and sorted: folded, without spaces or punctuation
    ("O'Brien" and "OBRIEN" -> "obrien", "Mary Ann" -> "maryann")."""
    return "".join(name_tokens(name))[:100]


def sort_name(search_family: str, search_given: str) -> str:
    return f"{search_family} {search_given}"[:201]


def name_key_rows(
    patient_id: int, family: str, given: str, middle: str, *, active: bool = True
) -> list[dict]:
    """The rows of patient_name_keys for a patient with these names."""
    order = sort_name(compact_name(family), compact_name(given))
    return [
        {"patient_id": patient_id, "key": key[:100], "sort_name": order, "active": active}
        for key in sorted({k[:100] for k in name_search_keys(family, given, middle)})
    ]


def phone_key_rows(patient_id: int, phones: list[str]) -> list[dict]:
    digits = {phone_digits(p) for p in phones}
    return [
        {"reversed_digits": d[::-1][:20], "patient_id": patient_id} for d in sorted(digits) if d
    ]


def _write_search_keys(
    s: Session, patient_id: int, data: PatientInput, *, replace_old: bool, active: bool = True
) -> None:
    if replace_old:
        s.execute(delete(PatientNameKey).where(PatientNameKey.patient_id == patient_id))
        s.execute(delete(PatientPhoneKey).where(PatientPhoneKey.patient_id == patient_id))
    names = name_key_rows(
        patient_id, data.family_name, data.given_name, data.middle_name, active=active
    )
    if names:
        s.execute(insert(PatientNameKey), names)
    phones = phone_key_rows(patient_id, _phones(data))
    if phones:
        s.execute(insert(PatientPhoneKey), phones)


# --- use cases ----------------------------------------------------------------------------


def _audit(s: Session, actor: Actor, action: str, entity_id: int | None, detail: str = "") -> None:
    audit.record(
        s,
        user_id=actor.user_id,
        username=actor.username,
        action=action,
        entity="patient",
        entity_id=entity_id,
        patient_id=entity_id,
        detail=detail[:AUDIT_DETAIL_MAX],
    )


def _summary_columns():
    return (
        Patient.id,
        Patient.mrn,
        Patient.family_name,
        Patient.given_name,
        Patient.middle_name,
        Patient.date_of_birth,
        Patient.sex,
        Patient.phone_mobile,
        Patient.phone_home,
        Patient.phone_work,
        Patient.active,
        Patient.deceased,
    )


def _summary(row) -> PatientSummary:
    """A PatientSummary from a row of _summary_columns() (unpacked: search returns many)."""
    pid, mrn, family, given, middle, born, sex, mobile, home, work, active, deceased = row
    return PatientSummary(
        pid, mrn, family, given, middle, born, sex, mobile or home or work, active, deceased
    )


def find_duplicates(s: Session, data: PatientInput, *, exclude_id: int | None = None):
    """Active patients with the same folded family and given name and date of birth."""
    stmt = select(*_summary_columns()).where(
        Patient.search_family == compact_name(data.family_name),
        Patient.search_given == compact_name(data.given_name),
        Patient.date_of_birth == data.date_of_birth,
        Patient.active == true(),
    )
    if exclude_id is not None:
        stmt = stmt.where(Patient.id != exclude_id)
    return [_summary(r) for r in s.execute(stmt.order_by(Patient.id))]


def register_patient(
    actor: Actor, data: PatientInput, *, allow_duplicate: bool = False
) -> PatientRecord:
    """Register a new patient with a new random MRN."""
    actor.require(Permission.PATIENT_WRITE)
    data = data.cleaned()
    validate_patient(data)
    with actor.write() as s:
        if not allow_duplicate and (matches := find_duplicates(s, data)):
            listed = "; ".join(f"{m.display_name} (MRN {m.mrn})" for m in matches[:3])
            raise PossibleDuplicate(
                f"A patient with this name and date of birth is registered already: {listed}. "
                "Open that record, or confirm that this is a different person.",
                matches,
            )

        def taken(mrn: str) -> bool:
            return s.execute(select(Patient.id).where(Patient.mrn == mrn)).first() is not None

        patient = Patient(mrn=new_unique_mrn(taken), **asdict(data), **normalised_columns(data))
        s.add(patient)
        s.flush()
        _write_search_keys(s, patient.id, data, replace_old=False)
        _audit(s, actor, "create", patient.id, f"registered MRN {patient.mrn}")
        return _record(patient)


def _load(s: Session, patient_id: int) -> Patient:
    patient = s.get(Patient, patient_id)
    if patient is None:
        raise NotFound(f"There is no patient with id {patient_id}.")
    return patient


def _check_version(patient: Patient, expected_version: int) -> None:
    if patient.version != expected_version:
        raise ConflictError(
            f"{_display_name(patient.family_name, patient.given_name, patient.middle_name)}'s "
            "record was changed by someone else since you opened it. Nothing was saved: "
            "reload it and make your change again."
        )


def update_patient(
    actor: Actor, patient_id: int, expected_version: int, data: PatientInput
) -> PatientRecord:
    """Save an edited registration; ConflictError if it changed since `expected_version`."""
    actor.require(Permission.PATIENT_WRITE)
    data = data.cleaned()
    validate_patient(data)
    with actor.write() as s:
        patient = _load(s, patient_id)
        _check_version(patient, expected_version)
        changed = [name for name in INPUT_FIELDS if getattr(patient, name) != getattr(data, name)]
        for name in changed:
            setattr(patient, name, getattr(data, name))
        if changed:
            for column, value in normalised_columns(data).items():
                setattr(patient, column, value)
            s.flush()  # the version check happens here: a concurrent save fails, not overwrites
        if set(changed) & {*NAME_FIELDS, "phone_home", "phone_mobile", "phone_work"}:
            _write_search_keys(s, patient.id, data, replace_old=True, active=patient.active)
        _audit(
            s,
            actor,
            "update",
            patient.id,
            "changed: " + ", ".join(changed) if changed else "no changes",
        )
        return _record(patient)


def deactivate_patient(
    actor: Actor, patient_id: int, expected_version: int, reason: str
) -> PatientRecord:
    """Mark a patient inactive (registered in error, merged, moved away …); nothing is erased."""
    actor.require(Permission.PATIENT_WRITE)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Give the reason for deactivating this patient."})
    with actor.write() as s:
        patient = _load(s, patient_id)
        _check_version(patient, expected_version)
        if not patient.active:
            raise ValidationError({"": "This patient is inactive already."})
        patient.active = False
        patient.deactivation_reason = reason
        s.flush()
        s.execute(
            update(PatientNameKey)
            .where(PatientNameKey.patient_id == patient.id)
            .values(active=False)
        )
        _audit(s, actor, "delete", patient.id, f"deactivated: {reason}")
        return _record(patient)


def get_patient(actor: Actor, patient_id: int) -> PatientRecord:
    """Open a patient's registration (audited as a view)."""
    actor.require(Permission.PATIENT_READ)
    with actor.write() as s:
        patient = _load(s, patient_id)
        _audit(s, actor, "view", patient.id)
        return _record(patient)


def get_patient_by_mrn(actor: Actor, mrn: str) -> PatientRecord:
    """Open a patient by MRN; the check digit is verified before the lookup."""
    actor.require(Permission.PATIENT_READ)
    if problem := mrn_problem(mrn):
        raise ValidationError({"mrn": f"'{mrn.strip()}' is not a valid MRN: {problem}."})
    with actor.write() as s:
        patient = s.execute(select(Patient).where(Patient.mrn == clean_mrn(mrn))).scalar()
        if patient is None:
            raise NotFound(f"There is no patient with MRN {clean_mrn(mrn)}.")
        _audit(s, actor, "view", patient.id)
        return _record(patient)


# --- search -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchTerm:
    """One word of a search: the ways it may match (all empty = it cannot match anything)."""

    name_key: str = ""
    dob: date | None = None
    mrn: str = ""
    phone_suffix: str = ""


def parse_query(query: str, *, today: date | None = None) -> list[SearchTerm]:
    """Split a search into terms; every term must match the same patient.

    A query without letters is one term (a phone number may contain spaces): a date of birth,
    an MRN or the last digits of a phone, whichever it can be. A query with letters is split
    at spaces; its words are name prefixes, and a word without letters is a date of birth,
    an MRN or phone digits.
    """
    query = query.strip()[:200]
    if not query:
        return []
    if not any(c.isalpha() for c in query):
        term = _number_term(query, today)
        return [term] if term else []
    terms: list[SearchTerm] = []
    for word in query.split():
        if any(c.isalpha() for c in word):
            terms.extend(SearchTerm(name_key=t[:100]) for t in name_tokens(word))
        elif term := _number_term(word, today):
            terms.append(term)
    return terms[:8]


def _number_term(text: str, today: date | None) -> SearchTerm | None:
    digits = phone_digits(text)
    term = SearchTerm(
        dob=try_parse_date(text, today=today),
        mrn=clean_mrn(text) if is_valid_mrn(text) else "",
        phone_suffix=digits[::-1][:20] if len(digits) >= PHONE_SEARCH_MIN_DIGITS else "",
    )
    return term if (term.dob or term.mrn or term.phone_suffix) else None


def prefix_upper_bound(prefix: str) -> str:
    """The smallest string after every string that starts with `prefix` ("smi" -> "smj")."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


# A search's SQL depends only on its shape (how many name words; which kinds each number
# term can be), so each shape is built once and then run with the words as parameters.
_Shape = tuple[int, tuple[tuple[bool, bool, bool], ...], bool]


def _shape_of(terms: list[SearchTerm], include_inactive: bool) -> _Shape:
    names = sum(1 for t in terms if t.name_key)
    numbers = tuple(
        (t.dob is not None, bool(t.mrn), bool(t.phone_suffix)) for t in terms if not t.name_key
    )
    return names, numbers, include_inactive


def _parameters(terms: list[SearchTerm], limit: int) -> dict[str, object]:
    words = sorted((t.name_key for t in terms if t.name_key), key=len, reverse=True)
    # A name search returns a patient once per matching key: fetch a margin for the repeats.
    values: dict[str, object] = {"page_size": limit * NAME_ROWS_PER_PATIENT if words else limit}
    for i, word in enumerate(words):
        values[f"w{i}"] = word
        values[f"w{i}_end"] = prefix_upper_bound(word)
    for i, term in enumerate(t for t in terms if not t.name_key):
        if term.dob is not None:
            values[f"n{i}_dob"] = term.dob
        if term.mrn:
            values[f"n{i}_mrn"] = term.mrn
        if term.phone_suffix:
            values[f"n{i}_phone"] = term.phone_suffix
            values[f"n{i}_phone_end"] = prefix_upper_bound(term.phone_suffix)
    return values


def _in_range(column, name: str) -> ColumnElement[bool]:
    """`column` starts with the prefix `name`, as a range an index answers on any database."""
    return and_(column >= bindparam(name), column < bindparam(f"{name}_end"))


def _number_condition(i: int, kinds: tuple[bool, bool, bool]) -> ColumnElement[bool]:
    has_dob, has_mrn, has_phone = kinds
    ways: list[ColumnElement[bool]] = []
    if has_dob:
        ways.append(Patient.date_of_birth == bindparam(f"n{i}_dob", type_=Date))
    if has_mrn:
        ways.append(Patient.mrn == bindparam(f"n{i}_mrn"))
    if has_phone:
        ways.append(
            Patient.id.in_(
                select(PatientPhoneKey.patient_id).where(
                    _in_range(PatientPhoneKey.reversed_digits, f"n{i}_phone")
                )
            )
        )
    return or_(*ways)


@lru_cache(maxsize=256)
def _statement(shape: _Shape) -> Select:
    names, numbers, include_inactive = shape
    if names:
        return _name_search(names, numbers, include_inactive)
    stmt = select(*_summary_columns()).where(
        *(_number_condition(i, kinds) for i, kinds in enumerate(numbers))
    )
    if not include_inactive:
        stmt = stmt.where(Patient.active == true())
    if not numbers:
        stmt = stmt.where(false())  # nothing to search for finds nothing
    mrns = [Patient.mrn == bindparam(f"n{i}_mrn") for i, k in enumerate(numbers) if k[1]]
    exact_mrn_first = [case((or_(*mrns), 0), else_=1)] if mrns else []
    return stmt.order_by(
        *exact_mrn_first, Patient.search_family, Patient.search_given, Patient.id
    ).limit(bindparam("page_size"))


def _name_search(
    names: int, numbers: tuple[tuple[bool, bool, bool], ...], include_inactive: bool
) -> Select:
    """Names: the longest word (w0) drives, as one contiguous range of the key index; each
    other word is one seek per candidate into the (patient_id, key) primary key.

    A patient qualifies when every word prefix-matches one of their keys. A word scores 0 when
    it equals a key and 1 when it is only a prefix; the lowest total ranks first. Only the page
    of results joins the patients table.

    There is no GROUP BY: a patient with two keys in the driving word's range (Mary Ann:
    "mary", "maryann") comes twice and search_patients keeps the first. Sorting for the top
    rows only is several times faster than grouping every candidate first.
    """
    K = PatientNameKey
    conditions: list[ColumnElement[bool]] = [_in_range(K.key, "w0")]
    if not include_inactive:
        conditions.append(K.active == true())
    for i, kinds in enumerate(numbers):  # a date of birth, MRN or phone typed with the name
        conditions.append(K.patient_id.in_(select(Patient.id).where(_number_condition(i, kinds))))
    scores: list[ColumnElement[int]] = [case((K.key == bindparam("w0"), 0), else_=1)]
    for i in range(1, names):
        other = aliased(PatientNameKey)
        score = (
            select(func.min(case((other.key == bindparam(f"w{i}"), 0), else_=1)))
            .where(other.patient_id == K.patient_id, _in_range(other.key, f"w{i}"))
            .scalar_subquery()
        )
        scores.append(score)
        conditions.append(score.is_not(None))
    rank = sum(scores[1:], scores[0]).label("match_rank")
    page = (
        select(K.patient_id, K.sort_name, rank)
        .where(*conditions)
        .order_by(rank, K.sort_name, K.patient_id)
        .limit(bindparam("page_size"))
        .subquery("page")
    )
    return (
        select(*_summary_columns())
        .join_from(Patient, page, Patient.id == page.c.patient_id)
        .order_by(page.c.match_rank, page.c.sort_name, Patient.id)
    )


def search_query(
    terms: list[SearchTerm], *, limit: int = 50, include_inactive: bool = False
) -> tuple[Select, dict[str, object]]:
    """The one query behind the patient search, and its parameters."""
    return _statement(_shape_of(terms, include_inactive)), _parameters(terms, limit)


def search_statement(
    terms: list[SearchTerm], *, limit: int = 50, include_inactive: bool = False
) -> Select:
    """The search query with its parameters bound (to show or run it elsewhere)."""
    stmt, values = search_query(terms, limit=limit, include_inactive=include_inactive)
    return stmt.params(values)


def search_patients(
    actor: Actor, query: str, *, limit: int = 50, include_inactive: bool = False
) -> list[PatientSummary]:
    """Find patients by one query: names in any order and by prefix, date of birth, MRN or
    phone digits. Exact MRN first, then whole-name matches, then prefixes; by name within."""
    actor.require(Permission.PATIENT_READ)
    terms = parse_query(query)
    if not terms:
        return []
    limit = max(1, min(limit, SEARCH_LIMIT_MAX))
    stmt, values = search_query(terms, limit=limit, include_inactive=include_inactive)
    with actor.write() as s:
        while True:
            rows = s.execute(stmt, values).all()
            seen: set[int] = set()
            results = [_summary(r) for r in rows if not (r[0] in seen or seen.add(r[0]))]
            if len(results) >= limit or len(rows) < values["page_size"]:  # type: ignore[operator]
                break
            values["page_size"] *= 4  # type: ignore[operator]  # many repeats: fetch more
        results = results[:limit]
        _audit(s, actor, "search", None, f"{len(results)} found for: {query.strip()}")
    return results
