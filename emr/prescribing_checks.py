"""The safety checks made before a prescription is signed, as plain functions (no database):
allergy to the drug or to its class (with cross-sensitivity between classes, e.g. penicillins
and cephalosporins), interaction with the medications the patient takes and the other drafts,
and duplicate therapy (the same drug, or another drug of the same class).

Each finding is an `Alert` with a severity; a major or contraindicated one is signed only with
a reason (`needs_reason`). An alert's `key` names it the same way every time the checks run,
so that a reason given for it is matched to it when the prescription is signed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from emr.codes import fold
from emr.codes.drugs import CLASS_LABELS, THERAPEUTIC_CLASSES, classes_of, find_drug
from emr.codes.interactions import cross_sensitivity_details, interactions_between

SEVERITIES = ("contraindicated", "major", "moderate")
NEEDS_REASON = frozenset({"contraindicated", "major"})
SEVERITY_LABELS = {
    "contraindicated": "Contraindicated",
    "major": "Major",
    "moderate": "Moderate",
}
KINDS = {
    "allergy": "Allergy",
    "cross_sensitivity": "Cross-sensitivity",
    "interaction": "Interaction",
    "duplicate": "Duplicate therapy",
}
# A cross-sensitivity the data says to avoid is a major alert; one to prescribe with caution
# a moderate one.
CROSS_SENSITIVITY_SEVERITY = {"avoid": "major", "caution": "moderate"}


@dataclass(frozen=True)
class Alert:
    key: str  # stable: "interaction:ibuprofen|warfarin:warfarin + NSAIDs"
    severity: str  # contraindicated, major, moderate
    kind: str  # allergy, cross_sensitivity, interaction, duplicate
    text: str
    advice: str = ""
    source: str = ""

    @property
    def needs_reason(self) -> bool:
        return self.severity in NEEDS_REASON

    @property
    def label(self) -> str:
        return f"{SEVERITY_LABELS.get(self.severity, self.severity)} — {KINDS[self.kind]}"


@dataclass(frozen=True)
class DrugInHand:
    """A drug being prescribed, taken, or drafted, as the checks see it."""

    written: str  # as the chart writes it: "warfarin", "Coumadin 5 mg tablet"
    label: str  # how an alert names it: "warfarin (current medication)"
    generic: str = ""  # the formulary's generic name, folded; "" when not known
    ingredients: frozenset[str] = frozenset()  # folded
    classes: frozenset[str] = frozenset()  # class keys (emr.codes.drugs.CLASS_LABELS)
    identity: str = ""  # what it is in the chart: "medication:12", "prescription:3"

    @property
    def name(self) -> str:  # what emr.codes.interactions reads
        return self.written

    @property
    def key(self) -> str:
        return self.generic or fold(" ".join(self.written.split()))


@dataclass(frozen=True)
class AllergyInHand:
    substance: str
    category: str  # drug drug_class food environmental
    reaction: str = ""
    severity: str = ""


def drug_in_hand(
    text: str, label: str, *, identity: str = "", extra_classes: Iterable[str] = ()
) -> DrugInHand:
    """A drug as the checks compare drugs: what the formulary knows of the name written
    (generic, brand or product name), plus any classes the prescription itself carries."""
    drug = find_drug(text)
    classes = {c.strip() for c in extra_classes if c.strip()}
    if drug is None:
        return DrugInHand(text, label, classes=frozenset(classes), identity=identity)
    return DrugInHand(
        written=text,
        label=label,
        generic=fold(drug.generic_name),
        ingredients=frozenset(fold(i) for i in drug.ingredients),
        classes=frozenset(classes | set(drug.classes)),
        identity=identity,
    )


def class_label(key: str) -> str:
    return CLASS_LABELS.get(key, key.replace("_", " "))


# --- the checks --------------------------------------------------------------------------------


def allergy_alerts(drug: DrugInHand, allergies: Sequence[AllergyInHand]) -> list[Alert]:
    """The patient is allergic to the drug itself or one of its ingredients (contraindicated),
    to a class it belongs to (major), or to a class that cross-reacts with one of its classes
    (major when the data says avoid, moderate when it says caution)."""
    alerts: list[Alert] = []
    seen: set[str] = set()

    def add(alert: Alert) -> None:
        if alert.key not in seen:
            seen.add(alert.key)
            alerts.append(alert)

    for allergy in allergies:
        if allergy.category not in ("drug", "drug_class"):
            continue
        reaction = f" ({allergy.reaction})" if allergy.reaction else ""
        allergic = find_drug(allergy.substance) if allergy.category == "drug" else None
        subject = fold(allergic.generic_name) if allergic else fold(allergy.substance.strip())
        said = f"The patient is allergic to {allergy.substance.strip()}{reaction}"
        if allergic is not None and drug.ingredients & {fold(i) for i in allergic.ingredients}:
            add(
                Alert(
                    key=f"allergy:{subject}",
                    severity="contraindicated",
                    kind="allergy",
                    text=f"{said}: {drug.label} is or contains that drug.",
                    advice="Choose another drug.",
                )
            )
            continue
        allergy_classes = set(classes_of(allergy.substance))
        shared = sorted(allergy_classes & drug.classes)
        if shared:
            add(
                Alert(
                    key=f"allergy:{subject}",
                    severity="major",
                    kind="allergy",
                    text=f"{said}; {drug.label} is of the same class "
                    f"({', '.join(class_label(c) for c in shared)}).",
                    advice="Avoid the class unless the allergy was ruled out.",
                )
            )
            continue
        for rule in cross_sensitivity_details(allergy_classes):
            if rule.related_class not in drug.classes:
                continue
            add(
                Alert(
                    key=f"cross_sensitivity:{subject}:{rule.related_class}",
                    severity=CROSS_SENSITIVITY_SEVERITY.get(rule.severity, "moderate"),
                    kind="cross_sensitivity",
                    text=f"{said}; {drug.label} is one of the "
                    f"{class_label(rule.related_class)}, which may cross-react: "
                    f"{rule.note}.",
                    advice=f"{rule.severity.capitalize()}.",
                    source=rule.source,
                )
            )
    return alerts


def interaction_alerts(drug: DrugInHand, others: Sequence[DrugInHand]) -> list[Alert]:
    """Known interactions between the drug and each of the others (current medications and
    the other drafts)."""
    alerts: list[Alert] = []
    seen: set[str] = set()
    for other in others:
        for found in interactions_between(drug, other):
            pair = "|".join(sorted((drug.key, other.key)))
            key = f"interaction:{pair}:{fold(found.rule)}"
            if key in seen:
                continue
            seen.add(key)
            alerts.append(
                Alert(
                    key=key,
                    severity=found.severity,
                    kind="interaction",
                    text=f"{drug.label} with {other.label}: {found.mechanism}",
                    advice=found.advice,
                    source=found.source,
                )
            )
    return alerts


def duplicate_alerts(drug: DrugInHand, others: Sequence[DrugInHand]) -> list[Alert]:
    """The same drug (or an ingredient of it) again: major, a double dose; another drug of
    the same therapeutic class: moderate."""
    alerts: list[Alert] = []
    for other in others:
        where = other.identity or other.key
        same = (drug.ingredients & other.ingredients) or (drug.key == other.key)
        if same:
            alerts.append(
                Alert(
                    key=f"duplicate:{drug.key}:{where}",
                    severity="major",
                    kind="duplicate",
                    text=f"{drug.label} is the same drug as {other.label}.",
                    advice="Stop the other first, or do not prescribe it twice.",
                )
            )
            continue
        shared = sorted(drug.classes & other.classes & THERAPEUTIC_CLASSES)
        if shared:
            alerts.append(
                Alert(
                    key=f"duplicate:{shared[0]}:{where}",
                    severity="moderate",
                    kind="duplicate",
                    text=f"{drug.label} and {other.label} are both "
                    f"{', '.join(class_label(c) for c in shared)}.",
                    advice="Check that both are meant.",
                )
            )
    return alerts


def check_prescribing(
    drug: DrugInHand,
    allergies: Sequence[AllergyInHand],
    medications: Sequence[DrugInHand],
    drafts: Sequence[DrugInHand],
) -> list[Alert]:
    """Every alert for prescribing `drug`, the most severe first."""
    others = [*medications, *drafts]
    alerts = [
        *allergy_alerts(drug, allergies),
        *interaction_alerts(drug, others),
        *duplicate_alerts(drug, others),
    ]
    order = {s: i for i, s in enumerate(SEVERITIES)}
    return sorted(alerts, key=lambda a: (order.get(a.severity, len(order)), a.kind, a.key))
