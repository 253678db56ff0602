"""The referral form: to whom (name, specialty, organization, address, phone, fax, NPI), why
(reason, urgency, ICD-10-CM diagnoses), who refers (a nurse drafts for a physician), and the
letter: a template merged with the chart, then edited freely before it is saved. Ctrl+S saves.
Also the small form that moves a referral on (sent, appointment made, report received,
cancelled) with its date and note."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from emr.errors import UserError, ValidationError
from emr.security.permissions import Role
from emr.services.context import Actor
from emr.services.referrals import (
    STATUS_LABELS,
    URGENCIES,
    ReferralInput,
    ReferralRecord,
    ReferralTemplateRecord,
    create_referral,
    list_templates,
    merge_letter,
    set_referral_status,
    update_referral,
)
from ui.widgets.date_field import DateField
from ui.widgets.field_errors import FieldErrors
from ui.widgets.shortcuts import add_save_shortcut

URGENCY_LABELS = {"routine": "Routine", "urgent": "Urgent", "stat": "STAT (same day)"}


def _line(name: str, text: str = "", placeholder: str = "") -> QLineEdit:
    edit = QLineEdit(text)
    edit.setObjectName(name)
    edit.setPlaceholderText(placeholder)
    return edit


class ReferralDialog(QDialog):
    """A new referral, or a draft to change (`referral`). `saved` is the record once saved."""

    def __init__(
        self,
        actor: Actor,
        patient_id: int,
        *,
        referral: ReferralRecord | None = None,
        encounter_id: int | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.actor = actor
        self.patient_id = patient_id
        self.referral = referral
        self.encounter_id = referral.encounter_id if referral else encounter_id
        self.saved: ReferralRecord | None = None
        self.setObjectName("referralDialog")
        self.setWindowTitle("Edit referral" if referral else "New referral")
        self.resize(720, 820)
        r = referral
        self.errors = FieldErrors()

        self.to_name = _line("toName", r.to_name if r else "", "Dr Grace Lee")
        self.to_specialty = _line("toSpecialty", r.to_specialty if r else "", "Cardiology")
        self.to_organization = _line("toOrganization", r.to_organization if r else "")
        self.to_address = QPlainTextEdit(r.to_address if r else "")
        self.to_address.setObjectName("toAddress")
        self.to_address.setTabChangesFocus(True)
        self.to_address.setFixedHeight(54)
        self.to_phone = _line("toPhone", r.to_phone if r else "")
        self.to_fax = _line("toFax", r.to_fax if r else "")
        self.to_npi = _line("toNpi", r.to_npi if r else "", "10 digits")
        self.reason = _line("reason", r.reason if r else "", "e.g. exertional chest pain")
        self.urgency = QComboBox()
        self.urgency.setObjectName("urgency")
        for value in URGENCIES:
            self.urgency.addItem(URGENCY_LABELS[value], value)
        if r:
            self.urgency.setCurrentIndex(URGENCIES.index(r.urgency))
        self.diagnoses = _line(
            "diagnoses", ", ".join(r.diagnosis_codes) if r else "", "ICD-10-CM codes: I20.9, E11.9"
        )
        self.referring = QComboBox()
        self.referring.setObjectName("referringProvider")
        self._fill_referring()

        self.template = QComboBox()
        self.template.setObjectName("template")
        self.templates: list[ReferralTemplateRecord] = []
        self.merge_button = QPushButton("&Merge template into letter")
        self.merge_button.setObjectName("mergeTemplate")
        self.merge_button.setAutoDefault(False)
        self.merge_button.clicked.connect(self.merge)
        self.letter = QPlainTextEdit(r.letter_text if r else "")
        self.letter.setObjectName("letterText")
        self.letter.setTabChangesFocus(True)
        self.letter.setPlaceholderText(
            "Choose a template and merge it, then edit the letter as you wish."
        )
        self._fill_templates()

        form = QFormLayout()
        form.addRow("&To (provider):", self.errors.wrap("to_name", self.to_name))
        form.addRow("S&pecialty:", self.errors.wrap("to_specialty", self.to_specialty))
        form.addRow("&Organization:", self.errors.wrap("to_organization", self.to_organization))
        form.addRow("A&ddress:", self.errors.wrap("to_address", self.to_address))
        reach = QHBoxLayout()
        reach.addWidget(QLabel("Phone"))
        reach.addWidget(self.to_phone)
        reach.addWidget(QLabel("Fax"))
        reach.addWidget(self.to_fax)
        reach.addWidget(QLabel("NPI"))
        reach.addWidget(self.to_npi)
        reach_row = QWidget()
        reach_row.setLayout(reach)
        reach.setContentsMargins(0, 0, 0, 0)
        form.addRow("Contact:", self.errors.wrap("to_npi", reach_row, self.to_npi))
        form.addRow("&Reason:", self.errors.wrap("reason", self.reason))
        form.addRow("&Urgency:", self.errors.wrap("urgency", self.urgency))
        form.addRow("Dia&gnoses:", self.errors.wrap("diagnosis_codes", self.diagnoses))
        form.addRow(
            "Referring physician:", self.errors.wrap("referring_provider_id", self.referring)
        )
        template_row = QHBoxLayout()
        template_row.addWidget(self.template, 1)
        template_row.addWidget(self.merge_button)
        holder = QWidget()
        holder.setLayout(template_row)
        template_row.setContentsMargins(0, 0, 0, 0)
        form.addRow("T&emplate:", holder)

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setObjectName("saveReferral")
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        letter_label = QLabel("&Letter (edit freely before saving):")
        letter_label.setBuddy(self.letter)
        layout.addWidget(letter_label)
        layout.addWidget(self.errors.wrap("letter_text", self.letter), 1)
        layout.addWidget(self.errors.summary)
        layout.addWidget(self.buttons)
        add_save_shortcut(self, self.save)
        self.to_name.setFocus()

    def _fill_referring(self) -> None:
        from emr.services.schedule_setup import list_providers

        current = self.referral.referring_provider_id if self.referral else self.actor.user_id
        try:
            providers = list_providers(self.actor)
        except UserError:
            providers = []
        if self.actor.role == Role.PHYSICIAN and not any(
            p.id == self.actor.user_id for p in providers
        ):
            self.referring.addItem(self.actor.full_name, self.actor.user_id)
        for p in providers:
            self.referring.addItem(p.full_name, p.id)
        index = self.referring.findData(current)
        if index < 0 and self.actor.role != Role.PHYSICIAN:
            self.referring.insertItem(0, "Choose the physician…", None)
            index = 0
        self.referring.setCurrentIndex(max(index, 0))

    def _fill_templates(self) -> None:
        try:
            self.templates = list_templates(self.actor)
        except UserError as exc:
            self.errors.show({"": exc.message})
            self.templates = []
        for t in self.templates:
            label = t.name + (f" ({t.specialty})" if t.specialty else "")
            self.template.addItem(label, t.id)
        if self.referral and self.referral.template_id is not None:
            self.template.setCurrentIndex(max(0, self.template.findData(self.referral.template_id)))
        self.merge_button.setEnabled(bool(self.templates))

    def merge(self) -> None:
        """Fill the letter from the chosen template; what was typed in it is replaced."""
        template_id = self.template.currentData()
        if template_id is None:
            return
        referring = self.referring.currentText() if self.referring.currentData() else ""
        fields = {
            "receiving_provider": self.to_name.text(),
            "specialty": self.to_specialty.text(),
            "reason": self.reason.text(),
        }
        if referring:
            fields["referring_provider"] = referring
        try:
            text = merge_letter(self.actor, self.patient_id, template_id, **fields)
        except UserError as exc:
            self.errors.show({"": exc.message})
            return
        self.letter.setPlainText(text)
        self.letter.setFocus()

    def value(self) -> ReferralInput:
        codes = tuple(c.strip() for c in self.diagnoses.text().replace(";", ",").split(","))
        return ReferralInput(
            to_name=self.to_name.text(),
            reason=self.reason.text(),
            to_specialty=self.to_specialty.text(),
            to_organization=self.to_organization.text(),
            to_address=self.to_address.toPlainText(),
            to_phone=self.to_phone.text(),
            to_fax=self.to_fax.text(),
            to_npi=self.to_npi.text(),
            urgency=self.urgency.currentData(),
            diagnosis_codes=tuple(c for c in codes if c),
            template_id=self.template.currentData() if self.letter.toPlainText().strip() else None,
            letter_text=self.letter.toPlainText(),
            encounter_id=self.encounter_id,
            referring_provider_id=self.referring.currentData(),
        )

    def save(self) -> None:
        try:
            if self.referral is None:
                self.saved = create_referral(self.actor, self.patient_id, self.value())
            else:
                self.saved = update_referral(
                    self.actor, self.referral.id, self.referral.version, self.value()
                )
        except ValidationError as exc:
            self.errors.show(exc.field_errors)
            return
        except UserError as exc:
            self.errors.show({"": exc.message})
            return
        self.accept()


class ReferralStatusDialog(QDialog):
    """Move a referral on: the next status, its date and a note. Ctrl+S saves."""

    def __init__(self, actor: Actor, referral: ReferralRecord, parent: QWidget | None = None):
        super().__init__(parent)
        self.actor = actor
        self.referral = referral
        self.saved: ReferralRecord | None = None
        self.setObjectName("referralStatusDialog")
        self.setWindowTitle("Referral status")
        self.errors = FieldErrors()
        self.status = QComboBox()
        self.status.setObjectName("status")
        for value in referral.next_statuses:
            self.status.addItem(STATUS_LABELS[value], value)
        self.on = DateField(field="on")
        self.on.setObjectName("statusDate")
        self.note = _line("statusNote", placeholder="Note (why, when, who was called …)")
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        self.status.currentIndexChanged.connect(self._hint)
        form = QFormLayout()
        form.addRow("&Status:", self.errors.wrap("status", self.status))
        form.addRow("&Date:", self.errors.wrap("on", self.on))
        form.addRow("&Note:", self.errors.wrap("note", self.note))
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Save).setObjectName("saveStatus")
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"Referral to {referral.receiving}: {referral.status_label}."))
        layout.addLayout(form)
        layout.addWidget(self.hint)
        layout.addWidget(self.errors.summary)
        layout.addWidget(buttons)
        add_save_shortcut(self, self.save)
        self._hint()

    def _hint(self, *_args) -> None:
        self.hint.setText(
            {
                "sent": "The day it was sent (empty: today).",
                "appointment_made": "The date of the specialist's appointment.",
                "report_received": "The day the report came (empty: today).",
                "cancelled": "Say in the note why it is cancelled.",
            }.get(self.status.currentData(), "")
        )

    def save(self) -> None:
        try:
            self.saved = set_referral_status(
                self.actor,
                self.referral.id,
                self.referral.version,
                self.status.currentData() or "",
                on=self.on.value(),
                note=self.note.text(),
            )
        except ValidationError as exc:
            self.errors.show(exc.field_errors)
            return
        except UserError as exc:
            self.errors.show({"": exc.message})
            return
        self.accept()
