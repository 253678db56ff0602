"""Benchmarks of the code tables: ICD-10-CM search by every shape of query, CVX search.

Floors. The harness's floor is "the same answer done the simplest way". For these in-memory
searches there is no database round trip to compare with, so:
- an exact code: the floor is one lookup in a plain dict of code -> record;
- a code prefix: the floor is a bisect over the sorted codes, taking the first `limit` codes
  with no ranking (the least work any prefix search must do);
- words: no floor (None). Nothing simpler gives the same answer faster: the simple way, a
  linear scan of 98,000 descriptions, is the slow path the index exists to avoid (about 100
  times slower), so it would be a ceiling, not a floor.
The index is built (or read from its cache) before timing starts.
"""

from __future__ import annotations

from bisect import bisect_left

from emr.bench import BenchContext, Operation
from emr.codes.cvx import search_vaccines
from emr.codes.icd10 import Icd10Code, code_key, default_index, search_icd10

LIMIT = 50

WORD_QUERIES = [
    "type 2 diab",
    "hypertens",
    "asthma",
    "heart fail",
    "chest pain",
    "otitis media",
    "fracture femur",
    "depress",
    "low back pain",
    "hyperlipid",
    "urinary tract infection",
    "sinusitis",
    "migraine",
    "anxiety",
    "high blood pressure",
    "vitamin d deficiency",
    "atrial fibrillation",
    "obesity",
    "allergic rhinitis",
    "gastro reflux",
]
# What the code picker sees while someone is still typing the first letters.
TYPING_QUERIES = ["a", "d", "h", "di", "hy", "fr", "co", "pn", "as", "ot"]
VACCINE_QUERIES = ["influenza", "mmr", "tdap", "hep b", "zoster", "pneumo", "covid", "hpv"]


def operations(ctx: BenchContext) -> list[Operation]:
    index = default_index()  # built now, not inside a timed run
    records: list[Icd10Code] = list(index.all_codes())
    by_code = {code_key(r.code): r for r in records}
    sorted_keys = sorted(by_code)

    sample = ctx.rng.sample(records, 200)
    exact_codes = [r.code for r in sample]
    undotted = [code_key(c) for c in exact_codes]
    categories = sorted({code_key(c)[:3] for c in exact_codes})

    def exact_floor(i: int) -> None:
        by_code.get(code_key(exact_codes[i % len(exact_codes)]))

    def prefix_floor(i: int) -> None:
        prefix = categories[i % len(categories)]
        lo = bisect_left(sorted_keys, prefix)
        [by_code[k] for k in sorted_keys[lo : lo + LIMIT] if k.startswith(prefix)]

    def search(queries: list[str]):
        return lambda i: search_icd10(queries[i % len(queries)], limit=LIMIT)

    return [
        Operation("icd10_search_exact_code", search(exact_codes), exact_floor),
        Operation("icd10_search_code_without_dot", search(undotted), exact_floor),
        Operation("icd10_search_category_prefix", search(categories), prefix_floor),
        Operation("icd10_search_words", search(WORD_QUERIES), None),
        Operation("icd10_search_first_letters", search(TYPING_QUERIES), None),
        Operation(
            "cvx_search",
            lambda i: search_vaccines(VACCINE_QUERIES[i % len(VACCINE_QUERIES)]),
            None,
        ),
    ]
