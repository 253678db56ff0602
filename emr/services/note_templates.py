"""Note templates (a starting text for each SOAP section, per visit type) and quick phrases
(an abbreviation such as ".nad" typed in a note and expanded into its text).

Everyone clinical reads them. Physicians write templates and the practice's shared phrases;
any clinical user keeps personal phrases of their own, which win over a shared one with the
same abbreviation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import or_, select, true
from sqlalchemy.orm import Session

from emr.errors import NotFound, PermissionDenied, ValidationError
from emr.models.chart import NoteTemplate, QuickPhrase
from emr.security import audit
from emr.security.permissions import Permission
from emr.services.clinical import check_version
from emr.services.context import Actor

NAME_MAX = 100
VISIT_TYPE_MAX = 60
ABBREVIATION_MAX = 30
_ABBREVIATION = re.compile(r"^[.,;/\\#@!]?\w[\w.-]*$")


@dataclass(frozen=True)
class NoteTemplateRecord:
    id: int
    version: int
    name: str
    visit_type: str  # "" for any visit
    subjective: str
    objective: str
    assessment: str
    plan: str
    active: bool

    @property
    def sections(self) -> tuple[str, str, str, str]:
        return (self.subjective, self.objective, self.assessment, self.plan)


@dataclass(frozen=True)
class QuickPhraseRecord:
    id: int
    version: int
    abbreviation: str
    text: str
    owner_id: int | None  # None: shared by the practice
    active: bool

    @property
    def personal(self) -> bool:
        return self.owner_id is not None


def _template_record(t: NoteTemplate) -> NoteTemplateRecord:
    return NoteTemplateRecord(
        t.id,
        t.version,
        t.name,
        t.visit_type,
        t.subjective,
        t.objective,
        t.assessment,
        t.plan,
        t.active,
    )


def _phrase_record(p: QuickPhrase) -> QuickPhraseRecord:
    return QuickPhraseRecord(p.id, p.version, p.abbreviation, p.text, p.owner_id, p.active)


def _audit(s: Session, actor: Actor, action: str, entity: str, entity_id: int, detail: str):
    audit.record(
        s,
        user_id=actor.user_id,
        username=actor.username,
        action=action,
        entity=entity,
        entity_id=entity_id,
        detail=detail[:500],
    )


def _require_physician(actor: Actor, what: str) -> None:
    if not actor.can(Permission.NOTE_SIGN):
        raise PermissionDenied(f"Only a physician changes {what}.")


# --- templates ----------------------------------------------------------------------------


def list_note_templates(
    actor: Actor, visit_type: str | None = None, *, include_retired: bool = False
) -> list[NoteTemplateRecord]:
    """The templates by name; for a visit type, those made for it and those for any visit."""
    actor.require(Permission.CHART_READ)
    stmt = select(NoteTemplate).order_by(NoteTemplate.name, NoteTemplate.id)
    if visit_type is not None:
        stmt = stmt.where(or_(NoteTemplate.visit_type == visit_type, NoteTemplate.visit_type == ""))
    if not include_retired:
        stmt = stmt.where(NoteTemplate.active == true())
    with actor.read() as s:
        return [_template_record(t) for t in s.execute(stmt).scalars()]


def get_note_template(actor: Actor, template_id: int) -> NoteTemplateRecord:
    actor.require(Permission.CHART_READ)
    with actor.read() as s:
        template = s.get(NoteTemplate, template_id)
        if template is None:
            raise NotFound(f"There is no note template with id {template_id}.")
        return _template_record(template)


def save_note_template(
    actor: Actor,
    *,
    template_id: int | None = None,
    expected_version: int | None = None,
    name: str,
    visit_type: str = "",
    subjective: str = "",
    objective: str = "",
    assessment: str = "",
    plan: str = "",
) -> NoteTemplateRecord:
    """Create a template (no id) or change one (its id and the version you read)."""
    _require_physician(actor, "note templates")
    name, visit_type = name.strip(), visit_type.strip()
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = "The template needs a name."
    elif len(name) > NAME_MAX:
        errors["name"] = f"The name is longer than {NAME_MAX} characters."
    if len(visit_type) > VISIT_TYPE_MAX:
        errors["visit_type"] = f"The visit type is longer than {VISIT_TYPE_MAX} characters."
    if not any(x.strip() for x in (subjective, objective, assessment, plan)):
        errors["subjective"] = "A template needs text in at least one section."
    if errors:
        raise ValidationError(errors)
    with actor.write() as s:
        if template_id is None:
            template = NoteTemplate()
            s.add(template)
            action = "create"
        else:
            template = s.get(NoteTemplate, template_id)
            if template is None:
                raise NotFound(f"There is no note template with id {template_id}.")
            check_version(template, expected_version or -1, "template")
            action = "update"
        template.name = name
        template.visit_type = visit_type
        template.subjective = subjective
        template.objective = objective
        template.assessment = assessment
        template.plan = plan
        template.active = True
        s.flush()
        _audit(s, actor, action, "note_template", template.id, f"{name} ({visit_type or 'any'})")
        return _template_record(template)


def retire_note_template(
    actor: Actor, template_id: int, expected_version: int
) -> NoteTemplateRecord:
    """No longer offered; notes started from it keep their link."""
    _require_physician(actor, "note templates")
    with actor.write() as s:
        template = s.get(NoteTemplate, template_id)
        if template is None:
            raise NotFound(f"There is no note template with id {template_id}.")
        check_version(template, expected_version, "template")
        template.active = False
        s.flush()
        _audit(s, actor, "update", "note_template", template.id, f"retired {template.name}")
        return _template_record(template)


# --- quick phrases ------------------------------------------------------------------------


def _visible_phrases(actor: Actor):
    """Shared phrases and the actor's own."""
    return select(QuickPhrase).where(
        or_(QuickPhrase.owner_id.is_(None), QuickPhrase.owner_id == actor.user_id)
    )


def list_quick_phrases(actor: Actor, *, include_retired: bool = False) -> list[QuickPhraseRecord]:
    """The practice's shared phrases and the actor's personal ones, by abbreviation."""
    actor.require(Permission.CHART_READ)
    stmt = _visible_phrases(actor).order_by(QuickPhrase.abbreviation, QuickPhrase.id)
    if not include_retired:
        stmt = stmt.where(QuickPhrase.active == true())
    with actor.read() as s:
        return [_phrase_record(p) for p in s.execute(stmt).scalars()]


def phrase_map(actor: Actor) -> dict[str, str]:
    """Abbreviation -> text as this user expands it (a personal phrase wins over a shared one)."""
    phrases = list_quick_phrases(actor)
    mapping = {p.abbreviation: p.text for p in phrases if not p.personal}
    mapping |= {p.abbreviation: p.text for p in phrases if p.personal}
    return mapping


def save_quick_phrase(
    actor: Actor,
    *,
    phrase_id: int | None = None,
    expected_version: int | None = None,
    abbreviation: str,
    text: str,
    personal: bool = True,
) -> QuickPhraseRecord:
    """Create or change a phrase: personal (any clinical user) or shared (physicians)."""
    actor.require(Permission.CHART_WRITE)
    if not personal:
        _require_physician(actor, "the practice's shared quick phrases")
    elif actor.user_id is None:
        raise ValidationError({"": "A personal phrase belongs to a user; log in as one."})
    abbreviation = abbreviation.strip()
    errors: dict[str, str] = {}
    if not abbreviation:
        errors["abbreviation"] = "Give the abbreviation, e.g. .nad"
    elif len(abbreviation) > ABBREVIATION_MAX or not _ABBREVIATION.match(abbreviation):
        errors["abbreviation"] = (
            "An abbreviation is one word of letters and digits, possibly starting with a dot "
            f"(.nad), at most {ABBREVIATION_MAX} characters."
        )
    if not text.strip():
        errors["text"] = "Give the text the abbreviation stands for."
    if errors:
        raise ValidationError(errors)
    owner_id = actor.user_id if personal else None
    with actor.write() as s:
        same = select(QuickPhrase.id).where(
            QuickPhrase.abbreviation == abbreviation,
            QuickPhrase.active == true(),
            QuickPhrase.owner_id.is_(None)
            if owner_id is None
            else QuickPhrase.owner_id == owner_id,
        )
        if phrase_id is not None:
            same = same.where(QuickPhrase.id != phrase_id)
        if s.execute(same.limit(1)).first() is not None:
            raise ValidationError({"abbreviation": f"{abbreviation} is in use already."})
        if phrase_id is None:
            phrase = QuickPhrase()
            s.add(phrase)
            action = "create"
        else:
            phrase = _own_phrase(s, actor, phrase_id)
            check_version(phrase, expected_version or -1, "quick phrase")
            action = "update"
        phrase.abbreviation = abbreviation
        phrase.text = text
        phrase.owner_id = owner_id
        phrase.active = True
        s.flush()
        _audit(s, actor, action, "quick_phrase", phrase.id, abbreviation)
        return _phrase_record(phrase)


def _own_phrase(s: Session, actor: Actor, phrase_id: int) -> QuickPhrase:
    phrase = s.get(QuickPhrase, phrase_id)
    if phrase is None:
        raise NotFound(f"There is no quick phrase with id {phrase_id}.")
    if phrase.owner_id is None:
        _require_physician(actor, "the practice's shared quick phrases")
    elif phrase.owner_id != actor.user_id:
        raise PermissionDenied("This is another user's personal phrase.")
    return phrase


def retire_quick_phrase(actor: Actor, phrase_id: int, expected_version: int) -> QuickPhraseRecord:
    actor.require(Permission.CHART_WRITE)
    with actor.write() as s:
        phrase = _own_phrase(s, actor, phrase_id)
        check_version(phrase, expected_version, "quick phrase")
        phrase.active = False
        s.flush()
        _audit(s, actor, "update", "quick_phrase", phrase.id, f"retired {phrase.abbreviation}")
        return _phrase_record(phrase)


# --- expanding ----------------------------------------------------------------------------


def expand_with(phrases: dict[str, str], text: str) -> str:
    """Replace each abbreviation standing as a word of its own (not inside another word)."""
    if not phrases:
        return text
    alternatives = "|".join(re.escape(a) for a in sorted(phrases, key=len, reverse=True))
    pattern = re.compile(rf"(?<![\w.])(?:{alternatives})(?!\w)")
    return pattern.sub(lambda m: phrases[m.group(0)], text)


def expand_phrases(actor: Actor, text: str) -> str:
    return expand_with(phrase_map(actor), text)
