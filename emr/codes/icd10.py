"""ICD-10-CM: the full code set shipped by the simple-icd-10-cm package, and instant search.

Search takes a code prefix ("E11", "e11.9", "E119") or words ("type 2 diab"): each query word
must prefix-match a word of the code's title or of its inclusion terms ("high blood pressure"
finds I10), in any order, case- and accent-insensitive. Ranking: the exact code first, then codes
under a typed code prefix, then codes whose title (not only an inclusion term) holds every word,
more whole-word matches, shorter (more general) codes, a title that starts with a query word,
and fewer words. Only categories and subcategories are codes (chapters and blocks are not);
leaf codes are billable.

The index lives in memory, built on first use. Importing simple-icd-10-cm parses its 10 MB XML
(about 4 s) and building the index takes about 1 s more, so the built index is cached with
`marshal` (plain data, nothing executable) in the user's cache folder, keyed by the package
version and its edition; later starts read it in about 0.3 s. `warm_up()` does this ahead of
time, e.g. from a worker thread while the user logs in.
"""

from __future__ import annotations

import contextlib
import heapq
import importlib.metadata
import importlib.util
import logging
import marshal
import os
import re
import sys
import threading
import time
from array import array
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path
from typing import Any

from emr.codes import fold, words
from emr.errors import NotFound, ValidationError

log = logging.getLogger(__name__)

SYSTEM = "ICD-10-CM"
PACKAGE = "simple_icd_10_cm"
CACHE_FORMAT = 4
_POSTING_TYPE = "I"  # unsigned int: 4 bytes on every platform Python supports here
_SYNONYM_SEP = "\x1f"
_WORD_BYTES = b"abcdefghijklmnopqrstuvwxyz0123456789\n"
_SPACE_NON_WORD = bytes(c if c in _WORD_BYTES else 32 for c in range(256))
_CODE_LIKE = re.compile(r"[A-Za-z][0-9][0-9A-Za-z]?(?:\.?[0-9A-Za-z]{0,4})?")
_TABULAR_FILE = re.compile(r"icd10cm?-tabular-(\w+)-(\d+)-(\d{4})\.xml", re.IGNORECASE)
# A query matching more codes than this ranks only this many of the most general ones: a
# one-letter query matches tens of thousands of codes, and its best hits are general codes.
_RANKING_POOL = 1000


@dataclass(frozen=True)
class Icd10Code:
    code: str  # with its dot, as printed: "E11.9"
    description: str
    billable: bool  # a leaf code, valid on a claim; categories and subcategories are not
    system: str = SYSTEM

    @property
    def display(self) -> str:
        return f"{self.code} {self.description}"


@dataclass(frozen=True)
class IndexInfo:
    edition: str  # "April 1, 2026"
    package_version: str
    codes: int
    billable: int
    source: str  # "package" (parsed and indexed now) or "cache" (read from the cache file)
    load_seconds: float  # parsing the package's table, or reading the cache file
    index_seconds: float  # building the search structures (0 when read from the cache)


@dataclass
class _Table:
    """The code set as parallel columns (cheaper to read and index than one object a row)."""

    codes: list[str]
    descriptions: list[str]
    billable: list[bool]
    synonyms: list[str]  # inclusion terms and "includes" notes, joined by _SYNONYM_SEP


@dataclass(frozen=True)
class _Term:
    """One piece of a query: words that must each prefix-match a word of the text, or, for a
    piece shaped like a code, a code prefix as an alternative."""

    words: tuple[str, ...]
    code_prefix: str | None


@dataclass(frozen=True)
class _Prepared:
    term: _Term
    sets: tuple[frozenset[str], ...]  # per word of the term: the vocabulary words it prefixes


def code_key(code: str) -> str:
    """The dotless upper-case form used for lookups: " e11.9 " -> "E119"."""
    return re.sub(r"[\s.]", "", code).upper()


def _package_data() -> tuple[str, str, Path]:
    """(package version, edition, data folder) of simple-icd-10-cm, without importing it."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or spec.origin is None:
        raise RuntimeError("The simple-icd-10-cm package is not installed.")
    data_dir = Path(spec.origin).parent / "data"
    version = importlib.metadata.version(PACKAGE)
    edition = "unknown edition"
    for path in sorted(data_dir.glob("*.xml")):
        match = _TABULAR_FILE.fullmatch(path.name)
        if match:
            month, day, year = match.groups()
            edition = f"{month} {int(day)}, {year}"
    return version, edition, data_dir


def default_cache_dir() -> Path:
    override = os.environ.get("EMR_CACHE_DIR")
    if override:
        return Path(override).expanduser()
    from platformdirs import user_cache_dir

    from emr.config import APP_AUTHOR, APP_NAME

    return Path(user_cache_dir(APP_NAME, APP_AUTHOR))


_PYTHON = f"py{sys.version_info.major}{sys.version_info.minor}"  # marshal's format may change


def _cache_file(cache_dir: Path, version: str, edition: str) -> Path:
    stamp = re.sub(r"[^0-9A-Za-z]+", "-", edition).strip("-")
    return cache_dir / f"icd10cm-index-{version}-{stamp}-f{CACHE_FORMAT}-{_PYTHON}.marshal"


def _info(
    state: dict[str, Any], edition: str, version: str, source: str, load: float, index: float
) -> IndexInfo:
    return IndexInfo(
        edition=edition,
        package_version=version,
        codes=len(state["codes"]),
        billable=sum(state["billable"]),
        source=source,
        load_seconds=load,
        index_seconds=index,
    )


def _table_from_package() -> _Table:
    import simple_icd_10_cm as icd

    table = _Table([], [], [], [])
    seen: set[str] = set()
    for code in icd.get_all_codes(with_dots=True):
        # Chapters and blocks ("1", "A00-A09") are groupings, not codes. A block made of a
        # single category (B10, Z68 ...) appears twice under the same name: keep it once.
        if code in seen or not icd.is_category_or_subcategory(code):
            continue
        seen.add(code)
        synonyms = dict.fromkeys(
            _clean(s) for s in [*icd.get_inclusion_term(code), *icd.get_includes(code)]
        )
        table.codes.append(code)
        table.descriptions.append(_clean(icd.get_description(code)))
        table.billable.append(icd.is_leaf(code))
        table.synonyms.append(_SYNONYM_SEP.join(s for s in synonyms if s))
    return table


def _clean(text: str) -> str:
    return " ".join(text.replace(_SYNONYM_SEP, " ").split())


def _tokenize_all(texts: list[str]) -> list[tuple[str, ...]]:
    """words() of each text, done on the joined texts at once (many times faster for the
    whole table than a regular expression a text). Equal words share one string object."""
    joined = fold("\n".join(texts)).encode("ascii").translate(_SPACE_NON_WORD).decode("ascii")
    return [tuple(map(sys.intern, line.split())) for line in joined.split("\n")]


def _build_state(table: _Table) -> dict[str, Any]:
    """The search structures of a table, as plain lists, tuples and dicts (what marshal
    stores). Codes are numbered from the most general (shorter code, fewer words, shorter text,
    then code order), so a smaller number is a more general code: ranking by generality is
    comparing integers, and the most general of a large set are its smallest numbers."""
    desc_words_in_table_order = _tokenize_all(table.descriptions)
    table_keys = [code.replace(".", "") for code in table.codes]
    order = [
        entry[-1]
        for entry in sorted(
            zip(
                map(len, table_keys),
                map(len, desc_words_in_table_order),
                map(len, table.descriptions),
                table_keys,
                range(len(table.codes)),
                strict=True,
            )
        )
    ]
    codes = [table.codes[i] for i in order]
    descriptions = [table.descriptions[i] for i in order]
    billable = [table.billable[i] for i in order]
    synonyms = [table.synonyms[i] for i in order]
    keys = [table_keys[i] for i in order]
    desc_words = [desc_words_in_table_order[i] for i in order]
    sorted_ids = sorted(range(len(codes)), key=keys.__getitem__)

    # Most codes have no synonyms: they share their description's tuple.
    all_words = list(desc_words)
    lead_words = [ws[:1] for ws in desc_words]
    with_synonyms = [i for i, s in enumerate(synonyms) if s]
    groups = [synonyms[i].split(_SYNONYM_SEP) for i in with_synonyms]
    flat = _tokenize_all([s for group in groups for s in group])
    position = 0
    for i, group in zip(with_synonyms, groups, strict=True):
        everything = dict.fromkeys(desc_words[i])
        leads = dict.fromkeys(lead_words[i])
        for synonym in flat[position : position + len(group)]:
            everything.update(dict.fromkeys(synonym))
            leads.update(dict.fromkeys(synonym[:1]))
        position += len(group)
        all_words[i] = tuple(everything)
        lead_words[i] = tuple(leads)

    postings: dict[str, list[int]] = {}
    get = postings.get
    for i, ws in enumerate(all_words):
        for w in set(ws):
            ids = get(w)
            if ids is None:
                postings[w] = [i]
            else:
                ids.append(i)
    vocab = sorted(postings)
    posting_lists = [postings[w] for w in vocab]

    return {
        "codes": codes,
        "descriptions": descriptions,
        "billable": billable,
        "keys": keys,
        "by_key": {key: i for i, key in enumerate(keys)},
        "sorted_keys": [keys[i] for i in sorted_ids],
        "sorted_ids": sorted_ids,
        "desc_words": desc_words,
        "all_words": all_words,
        "lead_words": lead_words,
        "vocab": vocab,
        # Packed as 32-bit integers: a quarter of the memory of lists of int objects.
        "postings": [array(_POSTING_TYPE, ids).tobytes() for ids in posting_lists],
        "cumulative": list(accumulate(map(len, posting_lists), initial=0)),
    }


_STATE_KEYS = frozenset(
    {
        "codes",
        "descriptions",
        "billable",
        "keys",
        "by_key",
        "sorted_keys",
        "sorted_ids",
        "desc_words",
        "all_words",
        "lead_words",
        "vocab",
        "postings",
        "cumulative",
    }
)


def _unpack(data: bytes) -> array[int]:
    ids = array(_POSTING_TYPE)
    ids.frombytes(data)
    return ids


def _write_cache(path: Path, header: str, state: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
    partial.write_bytes(marshal.dumps((header, state)))
    os.replace(partial, path)
    for old in path.parent.glob("icd10cm-index-*.marshal"):  # earlier package versions' files
        if old != path:
            # In use by another running copy, or already gone: harmless either way.
            with contextlib.suppress(OSError):
                old.unlink()


def _read_cache(path: Path, header: str) -> dict[str, Any] | None:
    """The cached state if the file is there, of this package version, and whole."""
    try:
        stored_header, state = marshal.loads(path.read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        return None
    if stored_header != header or not isinstance(state, dict) or set(state) != _STATE_KEYS:
        return None
    if not all(isinstance(data, bytes) for data in state["postings"]):
        return None
    count = len(state["codes"])
    per_code = ("descriptions", "billable", "keys", "desc_words", "all_words", "lead_words")
    if count == 0 or any(len(state[name]) != count for name in per_code):
        return None
    return state


class Icd10Index:
    """The code table with its search structures. Immutable once built, so safe to share
    between threads."""

    def __init__(self, state: dict[str, Any], info: IndexInfo) -> None:
        self._codes: list[str] = state["codes"]
        self._descriptions: list[str] = state["descriptions"]
        self._billable: list[bool] = state["billable"]
        self._keys: list[str] = state["keys"]
        self._by_key: dict[str, int] = state["by_key"]
        self._sorted_keys: list[str] = state["sorted_keys"]
        self._sorted_ids: list[int] = state["sorted_ids"]
        self._desc_words: list[tuple[str, ...]] = state["desc_words"]
        self._all_words: list[tuple[str, ...]] = state["all_words"]
        self._lead_words: list[tuple[str, ...]] = state["lead_words"]
        self._vocab: list[str] = state["vocab"]
        self._postings: list[array[int]] = [_unpack(data) for data in state["postings"]]
        self._cumulative: list[int] = state["cumulative"]
        self.info = info

    @classmethod
    def from_table(cls, table: _Table, info: IndexInfo) -> Icd10Index:
        return cls(_build_state(table), info)

    @classmethod
    def load(cls, cache_dir: Path | None = None) -> Icd10Index:
        """The index of the installed package's code set. Read from the cache file when it is
        there and matches the package; built from the package (and the cache file written)
        otherwise. A cache folder that cannot be written is not an error: the index is then
        built from the package at each start."""
        version, edition, _ = _package_data()
        header = (
            f"icd10cm-index format={CACHE_FORMAT} package={version} edition={edition} {_PYTHON}"
        )
        path = _cache_file(cache_dir, version, edition) if cache_dir is not None else None
        started = time.perf_counter()
        state = _read_cache(path, header) if path is not None else None
        if state is not None:
            seconds = time.perf_counter() - started
            return cls(state, _info(state, edition, version, "cache", seconds, 0.0))
        table = _table_from_package()
        loaded = time.perf_counter()
        state = _build_state(table)
        built = time.perf_counter()
        if path is not None:
            try:
                _write_cache(path, header, state)
            except OSError as exc:
                log.warning("Could not write the ICD-10-CM index cache %s: %s", path, exc)
        info = _info(state, edition, version, "package", loaded - started, built - loaded)
        return cls(state, info)

    # ---- lookups ------------------------------------------------------------------------

    def _record(self, i: int) -> Icd10Code:
        return Icd10Code(self._codes[i], self._descriptions[i], self._billable[i])

    def _find(self, code: str) -> int:
        key = code_key(code)
        if not key:
            raise NotFound("Enter an ICD-10-CM code.")
        i = self._by_key.get(key)
        if i is None:
            raise NotFound(f"{code.strip()} is not an ICD-10-CM code ({self.info.edition}).")
        return i

    def get(self, code: str) -> Icd10Code:
        return self._record(self._find(code))

    def exists(self, code: str) -> bool:
        return code_key(code) in self._by_key

    def billable_descendants(self, code: str, limit: int = 3) -> list[Icd10Code]:
        """The most general billable codes under `code`, for "choose a more specific code"."""
        key = self._keys[self._find(code)]
        ids = [i for i in self._code_range(key) if self._billable[i] and self._keys[i] != key]
        ids.sort(key=lambda i: (len(self._keys[i]), self._keys[i]))
        return [self._record(i) for i in ids[:limit]]

    def require_billable(self, code: str) -> Icd10Code:
        record = self.get(code)
        if record.billable:
            return record
        kind = "category" if len(code_key(record.code)) == 3 else "subcategory"
        examples = ", ".join(c.code for c in self.billable_descendants(record.code))
        raise ValidationError(
            f"{record.code} is a {kind}, not a billable code: choose a more specific code "
            f"such as {examples} (search for {record.code} to see them all)."
        )

    # ---- search -------------------------------------------------------------------------

    def _code_range(self, prefix: str) -> list[int]:
        lo = bisect_left(self._sorted_keys, prefix)
        hi = bisect_left(self._sorted_keys, prefix + "\uffff", lo)
        return self._sorted_ids[lo:hi]

    def _word_bounds(self, prefix: str) -> tuple[int, int]:
        lo = bisect_left(self._vocab, prefix)
        return lo, bisect_left(self._vocab, prefix + "\uffff", lo)

    def _estimate(self, term: _Term) -> int:
        size = min(
            self._cumulative[hi] - self._cumulative[lo]
            for lo, hi in (self._word_bounds(w) for w in term.words)
        )
        if term.code_prefix:
            size += len(self._code_range(term.code_prefix))
        return size

    def _ids_for(self, term: _Term) -> set[int]:
        found: set[int] | None = None
        for w in term.words:
            lo, hi = self._word_bounds(w)
            ids: set[int] = set()
            for posting in self._postings[lo:hi]:
                ids.update(posting)
            found = ids if found is None else found & ids
        found = found or set()
        if term.code_prefix:
            found.update(self._code_range(term.code_prefix))
        return found

    def _prepare(self, terms: list[_Term]) -> list[_Prepared]:
        """Each term with, for each of its words, the set of vocabulary words it prefixes:
        matching a code's words is then one C-level set operation."""
        prepared = []
        for term in terms:
            sets = []
            for w in term.words:
                lo, hi = self._word_bounds(w)
                sets.append(frozenset(self._vocab[lo:hi]))
            prepared.append(_Prepared(term, tuple(sets)))
        return prepared

    def _matches(self, i: int, p: _Prepared) -> bool:
        if p.term.code_prefix and self._keys[i].startswith(p.term.code_prefix):
            return True
        text = self._all_words[i]
        return all(not prefixed.isdisjoint(text) for prefixed in p.sets)

    def _candidates(self, prepared: list[_Prepared], billable_only: bool) -> set[int]:
        ordered = sorted(prepared, key=lambda p: self._estimate(p.term))
        candidates = self._ids_for(ordered[0].term)
        for p in ordered[1:]:
            if not candidates:
                break
            if self._estimate(p.term) > 8 * len(candidates):
                if p.term.code_prefix is None and len(p.sets) == 1:
                    prefixed, text = p.sets[0], self._all_words  # the common case, inlined
                    candidates = {i for i in candidates if not prefixed.isdisjoint(text[i])}
                else:
                    candidates = {i for i in candidates if self._matches(i, p)}
            else:
                candidates &= self._ids_for(p.term)
        if billable_only:
            candidates = {i for i in candidates if self._billable[i]}
        return candidates

    def _sort_key(
        self, i: int, prepared: list[_Prepared], leading_words: frozenset[str], exact: int | None
    ) -> tuple:
        key = self._keys[i]
        desc = self._desc_words[i]
        code_hits = 0
        in_description = True
        whole = 0
        for p in prepared:
            if p.term.code_prefix and key.startswith(p.term.code_prefix):
                code_hits += 1
                continue
            for w, prefixed in zip(p.term.words, p.sets, strict=True):
                if w in desc:
                    whole += 1
                elif prefixed.isdisjoint(desc):
                    in_description = False
        return (
            i != exact,
            -code_hits,
            not in_description,
            -whole,
            len(key),
            leading_words.isdisjoint(self._lead_words[i]),
            i,  # numbered by generality
        )

    def search(
        self, query: str, *, limit: int = 50, billable_only: bool = False
    ) -> list[Icd10Code]:
        """Codes matching the query, best first (see the module's docstring)."""
        terms = parse_query(query)
        if not terms or limit <= 0:
            return []
        exact = self._by_key.get(code_key(query))
        if exact is not None and billable_only and not self._billable[exact]:
            exact = None
        prepared = self._prepare(terms)
        candidates = self._candidates(prepared, billable_only)
        if exact is not None:
            candidates.add(exact)
        if len(candidates) > _RANKING_POOL:
            # Rank only the most general matches (the smallest numbers), keeping the codes
            # under a typed code prefix, which rank first.
            pool = set(sorted(candidates)[:_RANKING_POOL])
            for p in prepared:
                if p.term.code_prefix:
                    under = candidates.intersection(self._code_range(p.term.code_prefix))
                    pool.update(heapq.nsmallest(limit, under))
            if exact is not None:
                pool.add(exact)
            candidates = pool
        leading = frozenset().union(*(p_set for p in prepared for p_set in p.sets))
        ranked = sorted(candidates, key=lambda i: self._sort_key(i, prepared, leading, exact))
        return [self._record(i) for i in ranked[:limit]]

    def all_codes(self) -> Iterable[Icd10Code]:
        return (self._record(i) for i in range(len(self._codes)))


def parse_query(query: str) -> list[_Term]:
    """Split a query into terms: a piece shaped like a code ("E11.9", "b12") may match as a
    code prefix or as words; any other piece gives one term per word."""
    terms: list[_Term] = []
    for piece in query.split():
        piece_words = tuple(words(piece))
        if _CODE_LIKE.fullmatch(piece):
            terms.append(_Term(piece_words, code_key(piece)))
        else:
            terms.extend(_Term((w,), None) for w in piece_words)
    return terms


# ---- the shared index and the module-level API -------------------------------------------

_default: Icd10Index | None = None
_default_lock = threading.Lock()


def default_index() -> Icd10Index:
    global _default
    if _default is None:
        with _default_lock:
            if _default is None:
                _default = Icd10Index.load(default_cache_dir())
    return _default


def warm_up() -> IndexInfo:
    """Build the shared index now (call it from a worker thread at start-up)."""
    return default_index().info


def search_icd10(query: str, *, limit: int = 50, billable_only: bool = False) -> list[Icd10Code]:
    return default_index().search(query, limit=limit, billable_only=billable_only)


def get_icd10(code: str) -> Icd10Code:
    """The code with its description; NotFound for a code that is not in ICD-10-CM."""
    return default_index().get(code)


def require_billable(code: str) -> Icd10Code:
    """The code if it is billable (a leaf); ValidationError naming more specific codes if not."""
    return default_index().require_billable(code)


def edition() -> str:
    """The ICD-10-CM release shipped by the installed package, e.g. "April 1, 2026"."""
    return _package_data()[1]


__all__ = [
    "SYSTEM",
    "Icd10Code",
    "Icd10Index",
    "IndexInfo",
    "code_key",
    "default_index",
    "edition",
    "get_icd10",
    "parse_query",
    "require_billable",
    "search_icd10",
    "warm_up",
]
