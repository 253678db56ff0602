"""The audit trail: recent events, filtered by a patient's MRN or a user, and the chain check.

Listing the trail is itself audited, so it is read when asked for, not on every visit."""

from __future__ import annotations

from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from emr.errors import UserError
from emr.localtime import to_local
from emr.security.audit import ChainReport
from emr.services.audit_trail import AuditEntry, list_events, verify_trail
from emr.services.context import Actor
from ui.style import ERROR_STYLE
from ui.widgets.record_table import RecordTableModel

RECENT_EVENTS = 500
OK_STYLE = "color: #1b5e20;"


def _entity(e: AuditEntry) -> str:
    return e.entity if e.entity_id is None else f"{e.entity} {e.entity_id}"


class AuditPanel(QWidget):
    def __init__(self, actor: Actor, parent=None) -> None:
        super().__init__(parent)
        self.actor = actor
        self.loaded = False
        self.last_report: ChainReport | None = None

        self.patient_mrn = QLineEdit()
        self.patient_mrn.setObjectName("patient_mrn")
        self.patient_mrn.setPlaceholderText("any patient")
        self.username = QLineEdit()
        self.username.setObjectName("username")
        self.username.setPlaceholderText("any user")
        for editor in (self.patient_mrn, self.username):
            editor.returnPressed.connect(self.reload)
        self.show_button = QPushButton("&Show")
        self.show_button.setObjectName("show_events")
        self.show_button.clicked.connect(self.reload)
        self.verify_button = QPushButton("&Verify chain")
        self.verify_button.setObjectName("verify_chain")
        self.verify_button.clicked.connect(self.verify)
        mrn_label = QLabel("Patient &MRN")
        mrn_label.setBuddy(self.patient_mrn)
        user_label = QLabel("U&ser")
        user_label.setBuddy(self.username)

        self.model = RecordTableModel(
            [
                ("When", lambda e: f"{to_local(e.occurred_at):%Y-%m-%d %H:%M:%S}"),
                ("User", lambda e: e.username),
                ("Action", lambda e: e.action),
                ("Record", _entity),
                ("Patient MRN", lambda e: e.patient_mrn),
                ("Detail", lambda e: e.detail),
                ("Emergency", lambda e: "BREAK THE GLASS" if e.emergency else ""),
            ],
            self,
            foreground=lambda e: QColor("#b00020") if e.emergency else None,
        )
        self.table = QTableView()
        self.table.setObjectName("audit_events")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(5, QHeaderView.ResizeMode.Stretch)
        self.message = QLabel()
        self.message.setObjectName("audit_message")
        self.message.setWordWrap(True)
        self.chain_result = QLabel()
        self.chain_result.setObjectName("chain_result")
        self.chain_result.setWordWrap(True)

        filters = QHBoxLayout()
        filters.addWidget(mrn_label)
        filters.addWidget(self.patient_mrn)
        filters.addWidget(user_label)
        filters.addWidget(self.username)
        filters.addWidget(self.show_button)
        filters.addStretch(1)
        filters.addWidget(self.verify_button)
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(self.message)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.chain_result)

    def ensure_loaded(self) -> None:
        if not self.loaded:
            self.reload()

    def reload(self) -> None:
        self.loaded = True
        try:
            events = list_events(
                self.actor,
                patient_mrn=self.patient_mrn.text().strip() or None,
                username=self.username.text().strip() or None,
                limit=RECENT_EVENTS,
            )
        except UserError as exc:
            self.model.set_rows([])
            self._say(self.message, str(exc), ERROR_STYLE)
            return
        self.model.set_rows(events)
        shown = "the most recent " if len(events) == RECENT_EVENTS else ""
        self._say(self.message, f"Showing {shown}{len(events)} events, newest first.", "")

    def verify(self) -> ChainReport:
        self.last_report = report = verify_trail(self.actor.db)
        if report.ok:
            text = f"Audit chain OK: {report.events_checked} events checked, none altered."
            self._say(self.chain_result, text, OK_STYLE)
        else:
            text = (
                f"Audit chain BROKEN after {report.events_checked} good events: {report.problem}."
            )
            self._say(self.chain_result, text, ERROR_STYLE)
        return report

    @staticmethod
    def _say(label: QLabel, text: str, style: str) -> None:
        label.setText(text)
        label.setStyleSheet(style)
