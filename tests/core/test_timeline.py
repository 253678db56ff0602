"""The chart's timeline: every clinical event newest first, filtered by kind, vitals by entry.

The chart is written through the ORM (the services of encounters, problems, medications,
vitals and labs are built beside this one); `build_chart` is shared with test_chart_search.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import pytest
from sqlalchemy import select

from emr.codes.loinc import lab_test, vital_sign
from emr.errors import PermissionDenied, ValidationError
from emr.localtime import to_utc
from emr.models.audit import AuditEvent
from emr.models.chart import Addendum, AmendmentRequest, Encounter, Note
from emr.models.clinical import Allergy, HistoryEntry, Immunization, Medication, Problem
from emr.models.observations import LabPanel, Observation
from emr.services.documents import attach_document
from emr.services.patients import PatientInput, register_patient
from emr.services.timeline import KINDS, timeline, vitals_summary

PDF = b"%PDF-1.4\n% retina\n"


@dataclass
class Chart:
    patient_id: int
    other_patient_id: int
    encounter_id: int
    draft_encounter_id: int
    wrong_encounter_id: int
    medication_id: int
    panel_id: int
    a1c_id: int
    glycated_id: int
    document_id: int


def utc(*args: int) -> datetime:
    return to_utc(datetime(*args))


def vital(patient_id: int, key: str, value: float, when: datetime, group: str) -> Observation:
    sign = vital_sign(key)
    return Observation(
        patient_id=patient_id,
        category="vital-signs",
        loinc_code=sign.loinc_code,
        name=sign.display_name,
        value_num=value,
        unit=sign.ucum_unit,
        observed_at=when,
        group_id=group,
    )


def _encounter(s, patient_id, provider_id, when, reason, **note) -> Encounter:
    encounter = Encounter(
        patient_id=patient_id,
        provider_id=provider_id,
        occurred_at=when,
        encounter_type="office visit",
        reason=reason,
    )
    s.add(encounter)
    s.flush()
    s.add(Note(encounter_id=encounter.id, patient_id=patient_id, **note))
    s.flush()
    return encounter


def build_chart(db, operator, doc) -> Chart:
    """A diabetic patient's two years, and another patient who also takes metformin."""
    ids = [
        register_patient(
            operator,
            PatientInput(
                family_name=family, given_name="Anna", date_of_birth=date(1970, 5, 6), sex="F"
            ),
            allow_duplicate=True,
        ).id
        for family in ("Lefèvre", "Okafor")
    ]
    pid, other = ids
    provider = doc.user_id
    with db.write(provider) as s:
        signed = _encounter(
            s,
            pid,
            provider,
            utc(2024, 3, 1, 9, 30),
            "diabetes follow-up",
            subjective="Thirsty, tired. Pain in the épaule gauche since winter.",
            plan="Start Metformin 500 mg twice daily with meals. Recheck HbA1c in 3 months.",
            status="signed",
            signed_by=provider,
            signed_at=utc(2024, 3, 1, 10, 0),
            signed_hash="0" * 64,
        )
        note_id = s.execute(select(Note.id).where(Note.encounter_id == signed.id)).scalar_one()
        s.add(
            Addendum(
                note_id=note_id,
                patient_id=pid,
                text="Patient phoned: tolerating metformin well.",
                signed_by=provider,
                signed_at=utc(2024, 3, 8, 16, 0),
                signed_hash="1" * 64,
            )
        )
        draft = _encounter(
            s, pid, provider, utc(2024, 5, 10, 11, 0), "cough", subjective="Dry cough, no fever."
        )
        wrong = _encounter(
            s,
            pid,
            provider,
            utc(2024, 6, 1, 8, 0),
            "wrong chart",
            plan="Increase metformin (wrong patient).",
        )
        wrong.entered_in_error = True
        wrong.error_reason = "wrong patient"
        s.add_all(
            [
                Problem(
                    patient_id=pid,
                    encounter_id=signed.id,
                    icd10_code="E11.9",
                    description="Type 2 diabetes mellitus without complications",
                    onset=date(2023, 12, 1),
                    notes="Diet first; metformin from March 2024.",
                ),
                Allergy(
                    patient_id=pid,
                    substance="Penicillin",
                    category="drug",
                    reaction="hives",
                    severity="severe",
                    created_at=utc(2022, 1, 10, 12, 0),
                ),
                Immunization(
                    patient_id=pid,
                    cvx_code="158",
                    vaccine="Influenza, injectable, quadrivalent",
                    given_on=date(2024, 10, 1),
                    lot_number="FLU123",
                ),
                HistoryEntry(
                    patient_id=pid, kind="family", description="Type 2 diabetes", relative="mother"
                ),
                AmendmentRequest(
                    patient_id=pid,
                    requested_on=date(2024, 7, 1),
                    what="Allergy list",
                    why="I am not allergic to sulfa.",
                ),
            ]
        )
        medication = Medication(
            patient_id=pid,
            encounter_id=signed.id,
            name="Metformin 500 mg tablet",
            dose="500 mg",
            frequency="twice daily",
            reason="type 2 diabetes",
            started_on=date(2024, 3, 1),
            stopped_on=date(2024, 9, 1),
            stop_reason="GI upset",
            source="here",
        )
        s.add(medication)
        s.add_all(
            [
                vital(pid, "systolic", 128, utc(2024, 3, 1, 9, 40), "entry-1"),
                vital(pid, "diastolic", 82, utc(2024, 3, 1, 9, 40), "entry-1"),
                vital(pid, "heart_rate", 72, utc(2024, 3, 1, 9, 40), "entry-1"),
                vital(pid, "weight", 80, utc(2024, 3, 1, 9, 40), "entry-1"),
                vital(pid, "systolic", 135, utc(2024, 5, 10, 11, 5), "entry-2"),
                vital(pid, "diastolic", 88, utc(2024, 5, 10, 11, 5), "entry-2"),
            ]
        )
        panel = LabPanel(
            patient_id=pid,
            name="Diabetes monitoring",
            collected_at=utc(2024, 3, 5, 8, 0),
            performing_lab="City Lab",
        )
        s.add(panel)
        s.flush()
        a1c, glucose = lab_test("hba1c"), lab_test("glucose_serum")
        a1c_result = Observation(
            patient_id=pid,
            category="laboratory",
            loinc_code=a1c.loinc_code,
            name=a1c.display_name,
            value_num=7.2,
            unit="%",
            flag="H",
            observed_at=utc(2024, 3, 5, 8, 0),
            panel_id=panel.id,
        )
        glycated = Observation(
            patient_id=pid,
            category="laboratory",
            loinc_code=a1c.loinc_code,
            name="Glycated haemoglobin",
            value_num=6.8,
            unit="%",
            flag="H",
            observed_at=utc(2024, 9, 2, 8, 0),
        )
        s.add_all(
            [
                a1c_result,
                glycated,
                Observation(
                    patient_id=pid,
                    category="laboratory",
                    loinc_code=glucose.loinc_code,
                    name=glucose.display_name,
                    value_num=92,
                    unit="mg/dL",
                    observed_at=utc(2024, 3, 5, 8, 0),
                    panel_id=panel.id,
                ),
            ]
        )
        _encounter(
            s,
            other,
            provider,
            utc(2024, 4, 1, 9, 0),
            "metformin review",
            plan="Continue metformin; A1c next time.",
        )
        s.add(Medication(patient_id=other, name="Metformin 1000 mg tablet"))
        s.flush()
        ids_kept = (signed.id, draft.id, wrong.id, medication.id, panel.id)
        a1c_id, glycated_id = a1c_result.id, glycated.id
    document = attach_document(
        doc,
        pid,
        PDF,
        title="Retinal screening report",
        category="lab report",
        document_date=date(2024, 4, 2),
        file_name="retina-Lefèvre.pdf",
    )
    return Chart(pid, other, *ids_kept, a1c_id, glycated_id, document.id)


@pytest.fixture
def chart(db, operator, staff) -> Chart:
    return build_chart(db, operator, staff["doc"])


def test_every_kind_is_there_newest_first(staff, chart):
    events = timeline(staff["doc"], chart.patient_id)
    assert [e.when for e in events] == sorted((e.when for e in events), reverse=True)
    assert {e.kind for e in events} == set(KINDS)
    titles = [e.title for e in events]
    assert titles[0] == "Influenza, injectable, quadrivalent"  # 2024-10-01
    assert "Stopped Metformin 500 mg tablet" in titles
    assert "Started Metformin 500 mg tablet" in titles
    stopped = next(e for e in events if e.title.startswith("Stopped"))
    assert stopped.when == datetime(2024, 9, 1) and stopped.detail == "GI upset"
    problem = next(e for e in events if e.kind == "problem")
    assert problem.when == datetime(2023, 12, 1)
    assert problem.title == "E11.9 Type 2 diabetes mellitus without complications"
    visit = next(e for e in events if e.title == "Office visit: diabetes follow-up")
    assert visit.entity_id == chart.encounter_id
    assert visit.when == datetime(2024, 3, 1, 9, 30)
    assert "note signed by Doc Tester" in visit.detail
    draft = next(e for e in events if e.entity_id == chart.draft_encounter_id)
    assert "draft" in draft.detail
    addendum = next(e for e in events if e.title.startswith("Addendum"))
    assert (addendum.entity, addendum.entity_id) == ("encounters", chart.encounter_id)
    panel = next(e for e in events if e.entity == "lab_panels")
    assert panel.entity_id == chart.panel_id
    assert panel.detail == "2 results, 1 abnormal, City Lab"
    document = next(e for e in events if e.kind == "document")
    assert (document.entity_id, document.when) == (chart.document_id, datetime(2024, 4, 2))
    # another patient's events never appear
    assert "Office visit: metformin review" not in titles


def test_vitals_are_one_event_per_entry(staff, chart):
    vitals = timeline(staff["nina"], chart.patient_id, kinds={"vitals"})
    assert [(e.when, e.detail) for e in vitals] == [
        (datetime(2024, 5, 10, 11, 5), "BP 135/88"),
        (datetime(2024, 3, 1, 9, 40), "BP 128/82, HR 72, Wt 80 kg"),
    ]
    assert all(e.entity == "observations" for e in vitals)
    assert vitals_summary({"diastolic": "70"}) == "BP ?/70"


def test_filters_by_kind_and_limit(staff, chart):
    chosen = timeline(staff["doc"], chart.patient_id, kinds={"medication", "lab"})
    assert {e.kind for e in chosen} == {"medication", "lab"}
    assert len([e for e in chosen if e.kind == "medication"]) == 2
    assert len([e for e in chosen if e.kind == "lab"]) == 2  # the panel and a loose result
    newest = timeline(staff["doc"], chart.patient_id, limit=3)
    assert newest == timeline(staff["doc"], chart.patient_id)[:3]
    assert timeline(staff["doc"], chart.patient_id, kinds=set()) == []
    with pytest.raises(ValidationError, match="Unknown kind"):
        timeline(staff["doc"], chart.patient_id, kinds={"gossip"})


def test_entered_in_error_only_when_asked(staff, chart):
    current = timeline(staff["doc"], chart.patient_id, kinds={"encounter"})
    assert chart.wrong_encounter_id not in {e.entity_id for e in current}
    everything = timeline(staff["doc"], chart.patient_id, kinds={"encounter"}, include_errors=True)
    [wrong] = [e for e in everything if e.entity_id == chart.wrong_encounter_id]
    assert wrong.entered_in_error
    assert not any(e.entered_in_error for e in current)


def test_front_desk_is_refused_and_views_are_audited(db, staff, chart):
    with pytest.raises(PermissionDenied):
        timeline(staff["fran"], chart.patient_id)
    timeline(staff["nina"], chart.patient_id, kinds={"lab"})
    with db.read() as s:
        events = s.execute(
            select(AuditEvent.username, AuditEvent.action, AuditEvent.detail).where(
                AuditEvent.entity == "timeline", AuditEvent.patient_id == chart.patient_id
            )
        ).all()
    assert [tuple(e) for e in events] == [("nina", "view", "timeline: lab")]
