"""The main window: the workspaces the user's role allows, the status bar, the idle lock."""

from __future__ import annotations

import logging

from PySide6.QtCore import Signal
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import QLabel, QMainWindow, QMessageBox, QTabWidget

from emr.errors import UserError
from emr.security.permissions import ROLE_LABELS, Permission, Role
from emr.services.auth import logout
from emr.services.context import Actor
from emr.services.practice import idle_lock_minutes
from ui.admin.workspace import AdminWorkspace
from ui.chart.workspace import ChartWorkspace
from ui.lock import IdleWatcher, LockScreen
from ui.outbox.workspace import OutboxWorkspace
from ui.patients.workspace import PatientsWorkspace
from ui.schedule.workspace import ScheduleWorkspace
from ui.style import UNENCRYPTED_STYLE

log = logging.getLogger(__name__)


class MainWindow(QMainWindow):
    user_switched = Signal(object)  # Actor: rebuild the window for another user

    def __init__(self, actor: Actor, *, idle_lock_ms: int | None = None) -> None:
        super().__init__()
        self.actor = actor
        self._closing_for_switch = False
        self.setWindowTitle(f"Small-practice EMR — {actor.full_name}")
        self.resize(1180, 760)

        self.tabs = QTabWidget()
        self.tabs.setObjectName("workspaces")
        self.schedule: ScheduleWorkspace | None = None
        if actor.can(Permission.SCHEDULE_READ):
            self.schedule = ScheduleWorkspace(actor)
            self.tabs.addTab(self.schedule, "&Schedule")
        self.patients: PatientsWorkspace | None = None
        if actor.can(Permission.PATIENT_READ):
            self.patients = PatientsWorkspace(actor)
            self.tabs.addTab(self.patients, "&Patients")
        self.chart: ChartWorkspace | None = None
        if actor.can(Permission.CHART_READ):
            self.chart = ChartWorkspace(actor)
            self.tabs.addTab(self.chart, "C&hart")
            if self.schedule is not None:
                self.schedule.chart_requested.connect(self.open_chart)
                self.schedule.visit_requested.connect(self.start_visit)
            if actor.can(Permission.CHART_WRITE):
                from emr.codes.icd10 import warm_up
                from ui.workers import run_in_background

                # The code picker's first search would otherwise load the index (~0.3 s).
                run_in_background(warm_up, on_error=lambda exc: log.warning("ICD-10: %s", exc))
        self.outbox: OutboxWorkspace | None = None
        if actor.can(Permission.OUTBOX_MANAGE):
            self.outbox = OutboxWorkspace(actor)
            self.tabs.addTab(self.outbox, "&Outbox")
        self.admin: AdminWorkspace | None = None
        if actor.can(Permission.SETTINGS_MANAGE):
            self.admin = AdminWorkspace(actor)
            self.tabs.addTab(self.admin, "&Admin")
        self.setCentralWidget(self.tabs)

        self._build_menu()
        self._build_status_bar()
        QShortcut(QKeySequence("Ctrl+F"), self, activated=self.focus_patient_search)
        QShortcut(QKeySequence("Ctrl+N"), self, activated=self.register_patient)

        self.lock_screen = LockScreen(actor, self)
        self.lock_screen.unlocked.connect(self._unlocked)
        self.lock_screen.other_user.connect(self._switch_user)
        try:
            minutes = idle_lock_minutes(actor)
        except UserError:
            minutes = actor.db.settings.idle_lock_minutes
        self.idle = IdleWatcher(idle_lock_ms or minutes * 60_000, self)
        self.idle.idle.connect(self.lock)

    # --- building -----------------------------------------------------------------------------

    def _build_menu(self) -> None:
        menu = self.menuBar().addMenu("&File")
        lock = QAction("&Lock now", self, shortcut=QKeySequence("Ctrl+L"), triggered=self.lock)
        out = QAction("Log &out", self, triggered=self.log_out)
        quit_ = QAction("&Quit", self, shortcut=QKeySequence.StandardKey.Quit, triggered=self.close)
        actions = [lock, out, quit_]
        if self.actor.can(Permission.EMERGENCY_ACCESS) and not self.actor.can(
            Permission.CHART_READ
        ):
            emergency = QAction("&Emergency access to a chart…", self)
            emergency.triggered.connect(self.emergency_chart)
            actions.insert(0, emergency)
        for action in actions:
            menu.addAction(action)

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        role = (
            ROLE_LABELS.get(Role(self.actor.role), self.actor.role)
            if self.actor.role in {r.value for r in Role}
            else self.actor.role
        )
        self.user_label = QLabel(f"{self.actor.full_name} — {role}")
        self.user_label.setObjectName("statusUser")
        self.db_label = QLabel(f"Database: {self.actor.db.description}")
        self.db_label.setObjectName("statusDatabase")
        bar.addWidget(self.user_label)
        bar.addPermanentWidget(self.db_label)
        if not self.actor.db.encrypted:
            marker = QLabel("UNENCRYPTED")
            marker.setObjectName("unencrypted")
            marker.setStyleSheet(UNENCRYPTED_STYLE)
            marker.setToolTip("This database file is not encrypted: for development only.")
            bar.addPermanentWidget(marker)

    # --- actions ------------------------------------------------------------------------------

    def focus_patient_search(self) -> None:
        if self.patients is not None and not self.lock_screen.isVisible():
            self.tabs.setCurrentWidget(self.patients)
            self.patients.focus_search()

    def open_chart(self, patient_id: int) -> None:
        if self.chart is not None and not self.lock_screen.isVisible():
            self.tabs.setCurrentWidget(self.chart)
            self.chart.open_chart(patient_id)

    def start_visit(self, appointment_id: int) -> None:
        """The appointment's encounter, made the first time, opened in the chart."""
        from emr.services.encounters import start_from_appointment

        if self.chart is None or self.lock_screen.isVisible():
            return
        try:
            encounter = start_from_appointment(self.actor, appointment_id)
        except UserError as exc:
            if self.schedule is not None:
                self.schedule.show_error(str(exc))
            return
        self.tabs.setCurrentWidget(self.chart)
        if self.chart.open_chart(encounter.patient_id) and self.chart.chart is not None:
            self.chart.chart.open_record("encounters", encounter.id)

    def emergency_chart(self) -> None:
        """Roles without chart access break the glass in a Chart tab opened for it."""
        if self.chart is None:
            self.chart = ChartWorkspace(self.actor)
            self.tabs.addTab(self.chart, "C&hart (emergency)")
        self.tabs.setCurrentWidget(self.chart)
        self.chart.focus_search()

    def register_patient(self) -> None:
        if self.patients is not None and not self.lock_screen.isVisible():
            self.tabs.setCurrentWidget(self.patients)
            self.patients.new_patient()

    def has_unsaved_changes(self) -> bool:
        return self.patients is not None and self.patients.has_unsaved_changes()

    def lock(self) -> None:
        self.idle.pause()
        unsaved = self.has_unsaved_changes()
        self.tabs.hide()  # nothing of the chart shows behind or around the lock screen
        self.menuBar().setEnabled(False)
        self.lock_screen.lock(unsaved)

    def _unlocked(self) -> None:
        self.tabs.show()
        self.menuBar().setEnabled(True)
        self.idle.resume()

    def _switch_user(self, actor: Actor) -> None:
        log.info("user %s took over from %s at the lock screen", actor.user_id, self.actor.user_id)
        logout(self.actor)
        self._closing_for_switch = True
        self.user_switched.emit(actor)

    def log_out(self) -> None:
        if self.has_unsaved_changes() and not self._confirm_discard():
            return
        logout(self.actor)
        self._closing_for_switch = True
        self.close()

    def _confirm_discard(self) -> bool:
        answer = QMessageBox.question(
            self, "Unsaved changes", "Discard the changes that are not saved?"
        )
        return answer == QMessageBox.StandardButton.Yes

    def close_without_asking(self) -> None:
        self._closing_for_switch = True
        self.close()

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self.lock_screen.setGeometry(self.rect())

    def closeEvent(self, event) -> None:  # noqa: N802
        if not self._closing_for_switch:
            if self.has_unsaved_changes() and not self._confirm_discard():
                event.ignore()
                return
            logout(self.actor)
        self.idle.stop()
        event.accept()

    # --- smoke run ----------------------------------------------------------------------------

    def smoke_test(self) -> list[str]:
        """Open each workspace with real data once (for `emr --smoke`); names what was opened."""
        opened = []
        if self.schedule is not None:
            self.tabs.setCurrentWidget(self.schedule)
            opened.append(self.schedule.smoke_test())
        if self.patients is not None:
            self.tabs.setCurrentWidget(self.patients)
            for query in ("a", "e", "o", "1"):
                self.patients.search.setText(query)
                self.patients.run_search()
                if self.patients.model.rowCount():
                    break
            if self.patients.model.rowCount():
                self.patients.open_patient(0)
                opened.append(f"Patients ({self.patients.form.title.text()})")
                self.patients.show_search()
            else:
                opened.append("Patients (no patients in the database)")
        if self.chart is not None:
            self.tabs.setCurrentWidget(self.chart)
            opened.append(self.chart.smoke_test())
        if self.outbox is not None:
            self.tabs.setCurrentWidget(self.outbox)
            opened.append(self.outbox.smoke_test())
        if self.admin is not None:
            self.tabs.setCurrentWidget(self.admin)
            opened.append(self.admin.smoke_test())
        return opened
