"""MDM^T02 (a signed note) and MDM^T08 (an addendum): TXA and the text in OBX TX lines."""

from __future__ import annotations

import pytest

from emr.errors import ValidationError
from emr.interop.hl7.mdm import SECTIONS
from emr.services.encounters import ENCOUNTER_TYPES, start_encounter
from tests.interop import NOTE_TEXT, at, build, make_chart, py, segs, strict, value


def _sections(h) -> dict[str, str]:
    """The note back from its OBX lines: lines of one section (OBX-4) joined by newlines."""
    lines: dict[str, list[str]] = {}
    for obx in segs(h, "OBX"):
        assert at(h, obx, 2) == "TX"
        lines.setdefault(at(h, obx, 3), []).append(at(h, obx, 5))
    return {code: "\n".join(text) for code, text in lines.items()}


def test_a_signed_note_goes_out_line_by_line_and_comes_back_identical(db, operator, physician):
    chart = make_chart(operator, physician)
    built = build(db, "MDM^T02", "note", chart.note_id)
    m = strict(built.er7)
    assert m.name == "MDM_T02"
    h = py(built.er7)
    codes = {key: code for key, code, _ in SECTIONS}
    assert _sections(h) == {
        codes["subjective"]: NOTE_TEXT + "\nsecond line",
        codes["assessment"]: "Bronchitis",
        codes["plan"]: "Rest",
    }
    assert value(h, "EVN.F1") == "T02"
    assert value(h, "TXA.F2") == "PR"
    assert value(h, "TXA.F12.R1.C1") == f"note-{chart.note_id}"
    assert value(h, "TXA.F13") == ""
    assert value(h, "TXA.F17") == "LA"
    assert value(h, "TXA.F5.R1.C2") == "Tester"
    assert value(h, "PV1.F19.R1.C1") == str(chart.encounter_id)


def test_an_addendum_names_its_note_as_parent(db, operator, physician):
    chart = make_chart(operator, physician)
    built = build(db, "MDM^T08", "addendum", chart.addendum_id)
    strict(built.er7)
    h = py(built.er7)
    assert value(h, "MSH.F9.R1.C2") == "T08"
    assert value(h, "MSH.F9.R1.C3") == "MDM_T02"
    assert value(h, "TXA.F12.R1.C1") == f"addendum-{chart.addendum_id}"
    assert value(h, "TXA.F13.R1.C1") == f"note-{chart.note_id}"
    (obx,) = segs(h, "OBX")
    assert at(h, obx, 5) == "Chest X-ray | normal ^ see report"


def test_a_draft_is_not_sent(db, operator, physician):
    chart = make_chart(operator, physician)
    other = start_encounter(
        physician,
        chart.patient_id,
        provider_id=physician.user_id,
        occurred_at=__import__("datetime").datetime(2026, 11, 21, 9),
        encounter_type=ENCOUNTER_TYPES[0],
    )
    with pytest.raises(ValidationError):
        build(db, "MDM^T02", "note", other.note_id)
