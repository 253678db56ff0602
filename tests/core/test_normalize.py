"""Name folding, phone digits and date-of-birth parsing."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emr.normalize import (
    fold,
    name_search_keys,
    name_tokens,
    normalize_name,
    parse_date,
    phone_digits,
    phone_problem,
    try_parse_date,
)

TODAY = date(2026, 11, 25)


@pytest.mark.parametrize(
    ("written", "folded"),
    [
        ("Müller", "muller"),
        ("Nguyễn", "nguyen"),
        ("García", "garcia"),
        ("Strauß", "strauss"),
        ("Ærø", "aero"),
        ("Jørgensen", "jorgensen"),
        ("Đặng", "dang"),
        ("Łukasiewicz", "lukasiewicz"),
        ("Yılmaz", "yilmaz"),
        ("ŞAHİN", "sahin"),
        ("Œuvray", "oeuvray"),
    ],
)
def test_fold_removes_case_and_accents(written, folded):
    assert fold(written) == folded


def test_apostrophes_and_hyphens_split_tokens():
    assert name_tokens("O'Brien") == ["o", "brien"]
    assert name_tokens("O’Brien") == ["o", "brien"]
    assert name_tokens("García-López") == ["garcia", "lopez"]
    assert name_tokens("  de la  Cruz ") == ["de", "la", "cruz"]
    assert normalize_name("Mary-Ann  O'Neill") == "mary ann o neill"


def test_search_keys_include_the_compact_form_of_each_part():
    assert name_search_keys("O'Brien", "Seán", "") == {"o", "brien", "obrien", "sean"}
    assert name_search_keys("Smith", "Mary Ann", "Lou") == {
        "smith",
        "mary",
        "ann",
        "maryann",
        "lou",
    }


def test_phone_digits_and_validation():
    assert phone_digits("+1 (555) 010-2345") == "15550102345"
    assert phone_problem("") is None
    assert phone_problem("555.010.2345") is None
    assert phone_problem("+44 20 7946 0958") is None
    assert phone_problem("12345") is not None  # too few digits
    assert phone_problem("1234567890123456") is not None  # too many
    assert phone_problem("555-CALL-NOW") is not None


@pytest.mark.parametrize(
    "text",
    ["1984-03-07", "03/07/1984", "3/7/1984", "7.3.1984", "07.03.1984", "19840307", "3/7/84"],
)
def test_date_forms(text):
    assert parse_date(text, today=TODAY) == date(1984, 3, 7)


def test_two_digit_years_are_never_in_the_future():
    assert parse_date("11/25/26", today=TODAY) == date(2026, 11, 25)
    assert parse_date("11/26/26", today=TODAY) == date(1926, 11, 26)
    assert parse_date("1.1.05", today=TODAY) == date(2005, 1, 1)
    assert parse_date("2/29/28", today=TODAY) == date(1928, 2, 29)


@pytest.mark.parametrize("text", ["", "smith", "1984-02-30", "13/01/1984", "1984-3", "84"])
def test_not_dates(text):
    with pytest.raises(ValueError):
        parse_date(text, today=TODAY)
    assert try_parse_date(text, today=TODAY) is None


# --- properties -----------------------------------------------------------------------------

names = st.text(
    alphabet=st.characters(codec="utf-8", categories=("L", "M", "N", "P", "Zs")), max_size=40
)


@given(names)
def test_folding_is_idempotent(text):
    assert fold(fold(text)) == fold(text)
    assert normalize_name(normalize_name(text)) == normalize_name(text)


@given(names)
def test_normalising_ignores_case(text):
    assert normalize_name(text.upper()) == normalize_name(text.lower()) == normalize_name(text)


ACCENTS = "\u0300\u0301\u0302\u0303\u0308\u030a\u030c\u0327"


@given(
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz '-", min_size=1, max_size=30),
    st.lists(st.sampled_from(ACCENTS), min_size=30, max_size=30),
)
def test_normalising_ignores_accents(plain, accents):
    accented = "".join(c + a if c.isalpha() else c for c, a in zip(plain, accents, strict=False))
    assert normalize_name(accented) == normalize_name(plain)


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31)))
def test_every_date_parses_back_from_every_four_digit_form(d):
    for text in (
        d.isoformat(),
        d.strftime("%m/%d/%Y"),
        f"{d.month}/{d.day}/{d.year}",
        f"{d.day}.{d.month}.{d.year}",
        d.strftime("%d.%m.%Y"),
        d.strftime("%Y%m%d"),
    ):
        assert parse_date(text, today=TODAY) == d, text


@given(st.dates(min_value=TODAY - timedelta(days=36_500) + timedelta(days=1), max_value=TODAY))
def test_two_digit_years_parse_back_within_the_last_century(d):
    short = d.strftime("%y")
    assert parse_date(f"{d.month}/{d.day}/{short}", today=TODAY) == d
    assert parse_date(f"{d.day}.{d.month}.{short}", today=TODAY) == d
