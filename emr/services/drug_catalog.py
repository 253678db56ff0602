"""The drugs a prescriber can choose: the starter formulary (emr.codes.drugs) merged with the
practice's drug products (DrugProduct rows: an RxNorm import or entries of the practice).

API:
- `DrugChoice`: one search result, a DrugLike for emr.codes.interactions (`.name` is the
  generic name, `.classes` the class keys). `source` is "formulary", "rxnorm" or "practice";
  `key` is the formulary key ("atorvastatin") or "product:<id>" for a DrugProduct row (then
  `product_id` is set); `strengths`/`dose_forms` list the choices (one each for a product).
- `search_drugs(actor, query, limit=30)`: generic or brand name prefixes, folded; formulary
  drugs first, then products. Needs chart read, prescribe or settings permission (not
  audited: the catalog holds no patient data).
- `import_rxnorm(actor, path, *, progress=None) -> ImportReport`: loads the prescribable
  subset of an RxNorm RXNCONSO.RRF (SAB=RXNORM, TTY SCD/SBD/GPCK/BPCK, SUPPRESS=N and, where
  CVF is given, the prescribable bit 4096), upserting DrugProduct rows by RXCUI in one
  transaction; a product the file marks suppressed becomes inactive. A malformed line refuses
  the whole file (ValidationError naming the line) and changes nothing. Needs settings
  permission (the operator has it); audited. `progress(stage, done, total)` is called now and
  then ("reading" with bytes, "saving" with products).
- `parse_product_name(text) -> ParsedProduct`: ingredients, strength, dose form, route and
  brand from an RxNorm name ("lisinopril 10 MG Oral Tablet").
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import and_, func, or_, select

from emr.codes import words
from emr.codes.drugs import SCHEDULES, Drug, _by_name, search_formulary
from emr.errors import PermissionDenied, ValidationError
from emr.models.prescribing import DrugProduct
from emr.security import audit
from emr.security.permissions import Permission
from emr.services.context import Actor

Progress = Callable[[str, int, int], None]

KEPT_TERM_TYPES = ("SCD", "SBD", "GPCK", "BPCK")
RRF_COLUMNS = [
    "RXCUI",
    "LAT",
    "TS",
    "LUI",
    "STT",
    "SUI",
    "ISPREF",
    "RXAUI",
    "SAUI",
    "SCUI",
    "SDUI",
    "SAB",
    "TTY",
    "CODE",
    "STR",
    "SRL",
    "SUPPRESS",
    "CVF",
]
_COL = {name: i for i, name in enumerate(RRF_COLUMNS)}
PRESCRIBABLE_CVF = 4096
ENTITY = "drug_products"


@dataclass(frozen=True)
class DrugChoice:
    key: str
    label: str  # what the list shows
    generic_name: str
    brand_name: str  # the matched or first brand, "" for none
    brand_names: tuple[str, ...]
    strengths: tuple[str, ...]
    dose_forms: tuple[str, ...]
    route: str
    classes: tuple[str, ...]
    schedule: str
    rxnorm: str
    source: str  # formulary, rxnorm, practice
    product_id: int | None = None
    term_type: str = ""  # RxNorm TTY of a product

    @property
    def name(self) -> str:
        return self.generic_name


@dataclass(frozen=True)
class ImportReport:
    file: str
    lines: int
    products_in_file: int  # prescribable SCD/SBD/GPCK/BPCK rows
    added: int
    updated: int
    unchanged: int
    inactivated: int


@dataclass(frozen=True)
class ParsedProduct:
    generic_name: str
    ingredients: tuple[str, ...]
    brand_name: str
    strength: str
    dose_form: str
    route: str
    classes: tuple[str, ...] = field(default=())
    schedule: str = ""


def _may_search(actor: Actor) -> None:
    wanted = (Permission.CHART_READ, Permission.PRESCRIBE, Permission.SETTINGS_MANAGE)
    if not any(actor.can(p) for p in wanted):
        raise PermissionDenied(
            f"{actor.full_name or actor.username} ({actor.role.replace('_', ' ')}) "
            "may not search the drug catalog."
        )


def _formulary_choice(drug: Drug, query_words: list[str]) -> DrugChoice:
    brand = next(
        (
            b
            for b in drug.brand_names
            if all(any(w.startswith(t) for w in words(b)) for t in query_words)
        ),
        drug.brand_names[0] if drug.brand_names else "",
    )
    return DrugChoice(
        key=drug.key,
        label=drug.display,
        generic_name=drug.generic_name,
        brand_name=brand,
        brand_names=drug.brand_names,
        strengths=drug.strengths,
        dose_forms=drug.dose_forms,
        route=drug.route,
        classes=drug.classes,
        schedule=drug.schedule,
        rxnorm=drug.rxnorm,
        source="formulary",
    )


def product_choice(p: DrugProduct) -> DrugChoice:
    return DrugChoice(
        key=f"product:{p.id}",
        label=p.name,
        generic_name=p.generic_name or p.name,
        brand_name=p.brand_name,
        brand_names=(p.brand_name,) if p.brand_name else (),
        strengths=(p.strength,) if p.strength else (),
        dose_forms=(p.dose_form,) if p.dose_form else (),
        route=p.route,
        classes=tuple(c for c in p.drug_classes.split(",") if c),
        schedule=p.schedule,
        rxnorm=p.rxcui,
        source=p.source,
        product_id=p.id,
        term_type=p.term_type,
    )


def search_drugs(actor: Actor, query: str, limit: int = 30) -> list[DrugChoice]:
    """Formulary drugs, then the practice's products, whose generic or brand name (or a word of
    it) starts with the query ("amox", "Augm", "lipitor", "lisin 10")."""
    _may_search(actor)
    terms = words(query)
    if not terms or limit <= 0:
        return []
    choices = [_formulary_choice(d, terms) for d in search_formulary(query, limit)]
    room = limit - len(choices)
    if room <= 0:
        return choices
    conditions = [
        or_(DrugProduct.search_text.like(f"{t}%"), DrugProduct.search_text.like(f"% {t}%"))
        for t in terms
    ]
    with actor.read() as s:
        rows = s.scalars(
            select(DrugProduct)
            .where(DrugProduct.active.is_(True), and_(*conditions))
            .order_by(func.length(DrugProduct.name), DrugProduct.name)
            .limit(room)
        ).all()
        choices.extend(product_choice(p) for p in rows)
    return choices


# --- RxNorm names --------------------------------------------------------------------------

_BRAND = re.compile(r"\s*\[([^\]]+)\]\s*$")
_QUANTITY_FACTOR = re.compile(r"^\d+(?:\.\d+)?\s+(?:HR|ML|ACTUAT|DAY|MG|MCG|G|UNT|CM2|L)\s+")
_COMPONENT = re.compile(r"^(?P<ing>.+?)\s+(?P<num>\d[\d.,]*)\s+(?P<unit>\S+)(?:\s+(?P<rest>.+))?$")
_PACK_PART = re.compile(r"\(([^()]+)\)")
_ROUTES = (  # dose-form words -> route, first match wins
    ("Sublingual", "sublingual"),
    ("Buccal", "buccal"),
    ("Oral", "oral"),
    ("Chewable", "oral"),
    ("Ophthalmic", "ophthalmic"),
    ("Otic", "otic"),
    ("Nasal", "nasal"),
    ("Inhal", "inhalation"),
    ("Transdermal", "transdermal"),
    ("Topical", "topical"),
    ("Rectal", "rectal"),
    ("Vaginal", "vaginal"),
    ("Pen Injector", "subcutaneous"),
    ("Auto-Injector", "injection"),
    ("Prefilled Syringe", "injection"),
    ("Inject", "injection"),
    ("Cream", "topical"),
    ("Ointment", "topical"),
    ("Gel", "topical"),
    ("Lotion", "topical"),
    ("Shampoo", "topical"),
    ("Tablet", "oral"),
    ("Capsule", "oral"),
)
_SALTS = frozenset(
    [
        "hydrochloride",
        "hcl",
        "sodium",
        "potassium",
        "calcium",
        "magnesium",
        "bitartrate",
        "sulfate",
        "succinate",
        "tartrate",
        "maleate",
        "besylate",
        "mesylate",
        "citrate",
        "fumarate",
        "acetate",
        "phosphate",
        "bromide",
        "hyclate",
        "monohydrate",
        "dihydrate",
        "trihydrate",
        "anhydrous",
        "dipropionate",
        "propionate",
        "furoate",
        "valerate",
        "hydrobromide",
        "disodium",
        "dimesylate",
        "hemifumarate",
        "monosodium",
        "medoxomil",
        "axetil",
        "pivoxil",
        "ethyl",
        "trihydrochloride",
        "hemihydrate",
        "estolate",
        "stearate",
        "lactobionate",
    ]
)


def route_of(dose_form: str) -> str:
    return next((route for word, route in _ROUTES if word in dose_form), "")


def _ingredient_drug(ingredient: str) -> Drug | None:
    index = _by_name()
    terms = words(ingredient)
    drug = index.get(" ".join(terms))
    if drug is None:
        base = [t for t in terms if t not in _SALTS]
        drug = index.get(" ".join(base)) if base else None
    if drug is None and terms:
        drug = index.get(terms[0])
    return drug


def _base_name(ingredient: str) -> str:
    terms = words(ingredient)
    return " ".join(t for t in terms if t not in _SALTS) or " ".join(terms)


def _formulary_facts(ingredients: tuple[str, ...]) -> tuple[tuple[str, ...], str]:
    """Classes and DEA schedule of these ingredients, from the formulary where it knows them."""
    combined = _by_name().get(" ".join(_base_name(i) for i in ingredients))
    drugs = [combined] if combined else [_ingredient_drug(i) for i in ingredients]
    classes: dict[str, None] = {}
    schedule = ""
    for drug in drugs:
        if drug is None:
            continue
        classes.update(dict.fromkeys(drug.classes))
        if drug.schedule and (
            not schedule or SCHEDULES.index(drug.schedule) < SCHEDULES.index(schedule)
        ):
            schedule = drug.schedule
    return tuple(classes), schedule


def parse_product_name(text: str) -> ParsedProduct:
    """ "lisinopril 10 MG Oral Tablet" -> ingredients ("lisinopril",), strength "10 MG", dose
    form "Oral Tablet", route "oral"; "[Zestril]" at the end is the brand. Packs ("{21 (...) }
    Pack") give their ingredients and the form "Pack"."""
    name = text.strip()
    brand = ""
    routes: list[str] = []
    m = _BRAND.search(name)
    if m:
        brand = m.group(1).strip()
        name = name[: m.start()].strip()
    if name.startswith("{"):
        ingredients: dict[str, None] = {}
        for part in _PACK_PART.findall(name):
            inner = parse_product_name(part)
            routes.append(inner.route)
            ingredients.update(dict.fromkeys(i for i in inner.ingredients if "inert" not in i))
        found = tuple(ingredients)
        strength, dose_form = "", "Pack"
    else:
        name = _QUANTITY_FACTOR.sub("", name)
        parts = [c.strip() for c in name.split(" / ")]
        matches = [_COMPONENT.match(c) for c in parts]
        if all(matches) and all(m and not m.group("rest") for m in matches[:-1]):
            found = tuple(m.group("ing").strip() for m in matches if m)
            strength = " / ".join(f"{m.group('num')} {m.group('unit')}" for m in matches if m)
            last = matches[-1]
            dose_form = (last.group("rest") or "").strip() if last else ""
        else:
            found, strength, dose_form = (name,), "", ""
    classes, schedule = _formulary_facts(found)
    return ParsedProduct(
        generic_name=" / ".join(found),
        ingredients=found,
        brand_name=brand,
        strength=strength,
        dose_form=dose_form,
        route=routes[0] if dose_form == "Pack" and routes else route_of(dose_form),
        classes=classes,
        schedule=schedule,
    )


# --- RxNorm import ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _RrfProduct:
    rxcui: str
    term_type: str
    name: str
    prescribable: bool


def _read_rrf(path: Path, progress: Progress | None) -> tuple[int, dict[str, _RrfProduct]]:
    products: dict[str, _RrfProduct] = {}
    total = path.stat().st_size
    done = 0
    line_no = 0
    label = path.name
    with path.open("rb") as f:
        for line_no, raw in enumerate(f, start=1):
            done += len(raw)
            try:
                line = raw.decode("utf-8").rstrip("\r\n")
            except UnicodeDecodeError:
                raise ValidationError(f"{label} line {line_no}: not UTF-8 text.") from None
            if not line.strip():
                raise ValidationError(f"{label} line {line_no}: an empty line.")
            fields = line.split("|")
            if len(fields) == len(RRF_COLUMNS) + 1 and fields[-1] == "":
                fields.pop()
            if len(fields) != len(RRF_COLUMNS):
                raise ValidationError(
                    f"{label} line {line_no}: expected the {len(RRF_COLUMNS)} RXNCONSO columns "
                    f"separated by '|', found {len(fields)}."
                )
            rxcui = fields[_COL["RXCUI"]]
            if not rxcui.isdigit() or len(rxcui) > 12:
                raise ValidationError(f"{label} line {line_no}: '{rxcui[:20]}' is not an RXCUI.")
            if fields[_COL["SAB"]] != "RXNORM" or fields[_COL["TTY"]] not in KEPT_TERM_TYPES:
                continue
            cvf = fields[_COL["CVF"]]
            if cvf and not cvf.isdigit():
                raise ValidationError(f"{label} line {line_no}: CVF '{cvf[:20]}' is not a number.")
            text = fields[_COL["STR"]].strip()
            if not text:
                raise ValidationError(f"{label} line {line_no}: the product has no name (STR).")
            prescribable = fields[_COL["SUPPRESS"]] == "N" and (
                not cvf or bool(int(cvf) & PRESCRIBABLE_CVF)
            )
            products[rxcui] = _RrfProduct(rxcui, fields[_COL["TTY"]], text, prescribable)
            if progress is not None and line_no % 20000 == 0:
                progress("reading", done, total)
    if line_no == 0:
        raise ValidationError(f"{label} is empty.")
    if not products:
        raise ValidationError(
            f"{label} holds no RxNorm products (SAB RXNORM, TTY {', '.join(KEPT_TERM_TYPES)}): "
            "is it RXNCONSO.RRF?"
        )
    if progress is not None:
        progress("reading", total, total)
    return line_no, products


def _search_text(*parts: str) -> str:
    return " ".join(dict.fromkeys(words(" ".join(parts))))[:600]


def _apply(row: DrugProduct, item: _RrfProduct, parsed: ParsedProduct) -> bool:
    values = {
        "name": item.name[:300],
        "term_type": item.term_type,
        "generic_name": parsed.generic_name[:200],
        "brand_name": parsed.brand_name[:200],
        "strength": parsed.strength[:100],
        "dose_form": parsed.dose_form[:100],
        "route": parsed.route,
        "drug_classes": ",".join(parsed.classes)[:300],
        "schedule": parsed.schedule,
        "search_text": _search_text(item.name, parsed.generic_name, parsed.brand_name),
        "active": True,
    }
    changed = False
    for column, value in values.items():
        if getattr(row, column) != value:
            setattr(row, column, value)
            changed = True
    return changed


def import_rxnorm(
    actor: Actor, path: Path | str, *, progress: Progress | None = None
) -> ImportReport:
    """Load the prescribable products of an RXNCONSO.RRF file (see the module docstring)."""
    actor.require(Permission.SETTINGS_MANAGE)
    path = Path(path)
    if not path.is_file():
        raise ValidationError(f"There is no file {path}.")
    lines, products = _read_rrf(path, progress)
    added = updated = unchanged = inactivated = 0
    with actor.write() as s:
        existing = {
            p.rxcui: p for p in s.scalars(select(DrugProduct).where(DrugProduct.source == "rxnorm"))
        }
        wanted = [p for p in products.values() if p.prescribable]
        for done, item in enumerate(wanted, start=1):
            row = existing.get(item.rxcui)
            parsed = parse_product_name(item.name)
            if row is None:
                row = DrugProduct(rxcui=item.rxcui, source="rxnorm", name=item.name[:300])
                _apply(row, item, parsed)
                s.add(row)
                existing[item.rxcui] = row
                added += 1
            elif _apply(row, item, parsed):
                updated += 1
            else:
                unchanged += 1
            if progress is not None and done % 5000 == 0:
                progress("saving", done, len(wanted))
        for item in products.values():
            row = existing.get(item.rxcui)
            if not item.prescribable and row is not None and row.active:
                row.active = False
                inactivated += 1
        report = ImportReport(
            file=path.name,
            lines=lines,
            products_in_file=len(wanted),
            added=added,
            updated=updated,
            unchanged=unchanged,
            inactivated=inactivated,
        )
        audit.record(
            s,
            user_id=actor.user_id,
            username=actor.username,
            action="import",
            entity=ENTITY,
            detail=(
                f"RxNorm {path.name}: {len(wanted)} prescribable products, {added} added, "
                f"{updated} updated, {inactivated} made inactive"
            ),
        )
    if progress is not None:
        progress("saving", len(wanted), len(wanted))
    return report
