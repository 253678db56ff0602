"""The Amendments tab: the patient's requests to amend their record, with their outcome.
Anyone who writes in the chart records a request; a physician accepts it (an addendum to a
signed note, or a record marked entered in error) or denies it with a reason; the patient's
statement of disagreement is attached to a denial. Nothing here is ever removed."""

from __future__ import annotations

from datetime import date

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from emr.errors import UserError, ValidationError
from emr.security.permissions import Permission
from emr.services.amendments import (
    CORRECTABLE_LABELS,
    AmendmentRecord,
    accept_request,
    attach_disagreement,
    correctable_records,
    deny_request,
    list_requests,
    record_request,
    signed_notes,
)
from emr.services.context import Actor
from ui.chart.common import ChartTableModel, button, day
from ui.chart.pane import ChartPane
from ui.widgets.date_field import DateField, read_dates
from ui.widgets.field_errors import FieldErrors
from ui.widgets.record_table import record_table, selected_record
from ui.widgets.shortcuts import add_save_shortcut


def _text_edit(name: str, text: str = "") -> QPlainTextEdit:
    editor = QPlainTextEdit(text)
    editor.setObjectName(name)
    editor.setTabChangesFocus(True)
    editor.setMaximumHeight(90)
    return editor


class _FormDialog(QDialog):
    """A small form with a red message per field, Save/Cancel and Ctrl+S; subclasses fill
    `rows` and implement `submit()` (returning the record saved)."""

    def __init__(self, title: str, intro: str, save_text: str, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.saved: AmendmentRecord | None = None
        self.field_errors = FieldErrors()
        self.intro = QLabel(intro)
        self.intro.setWordWrap(True)
        self.form = QFormLayout()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setText(save_text)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        add_save_shortcut(self, self.save)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addWidget(self.field_errors.summary)
        layout.addLayout(self.form)
        layout.addWidget(self.buttons)

    def add_row(self, text: str, name: str, editor: QWidget) -> None:
        label = QLabel(text)
        label.setBuddy(editor)
        self.form.addRow(label, self.field_errors.wrap(name, editor))

    def submit(self) -> AmendmentRecord:
        raise NotImplementedError

    def save(self) -> None:
        try:
            self.saved = self.submit()
        except ValidationError as exc:
            self.field_errors.show(exc.field_errors)
            return
        except UserError as exc:
            self.field_errors.show({"": exc.message})
            return
        self.accept()


class RecordRequestDialog(_FormDialog):
    def __init__(self, actor: Actor, patient_id: int, parent=None) -> None:
        super().__init__(
            "Record an amendment request",
            "The patient asks to amend their record: what part, and why.",
            "&Record request",
            parent,
        )
        self.setObjectName("recordRequestDialog")
        self.actor, self.patient_id = actor, patient_id
        self.requested_on = DateField(date.today())
        self.requested_on.setObjectName("requested_on")
        self.what = _text_edit("what")
        self.why = _text_edit("why")
        self.add_row("&Requested on", "requested_on", self.requested_on)
        self.add_row("&What", "what", self.what)
        self.add_row("W&hy", "why", self.why)
        self.what.setFocus()

    def submit(self) -> AmendmentRecord:
        problems: dict[str, str] = {}
        dates = read_dates({"requested_on": self.requested_on}, problems)
        if dates["requested_on"] is None and "requested_on" not in problems:
            problems["requested_on"] = "Enter the date of the request."
        if problems:
            raise ValidationError(problems)
        return record_request(
            self.actor,
            self.patient_id,
            dates["requested_on"] or date.today(),
            self.what.toPlainText(),
            self.why.toPlainText(),
        )


class AcceptDialog(_FormDialog):
    """The physician makes the correction: an addendum to a signed note, or a record marked
    entered in error."""

    def __init__(self, actor: Actor, request: AmendmentRecord, parent=None) -> None:
        super().__init__(
            "Accept the amendment request",
            f"Requested {day(request.requested_on)}: {request.what}\nWhy: {request.why}",
            "&Accept and correct",
            parent,
        )
        self.setObjectName("acceptDialog")
        self.actor, self.request = actor, request
        self.correction = QComboBox()
        self.correction.setObjectName("correction")
        self.correction.addItem("Addendum to a signed note", "addendum")
        self.correction.addItem("Mark a record entered in error", "entered_in_error")
        self.pages = QStackedWidget()

        addendum_page = QWidget()
        addendum_form = QFormLayout(addendum_page)
        addendum_form.setContentsMargins(0, 0, 0, 0)
        self.note = QComboBox()
        self.note.setObjectName("note")
        for choice in signed_notes(actor, request.patient_id):
            self.note.addItem(choice.label, choice.id)
        self.addendum_text = _text_edit("addendum_text")
        for text, name, editor in (
            ("Signed &note", "note_id", self.note),
            ("Adden&dum", "addendum_text", self.addendum_text),
        ):
            label = QLabel(text)
            label.setBuddy(editor)
            addendum_form.addRow(label, self.field_errors.wrap(name, editor))

        error_page = QWidget()
        error_form = QFormLayout(error_page)
        error_form.setContentsMargins(0, 0, 0, 0)
        self.entity = QComboBox()
        self.entity.setObjectName("entity")
        for entity, label_text in CORRECTABLE_LABELS.items():
            self.entity.addItem(label_text, entity)
        self.record = QComboBox()
        self.record.setObjectName("record")
        self.error_reason = QLineEdit()
        self.error_reason.setObjectName("error_reason")
        for text, name, editor in (
            ("&Kind of record", "entity", self.entity),
            ("R&ecord", "entity_id", self.record),
            ("&What was wrong", "error_reason", self.error_reason),
        ):
            label = QLabel(text)
            label.setBuddy(editor)
            error_form.addRow(label, self.field_errors.wrap(name, editor))

        self.pages.addWidget(addendum_page)
        self.pages.addWidget(error_page)
        self.add_row("&Correction", "correction", self.correction)
        self.form.addRow(self.pages)
        self.correction.currentIndexChanged.connect(self.pages.setCurrentIndex)
        self.entity.currentIndexChanged.connect(self._load_records)
        self._load_records()
        self.correction.setFocus()

    def _load_records(self) -> None:
        self.record.clear()
        try:
            choices = correctable_records(
                self.actor, self.request.patient_id, self.entity.currentData()
            )
        except UserError as exc:
            self.field_errors.show({"entity": exc.message})
            return
        for choice in choices:
            self.record.addItem(choice.label, choice.id)

    def submit(self) -> AmendmentRecord:
        if self.correction.currentData() == "addendum":
            return accept_request(
                self.actor,
                self.request.id,
                self.request.version,
                "addendum",
                note_id=self.note.currentData(),
                addendum_text=self.addendum_text.toPlainText(),
            )
        return accept_request(
            self.actor,
            self.request.id,
            self.request.version,
            "entered_in_error",
            entity=self.entity.currentData(),
            entity_id=self.record.currentData(),
            error_reason=self.error_reason.text(),
        )


class DenyDialog(_FormDialog):
    def __init__(self, actor: Actor, request: AmendmentRecord, parent=None) -> None:
        super().__init__(
            "Deny the amendment request",
            f"Requested {day(request.requested_on)}: {request.what}\n"
            "The reason is kept with the request and told to the patient.",
            "&Deny request",
            parent,
        )
        self.setObjectName("denyDialog")
        self.actor, self.request = actor, request
        self.reason = _text_edit("reason")
        self.add_row("&Reason", "reason", self.reason)
        self.reason.setFocus()

    def submit(self) -> AmendmentRecord:
        return deny_request(
            self.actor, self.request.id, self.request.version, self.reason.toPlainText()
        )


class DisagreementDialog(_FormDialog):
    def __init__(self, actor: Actor, request: AmendmentRecord, parent=None) -> None:
        super().__init__(
            "Attach the patient's statement of disagreement",
            f"Denied: {request.decision_reason}",
            "&Attach statement",
            parent,
        )
        self.setObjectName("disagreementDialog")
        self.actor, self.request = actor, request
        self.statement = _text_edit("statement", request.disagreement)
        self.received_on = DateField(request.disagreement_received_on or date.today())
        self.received_on.setObjectName("received_on")
        self.add_row("&Statement", "statement", self.statement)
        self.add_row("&Received on", "received_on", self.received_on)
        self.statement.setFocus()

    def submit(self) -> AmendmentRecord:
        problems: dict[str, str] = {}
        dates = read_dates({"received_on": self.received_on}, problems)
        if dates["received_on"] is None and "received_on" not in problems:
            problems["received_on"] = "Enter the date the statement was received."
        if problems:
            raise ValidationError(problems)
        return attach_disagreement(
            self.actor,
            self.request.id,
            self.request.version,
            self.statement.toPlainText(),
            dates["received_on"] or date.today(),
        )


def _one_line(text: str) -> str:
    return " ".join(text.split())


class AmendmentsPane(ChartPane):
    title = "Amendments"

    def __init__(self, actor: Actor, patient_id: int, parent=None) -> None:
        super().__init__(actor, patient_id, parent)
        self.dialog: QDialog | None = None
        self.model = ChartTableModel(
            [
                ("Requested", lambda r: day(r.requested_on)),
                ("What", lambda r: _one_line(r.what)),
                ("Why", lambda r: _one_line(r.why)),
                ("Status", lambda r: r.status_label),
                ("Decided by", lambda r: r.decided_by),
                ("Decided", lambda r: f"{r.decided_at:%m/%d/%Y %H:%M}" if r.decided_at else ""),
                ("Outcome", lambda r: _one_line(r.outcome)),
                (
                    "Patient's disagreement",
                    lambda r: (
                        f"{day(r.disagreement_received_on)}: {_one_line(r.disagreement)}"
                        if r.disagreement
                        else ""
                    ),
                ),
            ],
            self,
        )
        self.table = record_table(self.model, "amendmentsTable")
        self.error = self.error_label()
        self.error.setObjectName("amendmentsError")
        self.record_button = button("&Record request…", "recordRequest", self.record_request)
        self.accept_button = button("&Accept…", "acceptRequest", self.accept_request)
        self.deny_button = button("&Deny…", "denyRequest", self.deny_request)
        self.disagreement_button = button(
            "Attach dis&agreement…", "attachDisagreement", self.attach_disagreement
        )
        physician = actor.can(Permission.NOTE_SIGN)
        for decision in (self.accept_button, self.deny_button):
            decision.setVisible(physician)
        buttons = QHBoxLayout()
        for widget in (
            self.record_button,
            self.accept_button,
            self.deny_button,
            self.disagreement_button,
        ):
            buttons.addWidget(widget)
        buttons.addStretch()
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.error)
        layout.addWidget(self.table)
        self.table.selectionModel().currentRowChanged.connect(self._enable)
        self.reload()

    def reload(self) -> None:
        self.error.clear()
        try:
            rows = list_requests(self.actor, self.patient_id)
        except UserError as exc:
            self.error.setText(exc.message)
            rows = []
        self.model.set_rows(rows)
        self._enable()

    @property
    def requests(self) -> list[AmendmentRecord]:
        return list(self.model.rows)

    def selected(self) -> AmendmentRecord | None:
        return selected_record(self.table)

    def _enable(self, *_args) -> None:
        request = self.selected()
        pending = request is not None and request.status == "pending"
        self.accept_button.setEnabled(pending)
        self.deny_button.setEnabled(pending)
        self.disagreement_button.setEnabled(request is not None and request.status == "denied")

    def _open(self, dialog: QDialog) -> None:
        self.dialog = dialog

        def finished(result: int) -> None:
            if result == QDialog.DialogCode.Accepted:
                self.reload()
                self.changed.emit()

        dialog.finished.connect(finished)
        dialog.open()

    def record_request(self) -> None:
        self._open(RecordRequestDialog(self.actor, self.patient_id, self))

    def _decision(self, dialog_class) -> None:
        request = self.selected()
        if request is None:
            return
        try:
            dialog = dialog_class(self.actor, request, self)
        except UserError as exc:
            self.error.setText(exc.message)
            return
        self._open(dialog)

    def accept_request(self) -> None:
        self._decision(AcceptDialog)

    def deny_request(self) -> None:
        self._decision(DenyDialog)

    def attach_disagreement(self) -> None:
        self._decision(DisagreementDialog)
