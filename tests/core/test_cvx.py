"""CVX vaccine codes: the shipped CDC table, lookups and search."""

from __future__ import annotations

import csv

import pytest

from emr.codes import resources_dir
from emr.codes.cvx import STATUSES, all_vaccines, get_cvx, normalize_cvx, search_vaccines
from emr.errors import NotFound


def test_table_is_whole_and_well_formed() -> None:
    with (resources_dir() / "cvx.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    vaccines = all_vaccines()
    assert len(vaccines) == len(rows) > 250
    assert len({v.code for v in vaccines}) == len(vaccines)
    assert all(v.status in STATUSES for v in vaccines)
    assert all(v.code.isdigit() and v.short_description and v.full_name for v in vaccines)
    assert [int(v.code) for v in vaccines] == sorted(int(v.code) for v in vaccines)
    for v in vaccines:
        if v.use_instead:
            assert get_cvx(v.use_instead).code == v.use_instead


def test_well_known_codes() -> None:
    assert get_cvx("03").short_description == "MMR"
    assert get_cvx("115").short_description == "Tdap"
    assert get_cvx("08").full_name.startswith("hepatitis B vaccine, pediatric")
    assert get_cvx("187").short_description == "zoster recombinant"
    assert get_cvx("998").non_vaccine


def test_single_digit_codes_are_padded() -> None:
    assert normalize_cvx(" 3 ") == "03"
    assert get_cvx("3") == get_cvx("03")


def test_unknown_code() -> None:
    with pytest.raises(NotFound, match="12345 is not a CVX vaccine code"):
        get_cvx("12345")


def test_active_only_keeps_active_products() -> None:
    active = all_vaccines(active_only=True)
    assert active and all(v.active for v in active)
    assert len(active) < len(all_vaccines())
    assert not get_cvx("01").active  # DTP: historical records only


def test_search_by_code_puts_it_first() -> None:
    assert search_vaccines("208")[0].code == "208"


def test_search_by_words() -> None:
    assert [v.code for v in search_vaccines("mmr")][:2] == ["03", "94"]
    flu = search_vaccines("influenza", limit=10)
    assert flu and all("influenza" in v.full_name.lower() for v in flu)
    assert all(v.active for v in flu[:5])
    for v in search_vaccines("hep b adult"):
        text = f"{v.short_description} {v.full_name}".lower()
        assert "hep" in text and "adult" in text


def test_search_active_only_and_limit() -> None:
    found = search_vaccines("influenza", active_only=True, limit=3)
    assert len(found) == 3 and all(v.active for v in found)
    assert search_vaccines("") == []
    assert search_vaccines("nothing-like-this") == []
