"""Whatever a user types is stored and returned exactly: SQL metacharacters, very long text,
control characters, every Unicode plane."""

from __future__ import annotations

from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emr.normalize import name_tokens
from emr.services.patients import PatientInput, get_patient, register_patient, search_patients

# Any code point but surrogates (not encodable) and NUL; names are trimmed, so no edge spaces.
ANY_CHAR = st.characters(exclude_categories=("Cs",), exclude_characters="\x00")
NASTY = st.sampled_from(
    [
        "'; DROP TABLE patients; --",
        '" OR 1=1 --',
        "%_\\",
        "\x07\x1b[31m",
        "𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
        "🩺🧬",
        "\u202e",
    ]
)
# A name must hold at least one letter or digit (the service says so clearly otherwise).
NAME = (
    st.one_of(NASTY.map(lambda s: "O" + s), st.text(ANY_CHAR, min_size=1, max_size=100))
    .map(str.strip)
    .filter(name_tokens)
)
NOTES = st.one_of(NASTY, st.text(ANY_CHAR, max_size=5000))


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(family=NAME, given_name=NAME, notes=NOTES)
def test_names_and_notes_round_trip_exactly(operator, family, given_name, notes):
    data = PatientInput(
        family_name=family,
        given_name=given_name,
        date_of_birth=date(1990, 2, 3),
        sex="U",
        front_desk_notes=notes.strip(),
    )
    saved = register_patient(operator, data, allow_duplicate=True)
    again = get_patient(operator, saved.id)
    assert (again.family_name, again.given_name, again.front_desk_notes) == (
        family,
        given_name,
        notes.strip(),
    )
    # Searching with the same text never fails, whatever it holds.
    search_patients(operator, family)


def test_very_long_notes(operator):
    notes = "x" * 200_000 + "\n'; DROP TABLE patients; --"
    saved = register_patient(
        operator,
        PatientInput(
            family_name="Long",
            given_name="Notes",
            date_of_birth=date(1990, 1, 1),
            sex="F",
            front_desk_notes=notes,
        ),
    )
    assert get_patient(operator, saved.id).front_desk_notes == notes
