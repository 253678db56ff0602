"""Drug-drug interaction rules and allergy cross-sensitivities (resources/drugs/interactions.csv
and cross_sensitivities.csv; the source of every rule is in the file, the files' sources in
resources/drugs/README.md). Pure module: no database, no Qt.

A rule joins two sides; a side is a drug's generic name ("warfarin") or a class key of
emr.codes.drugs.CLASS_LABELS ("nsaids"). It matches a pair of drugs in either order.

API:
- `Interaction(severity, first, second, mechanism, advice, source, rule)`: severity is one of
  SEVERITIES ("contraindicated", "major", "moderate"); `first` and `second` are the two drug
  names as given; `rule` names the rule's sides ("warfarin + NSAIDs").
- `interactions_between(a, b)` and `interactions_among(drugs)` take DrugLikes: anything with
  `.name` (a generic or brand name, or a product name such as "lisinopril 10 MG Oral Tablet")
  and `.classes` (class keys: a tuple/set, or a comma-separated string as stored on a
  prescription). A formulary drug named in `.name` adds its own classes, so a medication
  recorded as plain text ("ibuprofen", "Coumadin") is checked by class as well. Results are
  sorted most severe first. The same drug given twice is duplicate therapy, not an
  interaction, and gives nothing here.
- `cross_sensitivities(allergy_classes)`: class -> text for the classes an allergy reaches by
  cross-sensitivity (penicillins -> {"cephalosporins": "low cross-reactivity …: caution"}).
  `cross_sensitivity_details(allergy_classes)` gives the records with severity and source.

Checking 15 medications (105 pairs) takes a fraction of a millisecond: rules are indexed by
side, and each drug's sides are worked out once and cached.
"""

from __future__ import annotations

import csv
import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from emr.codes import words
from emr.codes.drugs import CLASS_LABELS, _by_name, drugs_dir, expand_classes, find_drug

SEVERITIES = ("contraindicated", "major", "moderate")
_RANK = {s: i for i, s in enumerate(SEVERITIES)}


class DrugLike(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def classes(self) -> Iterable[str] | str: ...


@dataclass(frozen=True)
class Interaction:
    severity: str  # contraindicated, major, moderate
    first: str  # the drug names as given
    second: str
    mechanism: str
    advice: str
    source: str
    rule: str = ""  # the rule's sides, e.g. "warfarin + NSAIDs"


@dataclass(frozen=True)
class InteractionRule:
    first: str  # "drug:warfarin" or "class:nsaids"
    second: str
    severity: str
    mechanism: str
    advice: str
    source: str

    @property
    def label(self) -> str:
        if self.first == self.second:
            return f"two {_side_label(self.first)}"
        return f"{_side_label(self.first)} + {_side_label(self.second)}"


@dataclass(frozen=True)
class CrossSensitivity:
    allergy_class: str
    related_class: str
    severity: str  # "caution" or "avoid"
    note: str
    source: str

    @property
    def text(self) -> str:
        return f"{self.note}: {self.severity}"


def _side_label(side: str) -> str:
    kind, _, value = side.partition(":")
    return CLASS_LABELS.get(value, value) if kind == "class" else value


def _side(cell: str, line: int) -> str:
    value = cell.strip()
    if value in CLASS_LABELS:
        return f"class:{value}"
    name = " ".join(words(value))
    if not name:
        raise ValueError(f"interactions.csv line {line}: an empty side")
    return f"drug:{name}"


@functools.cache
def rules() -> tuple[InteractionRule, ...]:
    """Every interaction rule of the data file, in file order."""
    found = []
    with (drugs_dir() / "interactions.csv").open(encoding="utf-8", newline="") as f:
        for line, row in enumerate(csv.DictReader(f), start=2):
            if row["severity"] not in _RANK or not row["source"].strip():
                raise ValueError(f"interactions.csv line {line}: bad severity or no source")
            found.append(
                InteractionRule(
                    first=_side(row["first"], line),
                    second=_side(row["second"], line),
                    severity=row["severity"],
                    mechanism=row["mechanism"].strip(),
                    advice=row["advice"].strip(),
                    source=row["source"].strip(),
                )
            )
    return tuple(found)


@functools.cache
def _index() -> dict[str, tuple[tuple[str, int], ...]]:
    """Side -> (the other side, rule number) for every rule naming that side."""
    index: dict[str, list[tuple[str, int]]] = {}
    for number, rule in enumerate(rules()):
        index.setdefault(rule.first, []).append((rule.second, number))
        if rule.second != rule.first:
            index.setdefault(rule.second, []).append((rule.first, number))
    return {side: tuple(others) for side, others in index.items()}


@functools.cache
def _rule_drug_names() -> frozenset[str]:
    return frozenset(side[5:] for side in _index() if side.startswith("drug:"))


def _class_keys(classes: Iterable[str] | str) -> tuple[str, ...]:
    if isinstance(classes, str):
        classes = classes.replace(";", ",").split(",")
    return tuple(sorted({c.strip() for c in classes if c and c.strip()}))


@functools.lru_cache(maxsize=4096)
def _sides_of(name: str, classes: tuple[str, ...]) -> tuple[frozenset[str], frozenset[str]]:
    """(the drug names found in this name, all the sides it matches)."""
    terms = words(name)
    rule_names = _rule_drug_names()
    names: set[str] = set()
    all_classes = set(classes)
    formulary = _by_name()
    for start in range(len(terms)):
        for n in range(1, min(4, len(terms) - start) + 1):
            gram = " ".join(terms[start : start + n])
            if gram in rule_names:
                names.add(gram)
            drug = formulary.get(gram)
            if drug is not None:
                names.update(" ".join(words(i)) for i in drug.ingredients)
                all_classes.update(drug.classes)
    if not names:  # a name the formulary knows only by a longer product name
        drug = find_drug(name)
        if drug is not None:
            names.update(" ".join(words(i)) for i in drug.ingredients)
            all_classes.update(drug.classes)
    sides = {f"drug:{n}" for n in names} | {f"class:{c}" for c in expand_classes(all_classes)}
    return frozenset(names), frozenset(sides)


def _sides(drug: DrugLike) -> tuple[frozenset[str], frozenset[str]]:
    return _sides_of(drug.name, _class_keys(drug.classes))


def _matching(
    a: tuple[frozenset[str], frozenset[str]], b: tuple[frozenset[str], frozenset[str]]
) -> set[int]:
    """The rules this pair matches; a class rule is left out when a rule naming the drug
    itself covers the same other side (simvastatin + gemfibrozil, not also statins +
    gemfibrozil)."""
    if a[0] and a[0] == b[0]:
        return set()  # the same drug twice
    index = _index()
    found: dict[int, tuple[str, str]] = {}
    b_sides = b[1]
    for side in a[1]:
        for other, number in index.get(side, ()):
            if other in b_sides:
                found.setdefault(number, (side, other))
    if len(found) < 2:
        return set(found)
    kept = set(found)
    pairs = set(found.values())
    for number, (side_a, side_b) in found.items():
        named_a = side_a.startswith("class:") and any(
            pa.startswith("drug:") and pb == side_b for pa, pb in pairs
        )
        named_b = side_b.startswith("class:") and any(
            pb.startswith("drug:") and pa == side_a for pa, pb in pairs
        )
        if named_a or named_b:
            kept.discard(number)
    return kept


def _interactions(numbers: set[int], a: DrugLike, b: DrugLike) -> list[Interaction]:
    table = rules()
    out = []
    for number in numbers:
        rule = table[number]
        out.append(
            Interaction(
                severity=rule.severity,
                first=a.name,
                second=b.name,
                mechanism=rule.mechanism,
                advice=rule.advice,
                source=rule.source,
                rule=rule.label,
            )
        )
    return out


def _sorted(found: list[Interaction]) -> list[Interaction]:
    return sorted(found, key=lambda i: (_RANK[i.severity], i.first, i.second, i.rule))


def interactions_between(a: DrugLike, b: DrugLike) -> list[Interaction]:
    """The rules this pair of drugs matches, in either order, most severe first."""
    return _sorted(_interactions(_matching(_sides(a), _sides(b)), a, b))


def interactions_among(drugs: list[DrugLike]) -> list[Interaction]:
    """The interactions of every pair among these drugs, most severe first."""
    sides = [_sides(d) for d in drugs]
    found: list[Interaction] = []
    for i in range(len(drugs)):
        for j in range(i + 1, len(drugs)):
            numbers = _matching(sides[i], sides[j])
            if numbers:
                found.extend(_interactions(numbers, drugs[i], drugs[j]))
    return _sorted(found)


@functools.cache
def cross_sensitivity_rules() -> tuple[CrossSensitivity, ...]:
    with (drugs_dir() / "cross_sensitivities.csv").open(encoding="utf-8", newline="") as f:
        found = tuple(
            CrossSensitivity(
                allergy_class=row["allergy_class"],
                related_class=row["related_class"],
                severity=row["severity"],
                note=row["note"].strip(),
                source=row["source"].strip(),
            )
            for row in csv.DictReader(f)
        )
    for rule in found:
        if rule.allergy_class not in CLASS_LABELS or rule.related_class not in CLASS_LABELS:
            raise ValueError(f"cross_sensitivities.csv: unknown class in {rule}")
    return found


def cross_sensitivity_details(allergy_classes: Iterable[str]) -> list[CrossSensitivity]:
    """The cross-sensitivity records reached from these allergy classes (not the classes
    themselves: a drug of the allergy's own class is a direct match)."""
    wanted = set(allergy_classes)
    return [
        r
        for r in cross_sensitivity_rules()
        if r.allergy_class in wanted and r.related_class not in wanted
    ]


def cross_sensitivities(allergy_classes: set[str]) -> dict[str, str]:
    """Related class -> severity text, e.g. {"penicillins"} -> {"cephalosporins": "low
    cross-reactivity (…): caution"}; "avoid" before "caution" when two allergies reach one
    class."""
    found: dict[str, CrossSensitivity] = {}
    for rule in cross_sensitivity_details(allergy_classes):
        kept = found.get(rule.related_class)
        if kept is None or (rule.severity == "avoid" and kept.severity != "avoid"):
            found[rule.related_class] = rule
    return {cls: rule.text for cls, rule in found.items()}
