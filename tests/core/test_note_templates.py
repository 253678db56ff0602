"""Note templates and quick phrases: who may write them, who reads them, and the expansion of
abbreviations at word boundaries."""

from __future__ import annotations

import pytest

from emr.errors import ConflictError, PermissionDenied, ValidationError
from emr.services.note_templates import (
    expand_phrases,
    expand_with,
    list_note_templates,
    list_quick_phrases,
    phrase_map,
    retire_note_template,
    retire_quick_phrase,
    save_note_template,
    save_quick_phrase,
)


def test_physicians_write_templates_and_everyone_clinical_reads(physician, nurse, front_desk_user):
    doc, nurse, desk = physician, nurse, front_desk_user
    annual = save_note_template(
        doc, name="Annual physical", visit_type="Annual physical", subjective="No complaints."
    )
    save_note_template(doc, name="Generic", plan="Return as needed.")
    save_note_template(doc, name="Telehealth", visit_type="Telehealth", objective="Via video.")
    names = [t.name for t in list_note_templates(nurse, "Annual physical")]
    assert names == ["Annual physical", "Generic"]  # its own type and the any-visit ones
    assert len(list_note_templates(nurse)) == 3
    with pytest.raises(PermissionDenied):
        save_note_template(nurse, name="Mine", subjective="x")
    with pytest.raises(PermissionDenied):
        list_note_templates(desk)

    changed = save_note_template(
        doc,
        template_id=annual.id,
        expected_version=annual.version,
        name="Annual physical",
        visit_type="Annual physical",
        subjective="No complaints today.",
    )
    assert changed.subjective == "No complaints today."
    with pytest.raises(ConflictError):
        retire_note_template(doc, annual.id, annual.version)
    retire_note_template(doc, changed.id, changed.version)
    assert [t.name for t in list_note_templates(nurse, "Annual physical")] == ["Generic"]
    assert len(list_note_templates(nurse, include_retired=True)) == 3


def test_a_template_needs_a_name_and_some_text(physician):
    with pytest.raises(ValidationError) as caught:
        save_note_template(physician, name=" ")
    assert set(caught.value.field_errors) == {"name", "subjective"}


def test_shared_and_personal_phrases(physician, second_physician, nurse):
    doc, doc2, nurse = physician, second_physician, nurse
    save_quick_phrase(doc, abbreviation=".nad", text="No acute distress.", personal=False)
    save_quick_phrase(doc2, abbreviation=".nad", text="Well, in no distress.")
    save_quick_phrase(nurse, abbreviation=".vs", text="Vital signs reviewed.")
    with pytest.raises(PermissionDenied):
        save_quick_phrase(nurse, abbreviation=".rrr", text="Regular rate.", personal=False)
    with pytest.raises(ValidationError, match="in use"):
        save_quick_phrase(doc, abbreviation=".nad", text="Again", personal=False)
    with pytest.raises(ValidationError):
        save_quick_phrase(doc, abbreviation="two words", text="x")

    assert phrase_map(doc) == {".nad": "No acute distress."}
    assert phrase_map(doc2) == {".nad": "Well, in no distress."}  # personal wins
    assert phrase_map(nurse) == {".nad": "No acute distress.", ".vs": "Vital signs reviewed."}
    [nurse_phrase] = [p for p in list_quick_phrases(nurse) if p.personal]
    with pytest.raises(PermissionDenied):
        retire_quick_phrase(doc, nurse_phrase.id, nurse_phrase.version)
    retire_quick_phrase(nurse, nurse_phrase.id, nurse_phrase.version)
    assert ".vs" not in phrase_map(nurse)


def test_expansion_only_at_word_boundaries():
    phrases = {".nad": "No acute distress.", "bp": "blood pressure", ".nadx": "Other."}
    assert expand_with(phrases, "Patient .nad today") == "Patient No acute distress. today"
    assert expand_with(phrases, ".nad\nbp ok") == "No acute distress.\nblood pressure ok"
    assert expand_with(phrases, "x.nad and bpm and .nadx") == "x.nad and bpm and Other."
    assert expand_with(phrases, "(bp)") == "(blood pressure)"
    assert expand_with({}, ".nad") == ".nad"


def test_expand_phrases_uses_the_users_phrases(physician, nurse):
    save_quick_phrase(physician, abbreviation=".rrr", text="Regular rate and rhythm.")
    assert expand_phrases(physician, "Heart: .rrr") == "Heart: Regular rate and rhythm."
    assert expand_phrases(nurse, "Heart: .rrr") == "Heart: .rrr"
