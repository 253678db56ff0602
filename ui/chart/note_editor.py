"""One encounter's SOAP note: write the draft (saved by Ctrl+S and autosaved every few
seconds), expand quick phrases as they are typed, start from a template, sign it, and add
addenda to a signed note; with the list of what was recorded in the visit."""

from __future__ import annotations

import importlib
import logging
from datetime import datetime
from html import escape

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut, QTextCursor
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from emr.errors import ConflictError, UserError
from emr.security.permissions import Permission
from emr.services.context import Actor
from emr.services.encounters import (
    SECTIONS,
    AddendumRecord,
    EncounterDetail,
    add_addendum,
    get_encounter,
    save_draft,
    sign_note,
)
from emr.services.note_templates import NoteTemplateRecord, list_note_templates, phrase_map
from ui.style import ERROR_STYLE
from ui.widgets.shortcuts import add_save_shortcut

log = logging.getLogger(__name__)

AUTOSAVE_MS = 3000
SECTION_LABELS = {
    "subjective": "S&ubjective",
    "objective": "&Objective",
    "assessment": "&Assessment",
    "plan": "&Plan",
}
MADE_LABELS = {
    "vitals": "Vitals",
    "lab": "Lab",
    "diagnosis": "Diagnosis",
    "medication": "Medication",
    "immunization": "Immunization",
}


def when(moment: datetime) -> str:
    return f"{moment:%m/%d/%Y %H:%M}"


class SectionEdit(QPlainTextEdit):
    """A SOAP section. An abbreviation typed and followed by a space becomes its phrase."""

    def __init__(self, name: str, phrases: dict[str, str], parent=None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.phrases = phrases
        self.setTabChangesFocus(True)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_Space and not self.isReadOnly():
            self.expand_word_before_cursor()
        super().keyPressEvent(event)

    def expand_word_before_cursor(self) -> bool:
        cursor = self.textCursor()
        if cursor.hasSelection() or not self.phrases:
            return False
        before = cursor.block().text()[: cursor.positionInBlock()]
        if not before or before[-1].isspace():
            return False
        token = before.split()[-1]
        word = token.lstrip("([{\"'")
        text = self.phrases.get(word)
        if text is None:
            return False
        cursor.beginEditBlock()
        cursor.movePosition(
            QTextCursor.MoveOperation.Left, QTextCursor.MoveMode.KeepAnchor, len(word)
        )
        cursor.insertText(text)
        cursor.endEditBlock()
        self.setTextCursor(cursor)
        return True


class AddendumDialog(QDialog):
    """The text of an addendum; signed (by the service) when the physician adds it."""

    def __init__(self, actor: Actor, note_id: int, parent=None) -> None:
        super().__init__(parent)
        self.actor = actor
        self.note_id = note_id
        self.added: AddendumRecord | None = None
        self.setWindowTitle("Add addendum")
        self.setObjectName("addendumDialog")
        intro = QLabel(
            "The signed note stays as it is. The addendum is signed by you, with the time, "
            "when you add it, and cannot be changed afterwards."
        )
        intro.setWordWrap(True)
        self.text = QPlainTextEdit()
        self.text.setObjectName("addendum_text")
        self.text.setTabChangesFocus(True)
        self.error = QLabel()
        self.error.setObjectName("addendum_error")
        self.error.setStyleSheet(ERROR_STYLE)
        self.error.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText("Sign &addendum")
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        add_save_shortcut(self, self.save)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.text)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.text.setFocus()

    def save(self) -> None:
        try:
            self.added = add_addendum(self.actor, self.note_id, self.text.toPlainText())
        except UserError as exc:
            self.error.setText(f"Not added: {exc}")
            return
        self.accept()


class NoteEditor(QWidget):
    """The note of one encounter. `changed` is emitted after a save by hand, a signature, an
    addendum or something recorded in the visit (not after each autosave)."""

    changed = Signal()

    def __init__(self, actor: Actor, encounter_id: int, parent=None) -> None:
        super().__init__(parent)
        self.actor = actor
        self.encounter_id = encounter_id
        self.detail: EncounterDetail = get_encounter(actor, encounter_id)
        self.patient_id = self.detail.encounter.patient_id
        self.conflict = False
        self.last_saved_at: datetime | None = None
        self._saved_text: tuple[str, ...] = ()
        self._version = 0
        self.templates: list[NoteTemplateRecord] = []
        self.dialog: QWidget | None = None  # the dialog open now, for tests and to keep it

        try:
            phrases = phrase_map(actor)
        except UserError:
            phrases = {}
        self.header = QLabel()
        self.header.setObjectName("note_header")
        self.header.setWordWrap(True)
        self.header.setTextFormat(Qt.TextFormat.RichText)
        self.people = QLabel()
        self.people.setObjectName("note_people")
        self.people.setWordWrap(True)

        self.template = QComboBox()
        self.template.setObjectName("template")
        self.template.activated.connect(self._template_chosen)
        template_label = QLabel("&Template")
        template_label.setBuddy(self.template)

        self.sections: dict[str, SectionEdit] = {}
        grid = QGridLayout()
        for row, name in enumerate(SECTIONS):
            edit = SectionEdit(name, phrases)
            label = QLabel(SECTION_LABELS[name])
            label.setBuddy(edit)
            label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
            grid.addWidget(label, row, 0)
            grid.addWidget(edit, row, 1)
            self.sections[name] = edit

        self.addenda = QLabel()
        self.addenda.setObjectName("addenda")
        self.addenda.setWordWrap(True)
        self.addenda.setTextFormat(Qt.TextFormat.RichText)
        self.addenda.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.save_button = QPushButton("Save &draft")
        self.save_button.setObjectName("save_draft")
        self.save_button.setToolTip("Ctrl+S")
        self.save_button.clicked.connect(lambda: self.save_now())
        self.sign_button = QPushButton("Sign…")
        self.sign_button.setObjectName("sign_note")
        self.sign_button.setToolTip("Ctrl+Shift+S")
        self.sign_button.clicked.connect(self.ask_to_sign)
        self.addendum_button = QPushButton("Add adde&ndum…")
        self.addendum_button.setObjectName("add_addendum")
        self.addendum_button.clicked.connect(self.open_addendum)
        self.summary_button = QPushButton("Visit s&ummary…")
        self.summary_button.setObjectName("visit_summary")
        self.summary_button.setToolTip("The patient's visit summary: preview, print or save")
        self.summary_button.clicked.connect(self.open_visit_summary)
        self.reload_button = QPushButton("&Reload the stored note")
        self.reload_button.setObjectName("reload_note")
        self.reload_button.clicked.connect(self.reload)
        self.status = QLabel()
        self.status.setObjectName("save_status")
        self.status.setWordWrap(True)

        self.made = QListWidget()
        self.made.setObjectName("made_in_visit")
        self.vitals_button = QPushButton("&Vitals…")
        self.vitals_button.setObjectName("vitals")
        self.vitals_button.clicked.connect(self.open_vitals)
        self.diagnosis_button = QPushButton("Dia&gnosis…")
        self.diagnosis_button.setObjectName("diagnosis")
        self.diagnosis_button.clicked.connect(self.open_diagnosis)

        QShortcut(
            QKeySequence("Ctrl+S"),
            self,
            lambda: self.save_now(),
            Qt.ShortcutContext.WidgetWithChildrenShortcut,
        )
        QShortcut(
            QKeySequence("Ctrl+Shift+S"),
            self,
            self.ask_to_sign,
            Qt.ShortcutContext.WidgetWithChildrenShortcut,
        )

        top = QHBoxLayout()
        top.addWidget(template_label)
        top.addWidget(self.template, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.sign_button)
        buttons.addWidget(self.addendum_button)
        buttons.addWidget(self.summary_button)
        buttons.addWidget(self.reload_button)
        buttons.addWidget(self.status, 1)
        note_column = QVBoxLayout()
        note_column.addWidget(self.header)
        note_column.addWidget(self.people)
        note_column.addLayout(top)
        note_column.addLayout(grid, 1)
        note_column.addWidget(self.addenda)
        note_column.addLayout(buttons)
        made_column = QVBoxLayout()
        made_label = QLabel("&Made in this visit")
        made_label.setBuddy(self.made)
        made_column.addWidget(made_label)
        made_column.addWidget(self.made, 1)
        made_buttons = QHBoxLayout()
        made_buttons.addWidget(self.vitals_button)
        made_buttons.addWidget(self.diagnosis_button)
        made_column.addLayout(made_buttons)
        layout = QHBoxLayout(self)
        layout.addLayout(note_column, 3)
        layout.addLayout(made_column, 1)

        self.timer = QTimer(self)
        self.timer.setInterval(AUTOSAVE_MS)
        self.timer.timeout.connect(self.autosave)
        self._show(self.detail, load_text=True)
        self.timer.start()

    # --- state ----------------------------------------------------------------------------

    @property
    def autosave_ms(self) -> int:
        return self.timer.interval()

    @autosave_ms.setter
    def autosave_ms(self, ms: int) -> None:
        self.timer.setInterval(ms)

    @property
    def note(self):
        return self.detail.note

    @property
    def editable(self) -> bool:
        return not self.note.signed and not self.detail.encounter.entered_in_error

    def current_text(self) -> tuple[str, ...]:
        return tuple(self.sections[name].toPlainText() for name in SECTIONS)

    def has_unsaved_text(self) -> bool:
        return self.editable and self.current_text() != self._saved_text

    def reload(self) -> None:
        """Read the encounter again; the text on screen becomes the stored text."""
        try:
            detail = get_encounter(self.actor, self.encounter_id)
        except UserError as exc:
            self.show_status(f"Not loaded: {exc}", error=True)
            return
        self.conflict = False
        self._show(detail, load_text=True)
        self.show_status("")

    def _show(self, detail: EncounterDetail, *, load_text: bool) -> None:
        self.detail = detail
        e, n = detail.encounter, detail.note
        status = "Entered in error" if e.entered_in_error else n.status.capitalize()
        header = (
            f"<b>{when(e.occurred_at)}</b> · {escape(e.encounter_type)} · "
            f"{escape(e.provider_name)} · Reason: {escape(e.reason) or '—'} · <b>{status}</b>"
        )
        if e.entered_in_error:
            header = f"<s>{header}</s><br>Entered in error: {escape(e.error_reason)}"
        self.header.setText(header)
        self.people.setText(self._people_text())
        self.addenda.setText(
            "".join(
                f"<p><b>Addendum by {escape(a.author_name)}, {when(a.signed_at)}</b> (signed)"
                f"<br>{escape(a.text).replace(chr(10), '<br>')}</p>"
                for a in detail.addenda
            )
        )
        self.addenda.setVisible(bool(detail.addenda))
        if load_text:
            for name, text in zip(SECTIONS, n.sections, strict=True):
                self.sections[name].setPlainText(text)
            self._saved_text = n.sections
        self._version = n.version
        for edit in self.sections.values():
            edit.setReadOnly(not self.editable)
        may_sign = self.actor.can(Permission.NOTE_SIGN)
        self.template.setVisible(self.editable)
        self.save_button.setVisible(self.editable)
        self.sign_button.setVisible(self.editable and may_sign)
        self.addendum_button.setVisible(n.signed and may_sign)
        self.reload_button.setVisible(self.conflict)
        self.vitals_button.setEnabled(not e.entered_in_error)
        self.diagnosis_button.setEnabled(not e.entered_in_error)
        self._load_templates()
        self._show_made()

    def _people_text(self) -> str:
        n = self.note
        parts = [f"Written by {n.author_name} on {when(n.created_at)}"]
        if n.updated_at != n.created_at and not n.signed:
            parts.append(f"last saved by {n.last_editor_name} at {when(n.updated_at)}")
        if n.signed and n.signed_at is not None:
            parts.append(f"signed by {n.signed_by_name} on {when(n.signed_at)}")
        for a in self.detail.addenda:
            parts.append(f"amended by {a.author_name} on {when(a.signed_at)}")
        return "; ".join(parts) + "."

    def _show_made(self) -> None:
        self.made.clear()
        for item in self.detail.made:
            self.made.addItem(f"{MADE_LABELS.get(item.kind, item.kind)}: {item.description}")
        if not self.detail.made:
            self.made.addItem("Nothing recorded in this visit yet.")

    def _load_templates(self) -> None:
        self.template.clear()
        self.template.addItem("(start from a template)", None)
        if not self.editable:
            return
        try:
            self.templates = list_note_templates(self.actor, self.detail.encounter.encounter_type)
        except UserError:
            self.templates = []
        for t in self.templates:
            self.template.addItem(t.name, t.id)

    def show_status(self, text: str, *, error: bool = False) -> None:
        self.status.setStyleSheet(ERROR_STYLE if error else "")
        self.status.setText(text)

    # --- saving ---------------------------------------------------------------------------

    def save_now(self, *, autosave: bool = False) -> bool:
        """Save the draft if its text changed since the last save; True when nothing is
        left unsaved."""
        if not self.editable:
            return True
        text = self.current_text()
        if text == self._saved_text:
            if not autosave and self.last_saved_at is None:
                self.show_status("No changes to save.")
            return True
        if self.conflict:
            return False
        try:
            note = save_draft(self.actor, self.note.id, self._version, *text, autosave=autosave)
        except ConflictError:
            self.conflict = True
            self.reload_button.setVisible(True)
            self.show_status(
                "Not saved: someone else saved this note since you opened it. Your text is still "
                "here; copy what you need, then reload the stored note.",
                error=True,
            )
            return False
        except UserError as exc:
            self.show_status(f"Not saved: {exc}", error=True)
            return False
        self._saved_text = text
        self._version = note.version
        self.detail = EncounterDetail(
            self.detail.encounter, note, self.detail.addenda, self.detail.made
        )
        self.people.setText(self._people_text())
        self.last_saved_at = datetime.now()
        self.show_status(f"Saved {self.last_saved_at:%H:%M:%S}")
        if not autosave:
            self.changed.emit()
        return True

    def autosave(self) -> None:
        try:
            self.save_now(autosave=True)
        except Exception:  # a bug must not stop the next autosave nor lose the text shown
            log.exception("autosave of note %s failed", self.note.id)
            self.show_status("Not saved: an unexpected error (see the log).", error=True)

    def hideEvent(self, event) -> None:  # noqa: N802
        # Leaving the tab or closing the chart window: what was typed since the last autosave.
        self.autosave()
        super().hideEvent(event)

    # --- templates ------------------------------------------------------------------------

    def _template_chosen(self, index: int) -> None:
        template_id = self.template.itemData(index)
        self.template.setCurrentIndex(0)
        chosen = [t for t in self.templates if t.id == template_id]
        if chosen:
            self.apply_template(chosen[0])

    def apply_template(self, template: NoteTemplateRecord) -> None:
        """Fill the empty sections; ask before replacing text already written."""
        written = [
            name
            for name, text in zip(SECTIONS, template.sections, strict=True)
            if text.strip() and self.sections[name].toPlainText().strip()
        ]
        if not written:
            self._fill(template, replace=False)
            return
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Apply template",
            f"The template also has text for {', '.join(n.capitalize() for n in written)}, "
            "where you have written already. Replace your text there?",
            QMessageBox.StandardButton.NoButton,
            self,
        )
        replace = box.addButton("Replace", QMessageBox.ButtonRole.DestructiveRole)
        keep = box.addButton("Fill empty sections only", QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(keep)

        def answered() -> None:
            if box.clickedButton() is replace:
                self._fill(template, replace=True)
            elif box.clickedButton() is keep:
                self._fill(template, replace=False)

        box.finished.connect(answered)
        self.dialog = box
        box.open()

    def _fill(self, template: NoteTemplateRecord, *, replace: bool) -> None:
        for name, text in zip(SECTIONS, template.sections, strict=True):
            edit = self.sections[name]
            if text.strip() and (replace or not edit.toPlainText().strip()):
                edit.setPlainText(text)
        self.show_status(f"Template “{template.name}” applied; not saved yet.")

    # --- signing and addenda --------------------------------------------------------------

    def ask_to_sign(self) -> None:
        if not self.editable or not self.actor.can(Permission.NOTE_SIGN):
            return
        if not self.save_now():
            return
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Sign note",
            "Sign this note now? A signed note is never changed: corrections are addenda.",
            QMessageBox.StandardButton.NoButton,
            self,
        )
        sign = box.addButton("Sign", QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(sign)
        box.finished.connect(lambda _: self.sign() if box.clickedButton() is sign else None)
        self.dialog = box
        box.open()

    def sign(self) -> bool:
        try:
            sign_note(self.actor, self.note.id, self._version)
        except UserError as exc:
            self.show_status(f"Not signed: {exc}", error=True)
            return False
        self.reload()
        if self.note.signed_at is not None:
            self.show_status(f"Signed {self.note.signed_at:%H:%M:%S}")
        self.changed.emit()
        return True

    def open_addendum(self) -> AddendumDialog | None:
        if not self.note.signed:
            return None
        dialog = AddendumDialog(self.actor, self.note.id, self)
        dialog.accepted.connect(self._addendum_added)
        self.dialog = dialog
        dialog.open()
        return dialog

    def _addendum_added(self) -> None:
        self.reload()
        self.show_status("Addendum added and signed.")
        self.changed.emit()

    # --- what is recorded in the visit ----------------------------------------------------

    def open_visit_summary(self) -> None:
        from ui.chart.visit_summary_action import show_visit_summary

        if self.editable:
            self.save_now()  # the summary shows what is typed now
        self.dialog = show_visit_summary(self, self.actor, self.encounter_id)

    def open_vitals(self) -> QDialog | None:
        return self._open_visit_dialog("ui.chart.vitals_dialog", "VitalsDialog", "Vitals entry")

    def open_diagnosis(self) -> QDialog | None:
        return self._open_visit_dialog(
            "ui.chart.problem_dialog", "ProblemDialog", "Diagnosis entry"
        )

    def _open_visit_dialog(self, module: str, name: str, what: str) -> QDialog | None:
        try:
            cls = getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError):
            log.exception("%s (%s.%s) cannot be loaded", what, module, name)
            self.show_status(f"{what} is not available in this version ({module}).", error=True)
            return None
        dialog = cls(self.actor, self.patient_id, encounter_id=self.encounter_id, parent=self)
        dialog.accepted.connect(self._visit_recorded)
        self.dialog = dialog
        dialog.open()
        return dialog

    def _visit_recorded(self) -> None:
        try:
            detail = get_encounter(self.actor, self.encounter_id)
        except UserError as exc:
            self.show_status(f"Not loaded: {exc}", error=True)
            return
        self.detail = EncounterDetail(
            detail.encounter, self.detail.note, detail.addenda, detail.made
        )
        self._show_made()
        self.changed.emit()
