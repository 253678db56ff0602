"""Search inside one chart: case and accents folded, only this patient's rows, audited."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from emr.errors import PermissionDenied
from emr.models.audit import AuditEvent
from emr.services.chart_search import search_chart
from tests.core.test_timeline import Chart, build_chart


@pytest.fixture
def chart(db, operator, staff) -> Chart:
    return build_chart(db, operator, staff["doc"])


def test_metformin_is_found_in_notes_addenda_medications_and_problems(staff, chart):
    hits = search_chart(staff["doc"], chart.patient_id, "metformin")
    by_kind = {(h.kind, h.entity, h.entity_id) for h in hits}
    assert ("note", "encounters", chart.encounter_id) in by_kind
    assert ("addendum", "encounters", chart.encounter_id) in by_kind
    assert ("medication", "medications", chart.medication_id) in by_kind
    assert any(h.kind == "problem" for h in hits)
    note = next(h for h in hits if h.kind == "note")
    assert note.snippet.startswith("Plan: Start Metformin 500 mg")
    assert note.when == datetime(2024, 3, 1, 9, 30)
    medication = next(h for h in hits if h.kind == "medication")
    assert medication.snippet == "Medication: Metformin 500 mg tablet"
    assert [h.when for h in hits] == sorted((h.when for h in hits), reverse=True)


def test_other_patients_and_entered_in_error_are_never_found(staff, chart):
    hits = search_chart(staff["doc"], chart.patient_id, "METFORMIN")
    assert chart.wrong_encounter_id not in {h.entity_id for h in hits if h.entity == "encounters"}
    assert not any("1000 mg" in h.title or "review" in h.snippet for h in hits)
    struck = search_chart(staff["doc"], chart.patient_id, "metformin", include_errors=True)
    [wrong] = [h for h in struck if h.entity_id == chart.wrong_encounter_id]
    assert wrong.entered_in_error
    assert search_chart(staff["doc"], chart.other_patient_id, "tolerating") == []


def test_a1c_finds_the_results_whatever_they_were_called(staff, chart):
    hits = search_chart(staff["nina"], chart.patient_id, "A1c")
    results = {h.entity_id: h for h in hits if h.entity == "observations"}
    assert set(results) == {chart.a1c_id, chart.glycated_id}
    assert results[chart.a1c_id].kind == "lab"
    assert results[chart.a1c_id].title == "Hemoglobin A1c/Hemoglobin.total in Blood: 7.2 % (H)"
    assert results[chart.glycated_id].snippet == "Test: Glycated haemoglobin (LOINC 4548-4)"
    assert any(h.kind == "note" and "HbA1c" in h.snippet for h in hits)
    by_code = search_chart(staff["nina"], chart.patient_id, "4548-4")
    assert {h.entity_id for h in by_code} == {chart.a1c_id, chart.glycated_id}


def test_case_and_accents_are_folded_both_ways(staff, chart):
    plain = search_chart(staff["doc"], chart.patient_id, "EPAULE")
    assert [h.kind for h in plain] == ["note"]
    assert "épaule gauche" in plain[0].snippet
    accented = search_chart(staff["doc"], chart.patient_id, "Dry Cöugh")
    assert [h.entity_id for h in accented] == [chart.draft_encounter_id]
    documents = search_chart(staff["doc"], chart.patient_id, "lefevre")
    assert [(h.kind, h.snippet) for h in documents] == [("document", "File: retina-Lefèvre.pdf")]


def test_every_listed_kind_is_searched(staff, chart):
    def kinds(query):
        return {h.kind for h in search_chart(staff["doc"], chart.patient_id, query)}

    assert kinds("penicillin") == {"allergy"}
    assert kinds("hives") == {"allergy"}
    assert kinds("quadrivalent") == {"immunization"}
    assert kinds("retinal") == {"document"}
    assert kinds("mother") == {"history"}
    assert kinds("city lab") == {"lab"}
    assert kinds("e11.9") == {"problem"}
    assert kinds("systolic") == {"vitals"}
    assert kinds("50%_") == set()  # LIKE's wildcards are searched as they are


def test_short_queries_find_nothing(staff, chart):
    assert search_chart(staff["doc"], chart.patient_id, " m ") == []


def test_front_desk_is_refused_and_a_search_is_one_audited_view(db, staff, chart):
    with pytest.raises(PermissionDenied):
        search_chart(staff["fran"], chart.patient_id, "metformin")
    search_chart(staff["doc"], chart.patient_id, "metformin")
    with db.read() as s:
        events = s.execute(
            select(AuditEvent.username, AuditEvent.action, AuditEvent.detail).where(
                AuditEvent.entity == "chart_search"
            )
        ).all()
    assert [tuple(e) for e in events] == [("doc", "view", "search: metformin")]
