"""The Problems tab: active problems first, then resolved and inactive ones; add, edit,
resolve, and mark entered in error (shown struck through when asked for)."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QVBoxLayout,
)

from emr.errors import UserError
from emr.services.problems import (
    STATUS_LABELS,
    ProblemRecord,
    list_problems,
    mark_problem_entered_in_error,
    resolve_problem,
)
from ui.chart.common import STRUCK_COLOUR, ChartTableModel, button, day
from ui.chart.pane import ChartPane
from ui.chart.problem_dialog import ProblemDialog
from ui.widgets.record_table import record_table, selected_record


class ProblemsPane(ChartPane):
    title = "Problems"

    def __init__(self, actor, patient_id: int, parent=None) -> None:
        super().__init__(actor, patient_id, parent)
        self.model = ChartTableModel(
            [
                ("Code", lambda p: p.icd10_code),
                ("Problem", lambda p: p.description),
                ("Status", lambda p: STATUS_LABELS.get(p.status, p.status)),
                ("Onset", lambda p: day(p.onset)),
                ("Resolved", lambda p: day(p.resolved_on)),
                ("Notes", lambda p: p.notes.replace("\n", " ")),
            ],
            self,
            foreground=lambda p: None if p.status == "active" else STRUCK_COLOUR,
        )
        self.table = record_table(self.model, "problemsTable")
        self.table.doubleClicked.connect(lambda _index: self.edit_problem())
        self.error = self.error_label()
        self.error.setObjectName("problemsError")
        self.add_button = button("&Add…", "addProblem", self.add_problem)
        self.edit_button = button("&Edit…", "editProblem", self.edit_problem)
        self.resolve_button = button("&Resolve", "resolveProblem", self.resolve)
        self.error_button = button("Entered in e&rror…", "problemInError", self.enter_in_error)
        self.show_errors = QCheckBox("Show entered in error")
        self.show_errors.setObjectName("showProblemErrors")
        self.show_errors.toggled.connect(self.reload)
        buttons = QHBoxLayout()
        for widget in (self.add_button, self.edit_button, self.resolve_button, self.error_button):
            buttons.addWidget(widget)
        buttons.addStretch()
        buttons.addWidget(self.show_errors)
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.error)
        layout.addWidget(self.table)
        self.table.selectionModel().currentRowChanged.connect(self._enable)
        self.reload()

    def reload(self) -> None:
        self.error.clear()
        try:
            rows = list_problems(
                self.actor, self.patient_id, include_errors=self.show_errors.isChecked()
            )
        except UserError as exc:
            self.error.setText(exc.message)
            rows = []
        self.model.set_rows(rows)
        self._enable()

    @property
    def problems(self) -> list[ProblemRecord]:
        return list(self.model.rows)

    def selected(self) -> ProblemRecord | None:
        return selected_record(self.table)

    def _enable(self, *_args) -> None:
        problem = self.selected()
        usable = problem is not None and not problem.entered_in_error
        self.edit_button.setEnabled(usable)
        self.error_button.setEnabled(usable)
        self.resolve_button.setEnabled(usable and problem.status != "resolved")

    def add_problem(self) -> None:
        self.open_dialog(ProblemDialog(self.actor, self.patient_id, parent=self))

    def edit_problem(self) -> None:
        problem = self.selected()
        if problem is None or problem.entered_in_error:
            return
        dialog = ProblemDialog(self.actor, self.patient_id, problem=problem, parent=self)
        self.open_dialog(dialog)

    def resolve(self) -> None:
        problem = self.selected()
        if problem is None:
            return
        try:
            resolve_problem(self.actor, problem.id, problem.version)
        except UserError as exc:
            self.show_error(exc.message)
            return
        self.saved()

    def enter_in_error(self) -> None:
        problem = self.selected()
        if problem is None:
            return
        self.ask_entered_in_error(
            "this problem",
            lambda reason: mark_problem_entered_in_error(
                self.actor, problem.id, problem.version, reason
            ),
        )
