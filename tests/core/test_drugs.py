"""The starter formulary: search by generic and brand prefixes, allergy words to classes, and
the integrity of the data files (classes known, schedules valid, RxNorm codes well formed)."""

from __future__ import annotations

import csv

import pytest

from emr.codes.drugs import (
    ALLERGY_CLASSES,
    CLASS_LABELS,
    SCHEDULES,
    THERAPEUTIC_CLASSES,
    all_drugs,
    classes_of,
    drugs_dir,
    expand_classes,
    find_drug,
    get_drug,
    search_formulary,
    therapeutic_classes,
)
from emr.errors import NotFound


def keys(drugs) -> list[str]:
    return [d.key for d in drugs]


def test_the_formulary_holds_at_least_the_top_300_with_unique_keys_and_brands():
    drugs = all_drugs()
    assert len(drugs) >= 300
    assert len({d.key for d in drugs}) == len(drugs)
    brands = [b.casefold() for d in drugs for b in d.brand_names]
    assert len(brands) == len(set(brands))
    for d in drugs:
        assert d.generic_name and d.route and d.strengths and d.dose_forms, d.key
        assert d.schedule in SCHEDULES
        assert set(d.classes) <= set(CLASS_LABELS), d.key
        assert d.rxnorm == "" or d.rxnorm.isdigit()


def test_search_by_generic_prefix_is_folded():
    assert keys(search_formulary("amox"))[:2] == ["amoxicillin", "amoxicillin_clavulanate"]
    assert keys(search_formulary("AMOX")) == keys(search_formulary("amox"))
    assert "lisinopril" in keys(search_formulary("Lisin"))


def test_search_by_brand_prefix():
    assert keys(search_formulary("Augm")) == ["amoxicillin_clavulanate"]
    assert keys(search_formulary("lipitor")) == ["atorvastatin"]
    assert "metoprolol" in keys(search_formulary("toprol"))
    assert keys(search_formulary("Zolo")) == ["sertraline"]


def test_search_finds_ingredients_inside_combinations_and_ranks_generics_first():
    found = keys(search_formulary("clav"))
    assert found == ["amoxicillin_clavulanate"]
    assert "hydrocodone_acetaminophen" in keys(search_formulary("hydrocodone acet"))
    assert keys(search_formulary("hydrocodone"))[0] == "hydrocodone"


def test_search_of_nothing_or_nonsense_finds_nothing():
    assert search_formulary("") == []
    assert search_formulary("   ") == []
    assert search_formulary("zzzqqq") == []
    assert search_formulary("a", limit=0) == []
    assert len(search_formulary("a", limit=5)) == 5


def test_get_drug_and_find_drug():
    atorvastatin = get_drug("atorvastatin")
    assert atorvastatin.brand_names == ("Lipitor",)
    assert atorvastatin.rxnorm == "83367"
    assert atorvastatin.name == "atorvastatin"
    assert find_drug("Lipitor 20 mg") is atorvastatin
    assert find_drug("lisinopril 10 MG Oral Tablet") is get_drug("lisinopril")
    assert find_drug("unknownium") is None
    with pytest.raises(NotFound):
        get_drug("unknownium")


def test_controlled_substances_carry_their_dea_schedule():
    assert get_drug("oxycodone").schedule == "II"
    assert get_drug("hydrocodone_acetaminophen").schedule == "II"
    assert get_drug("acetaminophen_codeine").schedule == "III"
    assert get_drug("buprenorphine_naloxone").schedule == "III"
    assert get_drug("alprazolam").schedule == "IV"
    assert get_drug("tramadol").schedule == "IV"
    assert get_drug("pregabalin").schedule == "V"
    assert get_drug("gabapentin").schedule == ""
    assert get_drug("lisinopril").controlled is False


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Penicillin", {"penicillins"}),
        ("PCN", {"penicillins"}),
        ("penicillin allergy", {"penicillins"}),
        ("Augmentin", {"penicillins"}),
        ("amoxicillin", {"penicillins"}),
        ("sulfa", {"sulfonamides"}),
        ("Sulfa drugs", {"sulfonamides"}),
        ("Bactrim", {"sulfonamides"}),
        ("cephalosporins", {"cephalosporins"}),
        ("Keflex", {"cephalosporins"}),
        ("NSAIDs", {"nsaids"}),
        ("aspirin", {"nsaids"}),
        ("codeine", {"opioids"}),
        ("opiates", {"opioids"}),
        ("benzos", {"benzodiazepines"}),
        ("statin", {"statins"}),
        ("ACE inhibitor", {"ace_inhibitors"}),
    ],
)
def test_classes_of_what_is_typed_in_an_allergy(typed, expected):
    assert classes_of(typed) == expected


def test_classes_of_gives_only_allergy_classes_and_nothing_for_unknown_words():
    assert classes_of("clarithromycin") == {"macrolides"}  # not its CYP3A4 or QT classes
    assert classes_of("latex") == set()
    assert classes_of("peanuts") == set()
    assert classes_of("") == set()
    assert classes_of("metformin") == set()


def test_classes_imply_broader_classes_and_duplicate_therapy_uses_therapeutic_ones():
    assert "serotonergic" in get_drug("sertraline").classes
    assert expand_classes(["ssris"]) == ("ssris", "serotonergic")
    assert therapeutic_classes(get_drug("clarithromycin")) == {"macrolides"}
    assert "serotonergic" not in THERAPEUTIC_CLASSES
    assert {"penicillins", "sulfonamides", "nsaids"} <= ALLERGY_CLASSES


def test_class_file_is_consistent():
    with (drugs_dir() / "drug_classes.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        assert row["allergy"] in ("yes", "no") and row["therapeutic"] in ("yes", "no")
        for implied in filter(None, row["implies"].split(";")):
            assert implied in CLASS_LABELS
