"""Note templates (physicians write them; per visit type) and quick phrases (shared ones by
physicians, personal ones by anyone clinical). Opened with open(); Ctrl+S saves the tab shown."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from emr.errors import UserError, ValidationError
from emr.security.permissions import Permission
from emr.services.context import Actor
from emr.services.encounters import ENCOUNTER_TYPES, SECTIONS
from emr.services.note_templates import (
    NoteTemplateRecord,
    QuickPhraseRecord,
    list_note_templates,
    list_quick_phrases,
    retire_note_template,
    retire_quick_phrase,
    save_note_template,
    save_quick_phrase,
)
from ui.style import ERROR_STYLE
from ui.widgets.shortcuts import add_save_shortcut

ANY_VISIT = "(any visit)"


def _message(exc: UserError) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.field_errors.values())
    return str(exc)


def _error_label(name: str) -> QLabel:
    label = QLabel()
    label.setObjectName(name)
    label.setStyleSheet(ERROR_STYLE)
    label.setWordWrap(True)
    return label


class TemplatesTab(QWidget):
    def __init__(self, actor: Actor, parent=None) -> None:
        super().__init__(parent)
        self.actor = actor
        self.may_edit = actor.can(Permission.NOTE_SIGN)
        self.current: NoteTemplateRecord | None = None
        self.list = QListWidget()
        self.list.setObjectName("template_list")
        self.list.currentItemChanged.connect(self._chosen)
        self.name = QLineEdit()
        self.name.setObjectName("template_name")
        self.visit_type = QComboBox()
        self.visit_type.setObjectName("visit_type")
        self.visit_type.addItem(ANY_VISIT, "")
        for t in ENCOUNTER_TYPES:
            self.visit_type.addItem(t, t)
        self.sections: dict[str, QPlainTextEdit] = {}
        form = QFormLayout()
        form.addRow("&Name", self.name)
        form.addRow("&Visit type", self.visit_type)
        for name, label in zip(
            SECTIONS, ("S&ubjective", "&Objective", "&Assessment", "&Plan"), strict=True
        ):
            edit = QPlainTextEdit()
            edit.setObjectName(f"template_{name}")
            edit.setTabChangesFocus(True)
            self.sections[name] = edit
            form.addRow(label, edit)
        self.new_button = QPushButton("Ne&w template")
        self.new_button.clicked.connect(self.new)
        self.save_button = QPushButton("&Save template")
        self.save_button.setObjectName("save_template")
        self.save_button.clicked.connect(self.save)
        self.retire_button = QPushButton("&Retire")
        self.retire_button.setObjectName("retire_template")
        self.retire_button.clicked.connect(self.retire)
        self.error = _error_label("template_error")
        self.status = QLabel()
        buttons = QHBoxLayout()
        for b in (self.new_button, self.save_button, self.retire_button):
            b.setVisible(self.may_edit)
            buttons.addWidget(b)
        buttons.addWidget(self.status, 1)
        right = QVBoxLayout()
        if not self.may_edit:
            right.addWidget(QLabel("Templates are written by physicians."))
        right.addLayout(form)
        right.addWidget(self.error)
        right.addLayout(buttons)
        layout = QHBoxLayout(self)
        layout.addWidget(self.list, 1)
        layout.addLayout(right, 3)
        for editor in (self.name, *self.sections.values()):
            editor.setReadOnly(not self.may_edit)
        self.visit_type.setEnabled(self.may_edit)
        self.reload()

    def reload(self, select_id: int | None = None) -> None:
        self.list.blockSignals(True)
        self.list.clear()
        for t in list_note_templates(self.actor):
            item = QListWidgetItem(f"{t.name} — {t.visit_type or ANY_VISIT}")
            item.setData(Qt.ItemDataRole.UserRole, t)
            self.list.addItem(item)
            if t.id == select_id:
                self.list.setCurrentItem(item)
        self.list.blockSignals(False)
        self._chosen(self.list.currentItem())

    def _chosen(self, item: QListWidgetItem | None, _previous=None) -> None:
        self.current = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        t = self.current
        self.name.setText(t.name if t else "")
        self.visit_type.setCurrentIndex(max(0, self.visit_type.findData(t.visit_type if t else "")))
        for name, edit in self.sections.items():
            edit.setPlainText(getattr(t, name) if t else "")
        self.retire_button.setEnabled(t is not None)
        self.error.setText("")

    def new(self) -> None:
        self.list.setCurrentItem(None)
        self._chosen(None)
        self.name.setFocus()

    def save(self) -> None:
        if not self.may_edit:
            return
        try:
            saved = save_note_template(
                self.actor,
                template_id=self.current.id if self.current else None,
                expected_version=self.current.version if self.current else None,
                name=self.name.text(),
                visit_type=self.visit_type.currentData(),
                **{name: edit.toPlainText() for name, edit in self.sections.items()},
            )
        except UserError as exc:
            self.error.setText(f"Not saved: {_message(exc)}")
            return
        self.reload(saved.id)
        self.status.setText(f"Saved “{saved.name}”.")

    def retire(self) -> None:
        if self.current is None:
            return
        try:
            retire_note_template(self.actor, self.current.id, self.current.version)
        except UserError as exc:
            self.error.setText(f"Not retired: {_message(exc)}")
            return
        self.status.setText(f"Retired “{self.current.name}”.")
        self.reload()


class PhrasesTab(QWidget):
    def __init__(self, actor: Actor, parent=None) -> None:
        super().__init__(parent)
        self.actor = actor
        self.physician = actor.can(Permission.NOTE_SIGN)
        self.current: QuickPhraseRecord | None = None
        self.list = QListWidget()
        self.list.setObjectName("phrase_list")
        self.list.currentItemChanged.connect(self._chosen)
        self.abbreviation = QLineEdit()
        self.abbreviation.setObjectName("abbreviation")
        self.abbreviation.setPlaceholderText(".nad")
        self.text = QPlainTextEdit()
        self.text.setObjectName("phrase_text")
        self.text.setTabChangesFocus(True)
        self.shared = QCheckBox("Shared with the whole practice")
        self.shared.setObjectName("shared")
        self.shared.setVisible(self.physician)
        form = QFormLayout()
        form.addRow("A&bbreviation", self.abbreviation)
        form.addRow("&Text", self.text)
        form.addRow("", self.shared)
        self.new_button = QPushButton("Ne&w phrase")
        self.new_button.clicked.connect(self.new)
        self.save_button = QPushButton("&Save phrase")
        self.save_button.setObjectName("save_phrase")
        self.save_button.clicked.connect(self.save)
        self.retire_button = QPushButton("&Retire")
        self.retire_button.setObjectName("retire_phrase")
        self.retire_button.clicked.connect(self.retire)
        self.error = _error_label("phrase_error")
        self.status = QLabel()
        buttons = QHBoxLayout()
        for b in (self.new_button, self.save_button, self.retire_button):
            buttons.addWidget(b)
        buttons.addWidget(self.status, 1)
        right = QVBoxLayout()
        hint = QLabel("Type the abbreviation and a space in a note to put the text in its place.")
        hint.setWordWrap(True)
        right.addWidget(hint)
        right.addLayout(form)
        right.addWidget(self.error)
        right.addLayout(buttons)
        layout = QHBoxLayout(self)
        layout.addWidget(self.list, 1)
        layout.addLayout(right, 3)
        self.reload()

    def _mine(self, p: QuickPhraseRecord | None) -> bool:
        return p is not None and (p.owner_id == self.actor.user_id or self.physician)

    def reload(self, select_id: int | None = None) -> None:
        self.list.blockSignals(True)
        self.list.clear()
        for p in list_quick_phrases(self.actor):
            whose = "personal" if p.personal else "shared"
            item = QListWidgetItem(f"{p.abbreviation} — {p.text[:40]} ({whose})")
            item.setData(Qt.ItemDataRole.UserRole, p)
            self.list.addItem(item)
            if p.id == select_id:
                self.list.setCurrentItem(item)
        self.list.blockSignals(False)
        self._chosen(self.list.currentItem())

    def _chosen(self, item: QListWidgetItem | None, _previous=None) -> None:
        self.current = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        p = self.current
        self.abbreviation.setText(p.abbreviation if p else "")
        self.text.setPlainText(p.text if p else "")
        self.shared.setChecked(bool(p and not p.personal))
        editable = p is None or self._mine(p)
        self.abbreviation.setReadOnly(not editable)
        self.text.setReadOnly(not editable)
        self.shared.setEnabled(p is None)  # a phrase stays personal or shared
        self.save_button.setEnabled(editable)
        self.retire_button.setEnabled(p is not None and self._mine(p))
        self.error.setText("")

    def new(self) -> None:
        self.list.setCurrentItem(None)
        self._chosen(None)
        self.abbreviation.setFocus()

    def save(self) -> None:
        p = self.current
        try:
            saved = save_quick_phrase(
                self.actor,
                phrase_id=p.id if p else None,
                expected_version=p.version if p else None,
                abbreviation=self.abbreviation.text(),
                text=self.text.toPlainText(),
                personal=not self.shared.isChecked(),
            )
        except UserError as exc:
            self.error.setText(f"Not saved: {_message(exc)}")
            return
        self.reload(saved.id)
        self.status.setText(f"Saved {saved.abbreviation}.")

    def retire(self) -> None:
        if self.current is None:
            return
        try:
            retire_quick_phrase(self.actor, self.current.id, self.current.version)
        except UserError as exc:
            self.error.setText(f"Not retired: {_message(exc)}")
            return
        self.status.setText(f"Retired {self.current.abbreviation}.")
        self.reload()


class TemplatesDialog(QDialog):
    def __init__(self, actor: Actor, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Note templates and quick phrases")
        self.setObjectName("templatesDialog")
        self.resize(900, 600)
        self.templates = TemplatesTab(actor)
        self.phrases = PhrasesTab(actor)
        self.tabs = QTabWidget()
        self.tabs.addTab(self.templates, "Note &templates")
        self.tabs.addTab(self.phrases, "&Quick phrases")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        add_save_shortcut(self, self._save_shown)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        layout.addWidget(buttons)

    def _save_shown(self) -> None:
        shown = self.tabs.currentWidget()
        if isinstance(shown, TemplatesTab | PhrasesTab):
            shown.save()
