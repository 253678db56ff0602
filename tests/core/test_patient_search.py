"""Patient search: one box finds by names in any order and by prefix, accents and apostrophes
ignored, date of birth in the usual forms, MRN and phone digits; ranked and audited."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from emr.models import AuditEvent, User
from emr.services.context import Actor
from emr.services.patients import (
    PatientInput,
    deactivate_patient,
    parse_query,
    register_patient,
    search_patients,
)

PEOPLE = [
    ("Smith", "John", "", date(1970, 1, 2), "(555) 010-1111"),
    ("Smithers", "Joanna", "", date(1985, 6, 15), "555 010 2222"),
    ("Smith", "Mary Ann", "Jo", date(1990, 12, 31), ""),
    ("Johnson", "Smitty", "", date(1960, 7, 7), "+1 617 555 3333"),
    ("Müller", "Jürgen", "", date(1955, 3, 1), "555-010-4444"),
    ("Nguyễn", "Thị Hương", "", date(1984, 3, 7), "555.010.5555"),
    ("O'Brien", "Siobhán", "", date(2001, 11, 9), "555 010 6666"),
    ("García-López", "José", "Luis", date(1979, 5, 20), "555 010 7777"),
    ("Kowalski", "Łukasz", "", date(1984, 3, 7), "555 010 8888"),
    ("Dubois", "Chloé", "", date(1999, 2, 28), "555 777 4444"),
]


@pytest.fixture
def desk(db) -> Actor:
    with db.write() as s:
        user = User(username="desk", full_name="Front Desk", role="front_desk", password_hash="x")
        s.add(user)
        s.flush()
        user_id = user.id
    return Actor(db=db, user_id=user_id, username="desk", full_name="Front Desk", role="front_desk")


@pytest.fixture
def people(desk):
    """name -> PatientRecord, for the patients above."""
    records = {}
    for family, given, middle, dob, phone in PEOPLE:
        records[f"{given} {family}"] = register_patient(
            desk,
            PatientInput(
                family_name=family,
                given_name=given,
                middle_name=middle,
                date_of_birth=dob,
                sex="U",
                phone_mobile=phone,
            ),
        )
    return records


def names(results) -> list[str]:
    return [f"{p.given_name} {p.family_name}" for p in results]


def test_prefixes_of_names_in_any_order(desk, people):
    # Mary Ann Smith's middle name is exactly "Jo": she ranks first.
    assert names(search_patients(desk, "smi jo")) == [
        "Mary Ann Smith",
        "Smitty Johnson",
        "John Smith",
        "Joanna Smithers",
    ]
    assert set(names(search_patients(desk, "jo smi"))) == set(
        names(search_patients(desk, "smi jo"))
    )
    assert names(search_patients(desk, "john smith")) == ["John Smith"]
    assert names(search_patients(desk, "SMITH JOHN")) == ["John Smith"]


def test_every_word_must_match_the_same_patient(desk, people):
    assert search_patients(desk, "smith kowalski") == []
    assert search_patients(desk, "smith zz") == []


def test_middle_names_and_parts_of_given_names(desk, people):
    assert names(search_patients(desk, "ann smith")) == ["Mary Ann Smith"]
    assert names(search_patients(desk, "maryann")) == ["Mary Ann Smith"]
    assert names(search_patients(desk, "luis garcia")) == ["José García-López"]
    assert names(search_patients(desk, "lopez")) == ["José García-López"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("muller", "Jürgen Müller"),
        ("MÜLLER jurgen", "Jürgen Müller"),
        ("nguyen", "Thị Hương Nguyễn"),
        ("huong nguy", "Thị Hương Nguyễn"),
        ("obrien", "Siobhán O'Brien"),
        ("o'brien", "Siobhán O'Brien"),
        ("O’Brien siobhan", "Siobhán O'Brien"),
        ("brien", "Siobhán O'Brien"),
        ("lukasz", "Łukasz Kowalski"),
        ("chloe", "Chloé Dubois"),
        ("garcia lopez", "José García-López"),
    ],
)
def test_case_accents_and_apostrophes_do_not_matter(desk, people, query, expected):
    assert names(search_patients(desk, query)) == [expected]


@pytest.mark.parametrize("query", ["1984-03-07", "03/07/1984", "3/7/1984", "7.3.1984", "19840307"])
def test_date_of_birth_in_the_usual_forms(desk, people, query):
    assert names(search_patients(desk, query)) == ["Łukasz Kowalski", "Thị Hương Nguyễn"]


def test_name_with_date_of_birth(desk, people):
    assert names(search_patients(desk, "nguyen 3/7/1984")) == ["Thị Hương Nguyễn"]
    assert search_patients(desk, "smith 3/7/1984") == []


def test_mrn_exact_and_first(desk, people):
    target = people["Chloé Dubois"]
    assert names(search_patients(desk, target.mrn)) == ["Chloé Dubois"]
    hyphenated = f"{target.mrn[:6]}-{target.mrn[6]}"
    assert names(search_patients(desk, hyphenated)) == ["Chloé Dubois"]


def test_mrn_ranks_before_a_phone_that_ends_in_the_same_digits(desk, people):
    target = people["John Smith"]
    other = register_patient(
        desk,
        PatientInput(
            family_name="Aaron",
            given_name="Abe",
            date_of_birth=date(1950, 1, 1),
            sex="M",
            phone_home=f"555{target.mrn}",
        ),
    )
    assert [p.id for p in search_patients(desk, target.mrn)] == [target.id, other.id]


def test_phone_digits_by_suffix_or_whole(desk, people):
    assert names(search_patients(desk, "4444")) == ["Chloé Dubois", "Jürgen Müller"]
    assert names(search_patients(desk, "010-4444")) == ["Jürgen Müller"]
    assert names(search_patients(desk, "(555) 010-4444")) == ["Jürgen Müller"]
    assert names(search_patients(desk, "16175553333")) == ["Smitty Johnson"]
    assert search_patients(desk, "444") == []  # fewer than four digits find nothing


def test_exact_names_rank_before_prefixes(desk, people):
    # "smith" equals John's and Mary Ann's family name, and only begins Smithers.
    assert names(search_patients(desk, "smith")) == [
        "John Smith",
        "Mary Ann Smith",
        "Joanna Smithers",
    ]
    # "jo" is Mary Ann's whole middle name and only the beginning of the others' names.
    assert names(search_patients(desk, "jo")) == [
        "Mary Ann Smith",
        "José García-López",
        "Smitty Johnson",
        "John Smith",
        "Joanna Smithers",
    ]


def test_ranking_within_prefix_matches_is_by_family_then_given(desk, people):
    found = search_patients(desk, "smi")
    assert names(found) == ["Smitty Johnson", "John Smith", "Mary Ann Smith", "Joanna Smithers"]


def test_limit_caps_the_results(desk, people):
    assert len(search_patients(desk, "smi", limit=2)) == 2
    assert names(search_patients(desk, "smi", limit=1)) == ["Smitty Johnson"]


def test_a_patient_with_several_matching_keys_comes_once(desk, people):
    # Mary Ann Smith has the keys "mary" and "maryann"; both begin with "mar".
    assert names(search_patients(desk, "mar")) == ["Mary Ann Smith"]
    many = [
        register_patient(
            desk,
            PatientInput(
                family_name="Marsh-Moss",
                given_name="Mary Ann Maude",
                middle_name="Mae",
                date_of_birth=date(1950, 1, day),
                sex="F",
            ),
        )
        for day in (1, 2, 3)
    ]
    # Seven keys each begin with "m": the first page of rows is one patient's repeats.
    found = search_patients(desk, "m", limit=2)
    assert [p.id for p in found] == [many[0].id, many[1].id]
    assert names(search_patients(desk, "m")) == ["Mary Ann Maude Marsh-Moss"] * 3 + [
        "Jürgen Müller",
        "Mary Ann Smith",
    ]


def test_inactive_patients_are_left_out_unless_asked_for(desk, people):
    john = people["John Smith"]
    deactivate_patient(desk, john.id, john.version, "registered twice")
    assert "John Smith" not in names(search_patients(desk, "smith"))
    assert "John Smith" not in names(search_patients(desk, "0101111"))
    assert "John Smith" not in names(search_patients(desk, john.mrn))
    found = search_patients(desk, "smith john", include_inactive=True)
    assert [(p.id, p.active) for p in found] == [(john.id, False)]


def test_nothing_to_search_for_finds_nothing_and_is_not_audited(db, desk, people):
    before = _searches(db)
    assert search_patients(desk, "   ") == []
    assert search_patients(desk, "--") == []
    assert _searches(db) == before


def test_searches_are_audited_with_the_query_and_the_count(db, desk, people):
    search_patients(desk, "smith " + "x" * 200)
    search_patients(desk, "muller")
    events = _searches(db)
    assert events[-1] == ("patient", desk.user_id, "1 found for: muller")
    assert len(events[-2][2]) <= 100
    assert events[-2][2].startswith("0 found for: smith xxx")


def test_query_parsing():
    assert [t.name_key for t in parse_query("O'Brien  jo")] == ["o", "brien", "jo"]
    [term] = parse_query("3/7/84", today=date(2026, 1, 1))
    assert term.dob == date(1984, 3, 7) and not term.mrn and term.phone_suffix == "4873"
    [term] = parse_query("19840307")
    assert term.dob == date(1984, 3, 7) and term.phone_suffix == "70304891"
    assert parse_query("12") == []


def _searches(db):
    with db.read() as s:
        return s.execute(
            select(AuditEvent.entity, AuditEvent.user_id, AuditEvent.detail)
            .where(AuditEvent.action == "search")
            .order_by(AuditEvent.id)
        ).all()
