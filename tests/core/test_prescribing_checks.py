"""The safety checks before signing, as plain functions: allergy (drug, class, cross-
sensitivity), interactions, duplicate therapy."""

from __future__ import annotations

from emr.prescribing_checks import (
    AllergyInHand,
    allergy_alerts,
    check_prescribing,
    drug_in_hand,
    duplicate_alerts,
    interaction_alerts,
)


def drug(text: str, label: str = "", **kw):
    return drug_in_hand(text, label or text, **kw)


def test_brand_and_product_names_resolve_to_the_generic_and_its_classes():
    coumadin = drug("Coumadin 5 mg tablet")
    assert coumadin.generic == "warfarin"
    assert "anticoagulants" in coumadin.classes
    unknown = drug("grandma's tonic")
    assert unknown.generic == "" and unknown.classes == frozenset()


def test_allergy_to_the_drug_itself_is_contraindicated():
    alerts = allergy_alerts(drug("amoxicillin"), [AllergyInHand("Amoxil", "drug", "hives")])
    assert [(a.kind, a.severity) for a in alerts] == [("allergy", "contraindicated")]
    assert alerts[0].needs_reason
    assert "hives" in alerts[0].text


def test_allergy_to_an_ingredient_of_a_combination_is_contraindicated():
    alerts = allergy_alerts(drug("Augmentin"), [AllergyInHand("amoxicillin", "drug")])
    assert [a.severity for a in alerts] == ["contraindicated"]


def test_penicillin_allergy_reaches_amoxicillin_by_its_class():
    alerts = allergy_alerts(drug("amoxicillin"), [AllergyInHand("Penicillin", "drug", "rash")])
    assert len(alerts) == 1
    alert = alerts[0]
    assert (alert.kind, alert.severity, alert.needs_reason) == ("allergy", "major", True)
    assert "Penicillins" in alert.text


def test_a_drug_class_allergy_entry_reaches_its_members():
    alerts = allergy_alerts(drug("amoxicillin"), [AllergyInHand("PCN", "drug_class")])
    assert [a.severity for a in alerts] == ["major"]


def test_penicillin_allergy_cross_reacts_with_cephalosporins():
    alerts = allergy_alerts(drug("cephalexin"), [AllergyInHand("penicillin", "drug", "hives")])
    assert [(a.kind, a.severity) for a in alerts] == [("cross_sensitivity", "moderate")]
    assert not alerts[0].needs_reason
    assert "Cephalosporins" in alerts[0].text and alerts[0].source


def test_food_and_unrelated_allergies_give_no_alert():
    allergies = [AllergyInHand("peanut", "food"), AllergyInHand("sulfa", "drug_class")]
    assert allergy_alerts(drug("lisinopril"), allergies) == []


def test_warfarin_with_an_nsaid_is_a_major_interaction_either_way_round():
    ibuprofen = drug("ibuprofen")
    warfarin = drug("Coumadin", "Coumadin (current medication)", identity="medication:4")
    alerts = interaction_alerts(ibuprofen, [warfarin])
    assert [(a.kind, a.severity) for a in alerts] == [("interaction", "major")]
    assert "Coumadin (current medication)" in alerts[0].text
    assert alerts[0].advice and alerts[0].source
    back = interaction_alerts(drug("warfarin"), [drug("Advil")])
    assert back[0].key == interaction_alerts(drug("warfarin"), [drug("ibuprofen")])[0].key


def test_contraindicated_pairs_by_class():
    [nitrate] = interaction_alerts(drug("sildenafil"), [drug("isosorbide mononitrate")])
    assert nitrate.severity == "contraindicated"
    [statin] = interaction_alerts(drug("clarithromycin"), [drug("simvastatin 40 mg")])
    assert statin.severity == "contraindicated"


def test_no_interaction_between_unrelated_drugs():
    assert interaction_alerts(drug("lisinopril"), [drug("amoxicillin"), drug("??")]) == []


def test_the_same_drug_again_is_a_major_duplicate():
    alerts = duplicate_alerts(drug("simvastatin"), [drug("Zocor 20 mg", identity="medication:1")])
    assert [(a.kind, a.severity) for a in alerts] == [("duplicate", "major")]


def test_two_drugs_of_one_therapeutic_class_are_a_moderate_duplicate():
    alerts = duplicate_alerts(drug("atorvastatin"), [drug("simvastatin", identity="medication:2")])
    assert [(a.kind, a.severity) for a in alerts] == [("duplicate", "moderate")]
    assert "Statins" in alerts[0].text
    # Sharing only a property class (a CYP3A4 inhibitor) is no duplicate therapy.
    assert duplicate_alerts(drug("clarithromycin"), [drug("amoxicillin")]) == []


def test_all_checks_together_most_severe_first_with_stable_keys():
    args = (
        drug("ibuprofen", identity="prescription:9"),
        [AllergyInHand("aspirin", "food")],
        [drug("warfarin", "warfarin (current medication)", identity="medication:1")],
        [drug("Advil", "Advil (another draft)", identity="prescription:8")],
    )
    alerts = check_prescribing(*args)
    assert [a.severity for a in alerts] == ["major", "major"]
    assert {a.kind for a in alerts} == {"interaction", "duplicate"}
    assert [a.key for a in check_prescribing(*args)] == [a.key for a in alerts]
