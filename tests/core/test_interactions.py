"""Interaction rules by name and by class, in either order, without false hits; allergy
cross-sensitivities; the rules file names a source for every rule."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from emr.codes import words
from emr.codes.drugs import CLASS_LABELS, all_drugs, get_drug
from emr.codes.interactions import (
    SEVERITIES,
    cross_sensitivities,
    cross_sensitivity_details,
    interactions_among,
    interactions_between,
    rules,
)


@dataclass(frozen=True)
class Med:
    name: str
    classes: tuple[str, ...] | str = ()


def severities(a: Med, b: Med) -> list[str]:
    return [i.severity for i in interactions_between(a, b)]


@pytest.mark.parametrize(
    ("a", "b", "severity"),
    [
        ("warfarin", "ibuprofen", "major"),
        ("warfarin", "naproxen", "major"),
        ("sertraline", "phenelzine", "contraindicated"),
        ("sildenafil", "isosorbide mononitrate", "contraindicated"),
        ("tadalafil", "nitroglycerin", "contraindicated"),
        ("simvastatin", "clarithromycin", "contraindicated"),
        ("lovastatin", "itraconazole", "contraindicated"),
        ("simvastatin", "nirmatrelvir / ritonavir", "contraindicated"),
        ("methotrexate", "sulfamethoxazole / trimethoprim", "major"),
        ("lisinopril", "spironolactone", "major"),
        ("oxycodone", "alprazolam", "major"),
        ("hydrocodone / acetaminophen", "lorazepam", "major"),
        ("warfarin", "amiodarone", "major"),
        ("warfarin", "fluconazole", "major"),
        ("warfarin", "metronidazole", "major"),
        ("lithium", "ibuprofen", "major"),
        ("lithium", "hydrochlorothiazide", "major"),
        ("clopidogrel", "omeprazole", "moderate"),
        ("sildenafil", "riociguat", "contraindicated"),
        ("citalopram", "azithromycin", "major"),
        ("tramadol", "sertraline", "major"),
        ("tizanidine", "ciprofloxacin", "contraindicated"),
    ],
)
def test_well_known_dangerous_pairs_are_found_in_either_order(a, b, severity):
    first = interactions_between(Med(a), Med(b))
    second = interactions_between(Med(b), Med(a))
    assert severity in [i.severity for i in first]
    assert [i.rule for i in first] == [i.rule for i in second]
    assert first[0].first == a and first[0].second == b
    assert all(i.mechanism and i.advice and i.source for i in first)


def test_brand_names_and_product_names_are_understood():
    assert severities(Med("Coumadin"), Med("Advil")) == ["major"]
    assert "contraindicated" in severities(Med("Zocor 40 mg"), Med("Biaxin"))
    assert severities(
        Med("lisinopril 10 MG Oral Tablet"), Med("spironolactone 25 MG Oral Tablet")
    ) == ["major"]


def test_rules_match_by_class_alone_on_either_side():
    unknown_nsaid = Med("examplofen", ("nsaids",))
    unknown_anticoagulant = Med("examplaban", "anticoagulants")  # as stored: comma separated
    assert severities(unknown_anticoagulant, unknown_nsaid) == ["major"]
    assert severities(unknown_nsaid, unknown_anticoagulant) == ["major"]
    assert severities(Med("x", ("ssris",)), Med("y", ("maois",))) == ["contraindicated"]
    assert severities(Med("a", "opioids,antitussives"), Med("b", "benzodiazepines")) == ["major"]


def test_a_rule_naming_the_drug_wins_over_its_class_rule():
    found = interactions_between(Med("simvastatin"), Med("gemfibrozil"))
    assert [(i.severity, i.rule) for i in found] == [
        ("contraindicated", "simvastatin + gemfibrozil")
    ]


def test_unrelated_drugs_give_no_alert():
    for a, b in [
        ("amoxicillin", "lisinopril"),
        ("metformin", "atorvastatin"),
        ("levothyroxine", "amlodipine"),
        ("pravastatin", "clarithromycin"),
        ("cetirizine", "omeprazole"),
        ("unknownium", "warfarin"),
    ]:
        assert interactions_between(Med(a), Med(b)) == [], (a, b)


def test_the_same_drug_twice_is_not_an_interaction():
    assert interactions_between(Med("citalopram"), Med("citalopram 20 MG Oral Tablet")) == []


def test_interactions_among_a_medication_list():
    meds = [
        Med(n)
        for n in [
            *("lisinopril", "metformin", "atorvastatin", "amlodipine", "metoprolol"),
            *("omeprazole", "levothyroxine", "gabapentin", "sertraline", "warfarin"),
            *("furosemide", "potassium chloride", "aspirin", "tramadol", "alprazolam"),
        ]
    ]
    found = interactions_among(meds)
    pairs = {(i.first, i.second) for i in found}
    assert ("tramadol", "alprazolam") in pairs
    assert ("warfarin", "aspirin") in pairs
    assert ("lisinopril", "potassium chloride") in pairs
    assert ("metformin", "atorvastatin") not in pairs
    ranks = [SEVERITIES.index(i.severity) for i in found]
    assert ranks == sorted(ranks)
    assert interactions_among([]) == []
    assert interactions_among(meds[:1]) == []


def test_formulary_drugs_are_drug_likes():
    found = interactions_between(get_drug("warfarin"), get_drug("ibuprofen"))
    assert found and found[0].first == "warfarin"


def test_every_rule_is_well_formed_and_names_known_drugs_or_classes():
    ingredients = {" ".join(words(i)) for d in all_drugs() for i in d.ingredients}
    assert len(rules()) >= 60
    for rule in rules():
        assert rule.severity in SEVERITIES
        assert rule.mechanism and rule.advice and rule.source
        for side in (rule.first, rule.second):
            kind, _, value = side.partition(":")
            if kind == "class":
                assert value in CLASS_LABELS
            else:
                assert value in ingredients, f"{value} is not in the formulary"


def test_cross_sensitivity_of_allergy_classes():
    found = cross_sensitivities({"penicillins"})
    assert found["cephalosporins"].endswith("caution")
    assert "cross-reactivity" in found["cephalosporins"]
    assert "penicillins" not in found
    assert "sulfonamide_nonantibiotics" in cross_sensitivities({"sulfonamides"})
    assert cross_sensitivities({"statins"}) == {}
    assert cross_sensitivities(set()) == {}
    assert all(d.source for d in cross_sensitivity_details({"penicillins", "cephalosporins"}))
