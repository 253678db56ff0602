"""The Admin workspace: practice settings, schedule setup, users and the audit trail."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from emr.services.context import Actor
from emr.services.practice import PracticeRecord, get_practice
from ui.admin.audit_panel import AuditPanel
from ui.admin.schedule_setup import ScheduleSetupPanel
from ui.admin.settings_dialog import LOGO_THUMBNAIL, SettingsDialog
from ui.admin.users_panel import UsersPanel


def describe_practice(record: PracticeRecord, actor: Actor) -> str:
    """The profile as a short HTML summary."""
    machine = actor.db.settings
    if record.version == 0:
        heading = "<b>The practice's profile is not filled in yet.</b>"
    else:
        heading = f"<b>{escape(record.name) or '(no name)'}</b>"
    lines = [escape(line) for line in record.address_lines]
    for label, value in (("Phone", record.phone), ("Fax", record.fax), ("NPI", record.npi)):
        if value:
            lines.append(f"{label}: {escape(value)}")
    lines.append("")
    lines.append(
        f"Lock after {record.idle_lock_minutes} idle minutes"
        if record.idle_lock_minutes
        else f"Lock after this computer's setting ({machine.idle_lock_minutes} minutes)"
    )
    lines.append(
        f"Backups to {escape(record.backup_dir)}"
        if record.backup_dir
        else f"Backups to this computer's folder ({escape(str(machine.backup_dir))})"
    )
    lines.append(f"Schedule grid: {record.slot_minutes} minutes")
    return "<br>".join([heading, *lines])


class PracticeSummary(QWidget):
    def __init__(self, actor: Actor, parent=None) -> None:
        super().__init__(parent)
        self.actor = actor
        self.record: PracticeRecord | None = None
        self.dialog: SettingsDialog | None = None
        self.summary = QLabel()
        self.summary.setObjectName("practice_summary")
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.summary.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.logo = QLabel()
        self.logo.setObjectName("practice_logo")
        self.logo.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.edit_button = QPushButton("&Edit practice settings…")
        self.edit_button.setObjectName("edit_practice")
        self.edit_button.clicked.connect(self.open_settings)
        top = QHBoxLayout()
        top.addWidget(self.logo)
        top.addWidget(self.summary, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.edit_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(buttons)
        layout.addStretch(1)

    def reload(self) -> PracticeRecord:
        self.record = get_practice(self.actor)
        self.summary.setText(describe_practice(self.record, self.actor))
        pixmap = QPixmap()
        if self.record.logo_png and pixmap.loadFromData(self.record.logo_png):
            self.logo.setPixmap(
                pixmap.scaled(
                    LOGO_THUMBNAIL,
                    LOGO_THUMBNAIL,
                    Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation,
                )
            )
            self.logo.show()
        else:
            self.logo.clear()
            self.logo.hide()
        return self.record

    def open_settings(self) -> SettingsDialog:
        self.dialog = SettingsDialog(self.actor, self)
        self.dialog.accepted.connect(self.reload)
        self.dialog.open()
        return self.dialog


class AdminWorkspace(QWidget):
    """Administrators only. Each tab reads its data when it is shown; the audit trail only
    once (reading it is audited) and again when asked."""

    def __init__(self, actor: Actor, parent=None) -> None:
        super().__init__(parent)
        self.actor = actor
        self.practice = PracticeSummary(actor)
        self.schedule = ScheduleSetupPanel(actor)
        self.users = UsersPanel(actor)
        self.audit = AuditPanel(actor)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("admin_tabs")
        self.tabs.addTab(self.practice, "Practice settings")
        self.tabs.addTab(self.schedule, "Schedule setup")
        self.tabs.addTab(self.users, "Users")
        self.tabs.addTab(self.audit, "Audit trail")
        self.tabs.currentChanged.connect(self._tab_shown)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tabs)
        self._tab_shown()

    def _tab_shown(self, _index: int = -1) -> None:
        page = self.tabs.currentWidget()
        if page is self.practice:
            self.practice.reload()
        elif page is self.schedule:
            self.schedule.reload()  # a physician may just have been added under Users
        elif page is self.users:
            self.users.reload()
        elif page is self.audit:
            self.audit.ensure_loaded()

    def show_panel(self, panel: QWidget) -> None:
        self.tabs.setCurrentWidget(panel)

    def smoke_test(self) -> str:
        """Load every panel's data once (for `emr --smoke`); a short description of it."""
        practice = self.practice.reload()
        self.schedule.reload()
        self.users.reload()
        self.audit.reload()
        report = self.audit.verify()
        name = practice.name or "profile not set"
        return (
            f"Admin (practice: {name}; providers: {len(self.schedule.providers)}; "
            f"appointment types: {self.schedule.types_model.rowCount()}; "
            f"users: {self.users.model.rowCount()}; "
            f"audit events: {self.audit.model.rowCount()}; "
            f"audit chain {'OK' if report.ok else 'BROKEN'})"
        )
