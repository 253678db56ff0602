"""The starter formulary: the drugs a small practice prescribes most, with their classes for
allergy and duplicate-therapy checks (resources/drugs/formulary.csv and drug_classes.csv; every
field's source is named in resources/drugs/README.md). Pure module: no database, no Qt.

API (used by prescribing, the allergy check and the drug catalog):
- `Drug`: one formulary drug. `key` is its stable id ("amoxicillin_clavulanate": the generic
  name's folded words joined by "_"); `generic_name` ("amoxicillin / clavulanate": ingredients
  joined by " / "), `brand_names`, `strengths` ("500 mg", "250 mg/5 mL"), `dose_forms`,
  `route` ("oral", "topical", "subcutaneous", "inhalation", "ophthalmic" …), `classes` (class
  keys, see `CLASS_LABELS`, with the broader classes they imply: sertraline is "ssris" and
  "serotonergic"), `schedule` (DEA: "" or "II".."V"), `rxnorm` (the ingredient RXCUI,
  or "" where it was not known for certain). `Drug.name` is the generic name, so a Drug is a
  DrugLike for emr.codes.interactions.
- `all_drugs()`, `get_drug(key)` (NotFound), `find_drug(name)` (generic or brand name, or a
  product name starting with one, e.g. "lisinopril 10 MG Oral Tablet"; None if unknown).
- `search_formulary(query, limit=30)`: drugs whose generic or brand name starts with the query,
  or whose name words start with each query word; folded (case and accents). Generic-name
  matches first.
- `CLASS_LABELS` (class key -> label, e.g. "nsaids" -> "NSAIDs"), `ALLERGY_CLASSES` (the classes
  an allergy extends to: penicillins, cephalosporins, sulfonamides …), `THERAPEUTIC_CLASSES`
  (the classes for a duplicate-therapy check: statins, ssris, ace_inhibitors …; property classes
  such as "strong_cyp3a4_inhibitors" or "qt_prolonging" are in neither).
- `classes_of(text)`: the allergy classes named by what was typed in an allergy: a class word
  ("Penicillin", "PCN", "sulfa", "NSAIDs"), a drug or brand name ("Augmentin" ->
  {"penicillins"}). Empty when nothing is known.
- `therapeutic_classes(drug)`: the classes of a Drug that count for duplicate therapy.
- `expand_classes(classes)`: the classes with the broader ones they imply.
"""

from __future__ import annotations

import csv
import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from emr.codes import fold, resources_dir, words
from emr.errors import NotFound

SCHEDULES = ("", "II", "III", "IV", "V")
SYSTEM = "RxNorm"


def drugs_dir() -> Path:
    """The folder of the drug tables (resources/drugs, inside the bundle when frozen)."""
    return resources_dir().parent / "drugs"


def drug_key(generic_name: str) -> str:
    """ "Amoxicillin / Clavulanate" -> "amoxicillin_clavulanate"."""
    return "_".join(words(generic_name))


@dataclass(frozen=True)
class Drug:
    key: str
    generic_name: str
    brand_names: tuple[str, ...]
    strengths: tuple[str, ...]
    dose_forms: tuple[str, ...]
    route: str
    classes: tuple[str, ...]
    schedule: str  # "" or the DEA schedule II, III, IV, V
    rxnorm: str  # ingredient RXCUI, "" where not known for certain

    @property
    def name(self) -> str:
        return self.generic_name

    @property
    def ingredients(self) -> tuple[str, ...]:
        return tuple(part.strip() for part in self.generic_name.split(" / "))

    @property
    def controlled(self) -> bool:
        return bool(self.schedule)

    @property
    def display(self) -> str:
        brands = ", ".join(self.brand_names[:2])
        return f"{self.generic_name} ({brands})" if brands else self.generic_name


@dataclass(frozen=True)
class DrugClass:
    key: str
    label: str
    allergy: bool  # an allergy to one member extends to the class
    therapeutic: bool  # two members at once is duplicate therapy
    implies: tuple[str, ...]  # broader classes every member belongs to ("ssris" -> serotonergic)
    terms: tuple[str, ...]  # other words for the class in an allergy entry ("pcn", "sulfa")


def _split(cell: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in cell.split(";") if part.strip())


@functools.cache
def _classes() -> dict[str, DrugClass]:
    with (drugs_dir() / "drug_classes.csv").open(encoding="utf-8", newline="") as f:
        rows = [
            DrugClass(
                key=row["key"],
                label=row["label"],
                allergy=row["allergy"] == "yes",
                therapeutic=row["therapeutic"] == "yes",
                implies=_split(row["implies"]),
                terms=_split(row["terms"]),
            )
            for row in csv.DictReader(f)
        ]
    return {c.key: c for c in rows}


def expand_classes(classes: Iterable[str]) -> tuple[str, ...]:
    """These classes and the broader ones they imply, in order ("ssris" -> ssris, serotonergic).
    Unknown keys are kept as given."""
    known = _classes()
    out: dict[str, None] = {}
    for key in classes:
        out[key] = None
        cls = known.get(key)
        if cls is not None:
            out.update(dict.fromkeys(cls.implies))
    return tuple(out)


@functools.cache
def _table() -> tuple[Drug, ...]:
    known = _classes()
    drugs = []
    with (drugs_dir() / "formulary.csv").open(encoding="utf-8", newline="") as f:
        for line, row in enumerate(csv.DictReader(f), start=2):
            classes = _split(row["classes"])
            unknown = [c for c in classes if c not in known]
            if unknown or row["schedule"] not in SCHEDULES:
                raise ValueError(f"formulary.csv line {line}: bad class or schedule {row}")
            drugs.append(
                Drug(
                    key=drug_key(row["generic_name"]),
                    generic_name=row["generic_name"],
                    brand_names=_split(row["brand_names"]),
                    strengths=_split(row["strengths"]),
                    dose_forms=_split(row["dose_forms"]),
                    route=row["route"],
                    classes=expand_classes(classes),
                    schedule=row["schedule"],
                    rxnorm=row["rxnorm"],
                )
            )
    return tuple(sorted(drugs, key=lambda d: d.generic_name.casefold()))


@functools.cache
def _by_key() -> dict[str, Drug]:
    return {d.key: d for d in _table()}


@functools.cache
def _by_name() -> dict[str, Drug]:
    """Folded generic and brand names -> drug (generic names win over brand names)."""
    index: dict[str, Drug] = {}
    for drug in _table():
        for brand in drug.brand_names:
            index.setdefault(" ".join(words(brand)), drug)
    for drug in _table():
        index[" ".join(words(drug.generic_name))] = drug
    return index


@functools.cache
def _search_rows() -> tuple[tuple[Drug, str, tuple[str, ...], tuple[tuple[str, ...], ...]], ...]:
    """Per drug: folded generic name, folded brand names, and the words of all its names."""
    rows = []
    for drug in _table():
        names = (drug.generic_name, *drug.brand_names)
        rows.append(
            (
                drug,
                fold(drug.generic_name),
                tuple(fold(b) for b in drug.brand_names),
                tuple(tuple(words(n)) for n in names),
            )
        )
    return tuple(rows)


CLASS_LABELS: dict[str, str] = {k: c.label for k, c in _classes().items()}
ALLERGY_CLASSES: frozenset[str] = frozenset(k for k, c in _classes().items() if c.allergy)
THERAPEUTIC_CLASSES: frozenset[str] = frozenset(k for k, c in _classes().items() if c.therapeutic)


def all_drugs() -> list[Drug]:
    """Every formulary drug, by generic name."""
    return list(_table())


def get_drug(key: str) -> Drug:
    drug = _by_key().get(key)
    if drug is None:
        raise NotFound(f"{key or 'An empty key'} is not a drug of the formulary.")
    return drug


def find_drug(name: str) -> Drug | None:
    """The formulary drug named by a generic or brand name, or by a product name that starts
    with one ("lisinopril 10 MG Oral Tablet", "Lipitor 20 mg"); None if none."""
    terms = words(name)
    index = _by_name()
    for n in range(min(len(terms), 6), 0, -1):  # the longest leading name wins
        drug = index.get(" ".join(terms[:n]))
        if drug is not None:
            return drug
    return None


def search_formulary(query: str, limit: int = 30) -> list[Drug]:
    """Drugs whose generic or brand name starts with the query ("amox", "Augm", "lipitor"), then
    those whose name words start with each word of the query ("clav", "amox clav")."""
    folded = fold(query).strip()
    terms = words(query)
    if not terms or limit <= 0:
        return []
    ranked: list[tuple[int, int, str, Drug]] = []
    for drug, generic, brands, name_words in _search_rows():
        if generic.startswith(folded):
            rank = 0 if generic == folded else 1
        elif any(b.startswith(folded) for b in brands):
            rank = 2
        elif all(any(w.startswith(t) for ws in name_words for w in ws) for t in terms):
            rank = 3
        else:
            continue
        ranked.append((rank, len(generic), generic, drug))
    ranked.sort(key=lambda r: r[:3])
    return [r[3] for r in ranked[:limit]]


@functools.cache
def _allergy_terms() -> dict[str, frozenset[str]]:
    """Folded words that name an allergy class: its key, its label, its terms."""
    index: dict[str, set[str]] = {}
    for key, cls in _classes().items():
        if not cls.allergy:
            continue
        for term in (key.replace("_", " "), cls.label, *cls.terms):
            index.setdefault(" ".join(words(term)), set()).add(key)
    return {term: frozenset(keys) for term, keys in index.items()}


_ALLERGY_NOISE = re.compile(r"\b(allerg(y|ies|ic)|intolerance|drugs?|class|antibiotics?)\b")


def classes_of(name_or_class: str) -> set[str]:
    """The allergy classes an allergy entry names: "Penicillin", "PCN" -> {"penicillins"};
    "sulfa" -> {"sulfonamides"}; "Augmentin" -> {"penicillins"}; unknown text -> set()."""
    text = " ".join(words(name_or_class))
    if not text:
        return set()
    terms = _allergy_terms()
    for candidate in (text, " ".join(words(_ALLERGY_NOISE.sub(" ", text)))):
        if candidate in terms:
            return set(terms[candidate])
        drug = _by_name().get(candidate)
        if drug is not None:
            return set(drug.classes) & ALLERGY_CLASSES
    # A product name ("amoxicillin 500 mg capsule") or a name with more words in it.
    drug = find_drug(text)
    if drug is not None:
        return set(drug.classes) & ALLERGY_CLASSES
    found: set[str] = set()
    for word in words(_ALLERGY_NOISE.sub(" ", text)):
        if word in terms:
            found |= terms[word]
    return found


def therapeutic_classes(drug: Drug) -> set[str]:
    """The classes of this drug that count for duplicate therapy."""
    return set(drug.classes) & THERAPEUTIC_CLASSES
