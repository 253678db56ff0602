"""REF^I12: the referral's reason, diagnoses (DG1, ICD-10-CM) and providers (PRD)."""

from __future__ import annotations

from tests.interop import at, build, make_chart, py, segs, strict, value


def test_a_referral(db, operator, physician):
    chart = make_chart(operator, physician)
    built = build(db, "REF^I12", "referral", chart.referral_id)
    m = strict(built.er7)
    assert m.name == "REF_I12"
    h = py(built.er7)
    assert value(h, "RF1.F2.R1.C1") == "A"  # urgent: ASAP
    assert value(h, "RF1.F6.R1.C1") == f"referral-{chart.referral_id}"
    assert value(h, "RF1.F7") == "20261125"
    referring, receiving = segs(h, "PRD")
    assert at(h, referring, 1) == "RP"
    assert at(h, referring, 2) == "Tester"
    assert at(h, receiving, 1) == "RT"
    assert (at(h, receiving, 2), at(h, receiving, 2, comp=2)) == ("Heart", "Jane Q")
    assert at(h, receiving, 3) == "2 Elm St"
    assert at(h, receiving, 4, comp=9) == "Heart & Vessel Clinic"
    assert at(h, receiving, 5) == "312-555-0101"
    assert at(h, receiving, 5, rep=2) == "312-555-0102"
    assert at(h, receiving, 5, rep=2, comp=3) == "FX"
    assert (at(h, receiving, 7), at(h, receiving, 7, comp=2)) == ("1245319599", "NPI")
    diagnoses = segs(h, "DG1")
    assert [at(h, d, 3) for d in diagnoses] == ["I10", "R07.9"]
    assert {at(h, d, 3, comp=3) for d in diagnoses} == {"I10C"}
    assert at(h, diagnoses[0], 3, comp=2) == "Essential (primary) hypertension"
    reason = segs(h, "NTE")[0]
    assert at(h, reason, 4) == "1R"
    lines = [at(h, reason, 3, rep=n) for n in (1, 2)]
    assert "\n".join(lines) == "Exertional chest pain | 2 weeks\nECG: normal"
    assert value(h, "PID.F3.R1.C5") == "MR"
