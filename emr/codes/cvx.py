"""CVX: the CDC's codes for vaccines administered (resources/codes/cvx.csv, source in its README).

Codes are strings ("03", "208"); "3" is read as "03". Inactive codes stay valid for recording
historical doses; `Vaccine.active` says whether the product is currently given in the US.
"""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass

from emr.codes import resources_dir, words
from emr.errors import NotFound

SYSTEM = "CVX"
STATUSES = ("Active", "Inactive", "Non-US", "Never Active")


@dataclass(frozen=True)
class Vaccine:
    code: str
    short_description: str
    full_name: str
    status: str  # one of STATUSES, as the CDC table gives it
    non_vaccine: bool  # immune globulins, antitoxins, skin tests, "no vaccine administered" ...
    use_instead: str | None  # for the few codes the CDC says not to use
    system: str = SYSTEM

    @property
    def active(self) -> bool:
        return self.status == "Active"

    @property
    def display(self) -> str:
        return f"{self.short_description} (CVX {self.code})"


def normalize_cvx(code: str) -> str:
    """ "3" -> "03"; other codes as given, without spaces."""
    code = code.strip()
    return code.zfill(2) if code.isdigit() else code


@functools.cache
def _table() -> tuple[Vaccine, ...]:
    path = resources_dir() / "cvx.csv"
    with path.open(encoding="utf-8", newline="") as f:
        rows = [
            Vaccine(
                code=row["cvx_code"],
                short_description=row["short_description"],
                full_name=row["full_name"],
                status=row["status"],
                non_vaccine=row["non_vaccine"] == "yes",
                use_instead=row["use_instead"] or None,
            )
            for row in csv.DictReader(f)
        ]
    return tuple(sorted(rows, key=lambda v: int(v.code)))


@functools.cache
def _by_code() -> dict[str, Vaccine]:
    return {v.code: v for v in _table()}


@functools.cache
def _words_of(code: str) -> tuple[str, ...]:
    vaccine = _by_code()[code]
    return tuple(dict.fromkeys(words(f"{vaccine.short_description} {vaccine.full_name}")))


def all_vaccines(*, active_only: bool = False) -> list[Vaccine]:
    """Every CVX code in numeric order (only the active ones if asked)."""
    return [v for v in _table() if v.active or not active_only]


def get_cvx(code: str) -> Vaccine:
    vaccine = _by_code().get(normalize_cvx(code))
    if vaccine is None:
        raise NotFound(f"{code.strip() or 'An empty code'} is not a CVX vaccine code.")
    return vaccine


def search_vaccines(query: str, *, limit: int = 50, active_only: bool = False) -> list[Vaccine]:
    """Vaccines whose code is the query, or whose names contain a word starting with each word
    of the query ("flu quad" does not match: the table says "influenza"; "influ quadri" does).
    Exact code first, then active products, whole-word matches, shorter names."""
    query = query.strip()
    if not query or limit <= 0:
        return []
    exact = _by_code().get(normalize_cvx(query))
    terms = words(query)
    found = []
    for vaccine in _table():
        if active_only and not vaccine.active:
            continue
        text = _words_of(vaccine.code)
        if vaccine is exact or all(any(w.startswith(t) for w in text) for t in terms):
            found.append(vaccine)
    found.sort(
        key=lambda v: (
            v is not exact,
            not v.active,
            v.non_vaccine,
            -sum(t in _words_of(v.code) for t in terms),  # whole words before prefixes
            len(v.full_name),
            int(v.code),
        )
    )
    return found[:limit]
