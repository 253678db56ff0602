"""The drug catalog: formulary and imported products searched together; the RxNorm import
(tests/core/data/RXNCONSO_sample.RRF: the NLM's RXNCONSO columns with synthetic RXCUIs
99000001-99000010), all or nothing, audited."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from emr.errors import PermissionDenied, ValidationError
from emr.models.audit import AuditEvent
from emr.models.prescribing import DrugProduct
from emr.services.drug_catalog import import_rxnorm, parse_product_name, search_drugs

SAMPLE = Path(__file__).parent / "data" / "RXNCONSO_sample.RRF"


def product_count(actor) -> int:
    with actor.read() as s:
        return s.scalar(select(func.count()).select_from(DrugProduct))


def test_search_finds_formulary_drugs_by_generic_and_brand_prefix(physician):
    found = search_drugs(physician, "amox")
    assert [c.key for c in found[:2]] == ["amoxicillin", "amoxicillin_clavulanate"]
    assert found[0].source == "formulary" and found[0].rxnorm == "723"
    augmentin = search_drugs(physician, "Augm")
    assert [c.key for c in augmentin] == ["amoxicillin_clavulanate"]
    assert augmentin[0].brand_name == "Augmentin"
    lipitor = search_drugs(physician, "lipitor")
    assert lipitor[0].generic_name == "atorvastatin" and "statins" in lipitor[0].classes
    assert search_drugs(physician, "") == []


def test_nurses_may_search_but_the_front_desk_may_not(nurse, front_desk_user):
    assert search_drugs(nurse, "lisin")
    with pytest.raises(PermissionDenied):
        search_drugs(front_desk_user, "lisin")


def test_import_loads_the_prescribable_products_and_search_finds_them(operator, physician):
    report = import_rxnorm(operator, SAMPLE)
    assert report.lines == 10
    assert report.products_in_file == 6  # SCD/SBD/GPCK, not suppressed, prescribable
    assert (report.added, report.updated, report.unchanged, report.inactivated) == (6, 0, 0, 0)
    assert product_count(operator) == 6

    zestril = search_drugs(physician, "zestril")
    assert [c.source for c in zestril] == ["formulary", "rxnorm"]
    product = zestril[1]
    assert product.label == "lisinopril 10 MG Oral Tablet [Zestril]"
    assert product.brand_name == "Zestril" and product.strengths == ("10 MG",)
    assert product.dose_forms == ("Oral Tablet",) and product.route == "oral"
    assert product.classes == ("ace_inhibitors",) and product.rxnorm == "99000003"
    assert product.term_type == "SBD" and product.product_id is not None

    oxycodone = [c for c in search_drugs(physician, "oxycod") if c.source == "rxnorm"]
    assert oxycodone[0].schedule == "II" and "opioids" in oxycodone[0].classes
    assert [c.label for c in search_drugs(physician, "lisin 10")] == [
        "lisinopril 10 MG Oral Tablet",
        "lisinopril 10 MG Oral Tablet [Zestril]",
    ]
    assert search_drugs(physician, "obsoletum") == []  # suppressed
    assert search_drugs(physician, "exampline") == []  # not in the prescribable subset

    with operator.read() as s:
        action, detail = s.execute(
            select(AuditEvent.action, AuditEvent.detail).where(AuditEvent.entity == "drug_products")
        ).one()
    assert action == "import" and "6 added" in detail


def test_a_second_import_updates_by_rxcui_and_inactivates_suppressed_products(
    operator, physician, tmp_path
):
    import_rxnorm(operator, SAMPLE)
    again = import_rxnorm(operator, SAMPLE)
    assert (again.added, again.updated, again.unchanged) == (0, 0, 6)

    changed = tmp_path / "RXNCONSO.RRF"
    text = SAMPLE.read_text(encoding="utf-8")
    text = text.replace(
        "|lisinopril 10 MG Oral Tablet||N|4096|", "|lisinopril 10 MG Oral Tablet||O|4096|"
    )
    text = text.replace("[Zestril]", "[Zestril NEW]")
    changed.write_text(text, encoding="utf-8")
    report = import_rxnorm(operator, changed)
    assert (report.added, report.updated, report.inactivated) == (0, 1, 1)
    assert product_count(operator) == 6
    labels = [c.label for c in search_drugs(physician, "lisinopril") if c.source == "rxnorm"]
    assert labels == ["lisinopril 10 MG Oral Tablet [Zestril NEW]"]


def test_a_bad_line_refuses_the_whole_file(operator, tmp_path):
    bad = tmp_path / "RXNCONSO.RRF"
    lines = SAMPLE.read_text(encoding="utf-8").splitlines(keepends=True)
    lines.insert(3, "99000011|ENG|P|only five fields\n")
    bad.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(ValidationError, match="line 4"):
        import_rxnorm(operator, bad)
    assert product_count(operator) == 0

    not_a_number = tmp_path / "other.RRF"
    shutil.copy(SAMPLE, not_a_number)
    with not_a_number.open("a", encoding="utf-8") as f:
        f.write("ABC|ENG||L1|PF|S1|Y|A1||||RXNORM|SCD|1|x 1 MG Oral Tablet||N|4096|\n")
    with pytest.raises(ValidationError, match="line 11: 'ABC' is not an RXCUI"):
        import_rxnorm(operator, not_a_number)
    assert product_count(operator) == 0


def test_files_that_are_not_rxnconso_are_refused(operator, tmp_path):
    with pytest.raises(ValidationError, match="There is no file"):
        import_rxnorm(operator, tmp_path / "missing.RRF")
    empty = tmp_path / "empty.RRF"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(ValidationError, match="empty"):
        import_rxnorm(operator, empty)
    others = tmp_path / "others.RRF"
    others.write_text("1|ENG||L1|PF|S1|Y|A1||||MTHSPL|SU|1|SOMETHING||N||\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="no RxNorm products"):
        import_rxnorm(operator, others)


def test_only_the_operator_or_an_administrator_may_import(nurse, physician, admin_user):
    for actor in (nurse, physician):
        with pytest.raises(PermissionDenied):
            import_rxnorm(actor, SAMPLE)
    assert import_rxnorm(admin_user, SAMPLE).added == 6


def test_progress_is_reported(operator):
    seen: list[tuple[str, int, int]] = []
    import_rxnorm(operator, SAMPLE, progress=lambda *a: seen.append(a))
    assert seen[-1] == ("saving", 6, 6)
    assert any(stage == "reading" and done == total for stage, done, total in seen)


@pytest.mark.parametrize(
    ("name", "generic", "strength", "form", "route", "brand"),
    [
        ("lisinopril 10 MG Oral Tablet", "lisinopril", "10 MG", "Oral Tablet", "oral", ""),
        (
            "amoxicillin 875 MG / clavulanate potassium 125 MG Oral Tablet [Augmentin]",
            "amoxicillin / clavulanate potassium",
            "875 MG / 125 MG",
            "Oral Tablet",
            "oral",
            "Augmentin",
        ),
        (
            "24 HR metformin hydrochloride 500 MG Extended Release Oral Tablet",
            "metformin hydrochloride",
            "500 MG",
            "Extended Release Oral Tablet",
            "oral",
            "",
        ),
        (
            "amoxicillin 50 MG/ML Oral Suspension",
            "amoxicillin",
            "50 MG/ML",
            "Oral Suspension",
            "oral",
            "",
        ),
        (
            "fluticasone propionate 0.05 MG/ACTUAT Metered Dose Nasal Spray",
            "fluticasone propionate",
            "0.05 MG/ACTUAT",
            "Metered Dose Nasal Spray",
            "nasal",
            "",
        ),
        ("{28 (norethindrone 0.35 MG Oral Tablet) } Pack", "norethindrone", "", "Pack", "oral", ""),
    ],
)
def test_product_names_are_parsed(name, generic, strength, form, route, brand):
    parsed = parse_product_name(name)
    assert (parsed.generic_name, parsed.strength, parsed.dose_form, parsed.route) == (
        generic,
        strength,
        form,
        route,
    )
    assert parsed.brand_name == brand


def test_parsed_products_get_classes_and_schedule_from_the_formulary():
    combo = parse_product_name("hydrocodone bitartrate 5 MG / acetaminophen 325 MG Oral Tablet")
    assert combo.schedule == "II" and "opioids" in combo.classes
    augmentin = parse_product_name("amoxicillin 875 MG / clavulanate potassium 125 MG Oral Tablet")
    assert "penicillins" in augmentin.classes
    assert parse_product_name("exampline 5 MG Oral Tablet").classes == ()
