"""ICD-10-CM: the whole code set of simple-icd-10-cm, lookups, billable rule and search quality."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emr.codes import icd10, words
from emr.codes.icd10 import Icd10Code, Icd10Index, get_icd10, require_billable, search_icd10
from emr.errors import NotFound, ValidationError


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The shared index of this test module is built into (and cached in) a temporary folder."""
    folder = tmp_path_factory.mktemp("icd10-cache")
    previous = os.environ.get("EMR_CACHE_DIR")
    os.environ["EMR_CACHE_DIR"] = str(folder)
    yield folder
    if previous is None:
        os.environ.pop("EMR_CACHE_DIR", None)
    else:
        os.environ["EMR_CACHE_DIR"] = previous


@pytest.fixture(scope="module")
def index(cache_dir: Path) -> Icd10Index:
    """Built from the package into this module's cache folder. The module-level functions
    (search_icd10 ...) use the shared index, which reads that cache unless an earlier test
    already built it elsewhere: the same code set either way."""
    return Icd10Index.load(cache_dir)


def codes(results: list[Icd10Code]) -> list[str]:
    return [r.code for r in results]


def test_the_full_code_set_is_loaded(index: Icd10Index) -> None:
    info = index.info
    assert info.codes > 95_000  # every category and subcategory of the April 2026 release
    assert 70_000 < info.billable < info.codes
    assert info.edition == icd10.edition()
    assert info.source == "package" and info.index_seconds > 0  # a fresh cache folder
    assert info.package_version
    assert all(r.system == "ICD-10-CM" for r in list(index.all_codes())[:100])


def test_chapters_and_blocks_are_not_codes(index: Icd10Index) -> None:
    assert not index.exists("A00-A09")
    assert not index.exists("1")
    assert index.exists("A00")


def test_get_accepts_the_code_with_or_without_its_dot(index: Icd10Index) -> None:
    expected = Icd10Code("E11.9", "Type 2 diabetes mellitus without complications", True)
    assert get_icd10("E11.9") == expected
    assert get_icd10("e119") == expected
    assert get_icd10(" E11.9 ") == expected


def test_unknown_code_is_not_found(index: Icd10Index) -> None:
    with pytest.raises(NotFound, match="E11.99 is not an ICD-10-CM code"):
        get_icd10("E11.99")
    with pytest.raises(NotFound, match="Enter an ICD-10-CM code"):
        get_icd10("  ")


def test_a_category_is_not_billable(index: Icd10Index) -> None:
    category = get_icd10("E11")
    assert category.billable is False
    with pytest.raises(ValidationError) as raised:
        require_billable("E11")
    message = str(raised.value)
    assert message.startswith("E11 is a category, not a billable code: choose a more specific")
    assert "E11.9" in message


def test_a_subcategory_is_not_billable_and_suggests_its_leaves(index: Icd10Index) -> None:
    with pytest.raises(ValidationError, match="E11.6 is a subcategory") as raised:
        require_billable("E11.6")
    suggested = [
        s.strip(" .") for s in str(raised.value).split("such as ")[1].split("(")[0].split(",")
    ]
    assert suggested and all(get_icd10(c).billable and c.startswith("E11.6") for c in suggested)


def test_a_billable_code_passes(index: Icd10Index) -> None:
    assert require_billable("i10").code == "I10"


def test_exact_code_comes_first_with_or_without_dot(index: Icd10Index) -> None:
    assert codes(search_icd10("E11.9"))[0] == "E11.9"
    assert codes(search_icd10("e119"))[0] == "E11.9"
    assert codes(search_icd10("E119"))[0] == "E11.9"


def test_code_prefix_lists_the_category_then_its_children(index: Icd10Index) -> None:
    found = codes(search_icd10("E11", limit=20))
    assert found[0] == "E11"
    assert all(c.startswith("E11") for c in found)
    # more general codes before more specific ones
    lengths = [len(c.replace(".", "")) for c in found]
    assert lengths == sorted(lengths)


def test_words_find_type_2_diabetes_first(index: Icd10Index) -> None:
    found = codes(search_icd10("type 2 diab", limit=10))
    assert found[0] == "E11"
    assert all(c.startswith("E11") for c in found[:5])


def test_words_are_order_free_and_case_insensitive(index: Icd10Index) -> None:
    assert codes(search_icd10("DIAB TYPE 2", limit=10)) == codes(
        search_icd10("type 2 diab", limit=10)
    )


def test_hypertension_finds_i10_near_the_top(index: Icd10Index) -> None:
    assert "I10" in codes(search_icd10("hypertens", limit=5))


def test_inclusion_terms_are_searched(index: Icd10Index) -> None:
    # "high blood pressure" is an inclusion term of I10, not words of its title
    assert codes(search_icd10("high blood pressure", limit=3))[0] == "I10"


def test_asthma_results_are_asthma_codes(index: Icd10Index) -> None:
    found = codes(search_icd10("asthma", limit=20))
    assert found[0] == "J45"
    assert all(c.startswith("J45") for c in found[:6])
    assert "J82.83" in found  # eosinophilic asthma, outside J45, is found too


def test_search_is_accent_insensitive(index: Icd10Index) -> None:
    with_accent = codes(search_icd10("ménière", limit=10))
    assert with_accent == codes(search_icd10("meniere", limit=10))
    assert with_accent[0] == "H81.0"


def test_every_query_word_must_match(index: Icd10Index) -> None:
    for result in search_icd10("fracture femur", limit=50):
        text = result.description.lower()
        assert "fracture" in text and "femur" in text
    assert search_icd10("asthma zzzzqx") == []


def test_billable_only_and_limit(index: Icd10Index) -> None:
    found = search_icd10("type 2 diabetes", limit=7, billable_only=True)
    assert len(found) == 7
    assert all(r.billable for r in found)
    assert "E11" not in codes(found)


def test_a_code_like_word_also_matches_descriptions(index: Icd10Index) -> None:
    # "b12" looks like a code but is a word of D51's titles
    assert codes(search_icd10("b12 deficiency", limit=3))[0] == "D51"


def test_one_letter_queries_still_answer(index: Icd10Index) -> None:
    import simple_icd_10_cm as package

    found = search_icd10("a", limit=10)
    assert len(found) == 10
    for result in found:
        texts = [
            result.description,
            *package.get_inclusion_term(result.code),
            *package.get_includes(result.code),
        ]
        assert any(w.startswith("a") for text in texts for w in words(text)), result


def test_empty_query_finds_nothing(index: Icd10Index) -> None:
    assert search_icd10("   ") == []
    assert search_icd10("diabetes", limit=0) == []


def test_second_load_reads_the_cache_and_agrees(index: Icd10Index, cache_dir: Path) -> None:
    again = Icd10Index.load(cache_dir)
    assert again.info.source == "cache"
    assert again.info.codes == index.info.codes
    for query in ("type 2 diab", "E11", "asthma"):
        assert again.search(query, limit=20) == index.search(query, limit=20)


def test_a_damaged_cache_file_is_ignored(cache_dir: Path, index: Icd10Index) -> None:
    (cached,) = cache_dir.glob("icd10cm-index-*")
    header = f"icd10cm-index format={icd10.CACHE_FORMAT} package=x edition=y"
    damaged = cache_dir / "damaged.marshal"
    damaged.write_bytes(cached.read_bytes()[:1000])
    assert icd10._read_cache(damaged, header) is None
    assert icd10._read_cache(cached, header) is None  # another package version: not used
    assert icd10._read_cache(cache_dir / "missing.marshal", header) is None


def test_bench_operations_time_every_query_shape(index: Icd10Index, db, operator) -> None:
    import random

    from emr.bench import BenchContext, run_operations
    from emr.bench import codes as bench_codes

    ctx = BenchContext(db=db, actor=operator, patients=0, rng=random.Random(1))
    results = run_operations(bench_codes.operations(ctx), runs=3)
    assert set(results) == {
        "icd10_search_exact_code",
        "icd10_search_code_without_dot",
        "icd10_search_category_prefix",
        "icd10_search_words",
        "icd10_search_first_letters",
        "cvx_search",
    }
    for name, timing in results.items():
        assert timing.runs == 3 and 0 < timing.median_ms <= timing.p95_ms
        has_floor = name in {
            "icd10_search_exact_code",
            "icd10_search_code_without_dot",
            "icd10_search_category_prefix",
        }
        assert (timing.floor_ms is not None) == has_floor


@settings(max_examples=150, deadline=None)
@given(query=st.text(max_size=30))
def test_any_text_is_a_safe_query(index: Icd10Index, query: str) -> None:
    found = index.search(query, limit=10)
    assert len(found) <= 10
    assert len({r.code for r in found}) == len(found)


def test_writing_the_cache_removes_files_of_earlier_versions(tmp_path: Path) -> None:
    stale = tmp_path / "icd10cm-index-1.4.0-October-1-2024-f3-py311.marshal"
    stale.write_bytes(b"old")
    unrelated = tmp_path / "notes.txt"
    unrelated.write_text("kept", encoding="utf-8")
    fresh = tmp_path / "icd10cm-index-9.9.9-April-1-2030-f3-py311.marshal"
    icd10._write_cache(fresh, "header", {"codes": []})
    assert fresh.exists() and not stale.exists() and unrelated.exists()
    assert not list(tmp_path.glob("*.partial"))
