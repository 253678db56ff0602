"""Medical record numbers: Luhn check digit, random generation, validation."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emr.mrn import (
    check_digit,
    clean_mrn,
    is_valid_mrn,
    mrn_problem,
    new_unique_mrn,
    random_mrn,
)


def test_known_luhn_check_digits():
    # The classic Luhn example: 7992739871 has check digit 3.
    assert check_digit("7992739871") == "3"
    assert check_digit("123456") == "6"
    assert is_valid_mrn("1234566")
    assert not is_valid_mrn("1234567")


def test_generated_mrns_are_seven_valid_digits_without_a_leading_zero():
    rng = random.Random(7)
    for _ in range(500):
        mrn = random_mrn(rng)
        assert len(mrn) == 7 and mrn.isdigit() and mrn[0] != "0"
        assert is_valid_mrn(mrn)
    assert is_valid_mrn(random_mrn())  # the secure default generator


def test_same_seed_same_mrns():
    assert [random_mrn(random.Random(3)) for _ in range(3)] == [
        random_mrn(random.Random(3)) for _ in range(3)
    ]


def test_typing_noise_is_ignored_and_problems_are_named():
    assert clean_mrn(" 123456-6 ") == "1234566"
    assert is_valid_mrn("123 456 6")
    assert "7 digits" in mrn_problem("12345")
    assert "7 digits" in mrn_problem("12345a6")
    assert "check digit" in mrn_problem("1234567")


@given(st.integers(min_value=100000, max_value=999999), st.integers(0, 5), st.integers(1, 9))
def test_any_single_digit_error_is_caught(body, position, delta):
    mrn = str(body) + check_digit(str(body))
    wrong = mrn[:position] + str((int(mrn[position]) + delta) % 10) + mrn[position + 1 :]
    assert not is_valid_mrn(wrong)


@given(st.integers(min_value=100000, max_value=999999), st.integers(0, 5))
def test_swapped_neighbours_are_caught_unless_equal_or_09(body, position):
    mrn = str(body) + check_digit(str(body))
    a, b = mrn[position], mrn[position + 1]
    swapped = mrn[:position] + b + a + mrn[position + 2 :]
    if a != b and {a, b} != {"0", "9"}:
        assert not is_valid_mrn(swapped)


def test_unique_generation_skips_taken_numbers():
    rng = random.Random(1)
    first = random_mrn(random.Random(1))
    taken = {first}
    mrn = new_unique_mrn(lambda m: m in taken, rng)
    assert mrn != first and is_valid_mrn(mrn)
    with pytest.raises(RuntimeError):
        new_unique_mrn(lambda m: True, rng, attempts=3)
