"""Recording one set of vital signs: one row per vital with its value and, where there is a
choice, its unit (the user's last choice is remembered per vital). BMI is computed as the
weight and height are typed; values outside the normal range are flagged before saving and
impossible ones are named beside their field. Ctrl+S saves."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QDateTime, QSettings, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from emr.codes import loinc, units
from emr.errors import UserError, ValidationError
from emr.localtime import now_local
from emr.services.context import Actor
from emr.services.vitals import (
    VITAL_LABELS,
    ObservationRecord,
    compute_bmi,
    format_number,
    latest_value,
    record_vitals,
    vital_flag,
)
from ui.style import ERROR_STYLE
from ui.widgets.shortcuts import add_save_shortcut

# The rows of the dialog, top to bottom; blood pressure is one row of two fields.
ROWS = [
    "blood_pressure",
    "heart_rate",
    "respiratory_rate",
    "temperature",
    "spo2",
    "weight",
    "height",
    "bmi",
    "head_circumference",
    "pain",
    "glucose",
]
# The units offered where people use more than one (UCUM codes; the first is the default).
CHOICES = {
    "temperature": ["Cel", "[degF]"],
    "weight": ["kg", "[lb_av]"],
    "height": ["cm", "[in_i]"],
    "head_circumference": ["cm", "[in_i]"],
    "glucose": ["mg/dL", "mmol/L"],
}
FLAG_STYLE = "color: #b00020; font-weight: bold;"
FLAG_WORDS = {"L": "Low", "H": "High"}


def _settings(actor: Actor) -> QSettings:
    path = actor.db.settings.data_dir / "workstation.ini"
    return QSettings(str(path), QSettings.Format.IniFormat)


def preferred_unit(actor: Actor, key: str) -> str:
    """The unit this user last entered this vital in (UCUM), or the vital's default."""
    choices = CHOICES.get(key)
    if not choices:
        return units.canonical_unit(key)
    unit = str(_settings(actor).value(f"vitals/{actor.username}/{key}", choices[0]))
    return unit if unit in choices else choices[0]


def remember_unit(actor: Actor, key: str, unit: str) -> None:
    if key in CHOICES:
        _settings(actor).setValue(f"vitals/{actor.username}/{key}", unit)


def parse_number(text: str) -> float | None:
    """A typed number ("98.6", "98,6"); None when nothing is typed; ValueError otherwise."""
    text = text.strip().replace(",", ".")
    return float(text) if text else None


class VitalsDialog(QDialog):
    """`saved` holds the observations recorded, after accept."""

    def __init__(
        self, actor: Actor, patient_id: int, encounter_id: int | None = None, parent=None
    ) -> None:
        super().__init__(parent)
        self.actor = actor
        self.patient_id = patient_id
        self.encounter_id = encounter_id
        self.saved: list[ObservationRecord] = []
        self.setWindowTitle("Record vitals")
        self.setObjectName("vitalsDialog")
        self.fields: dict[str, QLineEdit] = {}
        self.unit_boxes: dict[str, QComboBox] = {}
        self.flags: dict[str, QLabel] = {}
        self.errors: dict[str, QLabel] = {}
        self._last_height = self._read_last_height()

        self.measured_at = QDateTimeEdit(self._qdatetime(now_local()))
        self.measured_at.setObjectName("measuredAt")
        self.measured_at.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.measured_at.setCalendarPopup(True)

        grid = QGridLayout()
        grid.addWidget(QLabel("Measured at"), 0, 0)
        grid.addWidget(self.measured_at, 0, 1, 1, 2)
        self.errors["measured_at"] = self._error_label()
        grid.addWidget(self.errors["measured_at"], 1, 1, 1, 3)
        row = 2
        for name in ROWS:
            row = self._add_row(grid, row, name)

        self.bmi = QLabel("—")
        self.bmi.setObjectName("bmiValue")
        bmi_row = self._row_of["bmi"]
        grid.addWidget(self.bmi, bmi_row, 1)

        self.message = self._error_label()
        self.message.setObjectName("vitalsMessage")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        add_save_shortcut(self, self.save)

        layout = QVBoxLayout(self)
        layout.addLayout(grid)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        self._set_tab_order()
        self._refresh()
        self.fields["systolic"].setFocus()

    # --- building -----------------------------------------------------------------------------

    _row_of: dict[str, int]

    def _error_label(self) -> QLabel:
        label = QLabel()
        label.setStyleSheet(ERROR_STYLE)
        label.setWordWrap(True)
        label.hide()
        return label

    def _value_field(self, key: str) -> QLineEdit:
        field = QLineEdit()
        field.setObjectName(f"vital_{key}")
        field.setMaximumWidth(90)
        field.setAlignment(Qt.AlignmentFlag.AlignRight)
        field.textChanged.connect(self._refresh)
        field.setAccessibleName(VITAL_LABELS[key])
        self.fields[key] = field
        return field

    def _unit_widget(self, key: str) -> QWidget:
        choices = CHOICES.get(key)
        if not choices:
            return QLabel(units.unit_label(units.canonical_unit(key)))
        box = QComboBox()
        box.setObjectName(f"unit_{key}")
        for unit in choices:
            box.addItem(units.unit_label(unit), unit)
        box.setCurrentIndex(choices.index(preferred_unit(self.actor, key)))
        box.currentIndexChanged.connect(self._refresh)
        self.unit_boxes[key] = box
        return box

    def _add_row(self, grid: QGridLayout, row: int, name: str) -> int:
        self._row_of = getattr(self, "_row_of", {})
        self._row_of[name] = row
        flag = QLabel()
        flag.setStyleSheet(FLAG_STYLE)
        error = self._error_label()
        if name == "blood_pressure":
            grid.addWidget(QLabel("Blood pressure"), row, 0)
            pair = QHBoxLayout()
            pair.addWidget(self._value_field("systolic"))
            pair.addWidget(QLabel("/"))
            pair.addWidget(self._value_field("diastolic"))
            grid.addLayout(pair, row, 1)
            grid.addWidget(QLabel("mmHg"), row, 2)
            keys = ("systolic", "diastolic")
        elif name == "bmi":
            grid.addWidget(QLabel("BMI (computed)"), row, 0)
            grid.addWidget(QLabel(units.unit_label("kg/m2")), row, 2)
            keys = ("bmi",)
        else:
            grid.addWidget(QLabel(VITAL_LABELS[name]), row, 0)
            grid.addWidget(self._value_field(name), row, 1)
            grid.addWidget(self._unit_widget(name), row, 2)
            keys = (name,)
        grid.addWidget(flag, row, 3)
        grid.addWidget(error, row + 1, 1, 1, 3)
        for key in keys:
            self.flags[key] = flag
            self.errors[key] = error
        return row + 2

    def _set_tab_order(self) -> None:
        chain: list[QWidget] = [self.measured_at]
        for name in ROWS:
            keys = ("systolic", "diastolic") if name == "blood_pressure" else (name,)
            for key in keys:
                if key in self.fields:
                    chain.append(self.fields[key])
                if key in self.unit_boxes:
                    chain.append(self.unit_boxes[key])
        chain += [self.save_button, self.buttons.button(QDialogButtonBox.StandardButton.Cancel)]
        for first, second in zip(chain, chain[1:], strict=False):
            QWidget.setTabOrder(first, second)

    @staticmethod
    def _qdatetime(when: datetime) -> QDateTime:
        return QDateTime.fromSecsSinceEpoch(int(when.timestamp()))

    def _read_last_height(self) -> tuple[datetime, float] | None:
        try:
            return latest_value(self.actor, self.patient_id, "height")
        except UserError:
            return None

    # --- live checks --------------------------------------------------------------------------

    def unit_of(self, key: str) -> str:
        box = self.unit_boxes.get(key)
        return box.currentData() if box is not None else units.canonical_unit(key)

    def _canonical(self, key: str) -> float | None:
        """The typed value in the canonical unit, None if empty; ValueError if not a number."""
        value = parse_number(self.fields[key].text())
        if value is None:
            return None
        return round(units.to_canonical(key, value, self.unit_of(key)), 2)

    def _refresh(self) -> None:
        """Flag abnormal values and name impossible ones as they are typed; compute BMI."""
        flags: dict[QLabel, list[str]] = {}
        problems: dict[QLabel, list[str]] = {}
        canonical: dict[str, float] = {}
        for key in self.fields:
            flags.setdefault(self.flags[key], [])
            problems.setdefault(self.errors[key], [])
            try:
                value = self._canonical(key)
            except ValueError:
                problems[self.errors[key]].append("Enter a number.")
                continue
            if value is None:
                continue
            try:
                loinc.check_vital(key, value)
            except ValidationError:
                problems[self.errors[key]].append("Not a possible value: check it and its unit.")
                continue
            canonical[key] = value
            if flag := vital_flag(key, value):
                flags[self.flags[key]].append(FLAG_WORDS[flag])
        self._show_bmi(canonical, flags)
        for label, words in flags.items():
            label.setText(" / ".join(words) if len(set(words)) > 1 else "".join(words[:1]))
        for label, texts in problems.items():
            if label is self.errors.get("measured_at"):
                continue
            label.setText(" ".join(dict.fromkeys(texts)))
            label.setVisible(bool(texts))

    def _show_bmi(self, canonical: dict[str, float], flags: dict[QLabel, list[str]]) -> None:
        weight, height = canonical.get("weight"), canonical.get("height")
        note = ""
        if weight is not None and height is None and self._last_height is not None:
            when, height = self._last_height
            note = f" (height {format_number(height)} cm of {when:%Y-%m-%d})"
        if weight is None or height is None:
            self.bmi.setText("—")
            self.flags["bmi"].setText("")
            return
        bmi = compute_bmi(weight, height)
        self.bmi.setText(f"{bmi:.1f}{note}")
        flags[self.flags["bmi"]] = [FLAG_WORDS[f]] if (f := vital_flag("bmi", bmi)) else []

    # --- saving -------------------------------------------------------------------------------

    def values(self) -> dict[str, tuple[float, str]]:
        """What is typed, per vital key (value and unit as entered); ValueError naming bad keys."""
        typed: dict[str, tuple[float, str]] = {}
        bad: list[str] = []
        for key, field in self.fields.items():
            try:
                value = parse_number(field.text())
            except ValueError:
                bad.append(key)
                continue
            if value is not None:
                typed[key] = (value, self.unit_of(key))
        if bad:
            raise ValidationError({key: "Enter a number." for key in bad})
        return typed

    def show_errors(self, errors: dict[str, str]) -> None:
        for label in set(self.errors.values()):
            label.hide()
        general: list[str] = []
        shown: dict[QLabel, list[str]] = {}
        for key, text in errors.items():
            label = self.errors.get(key)
            if label is None:
                general.append(text)
            else:
                shown.setdefault(label, []).append(text)
        for label, texts in shown.items():
            label.setText(" ".join(texts))
            label.show()
        self.message.setText(" ".join(general) or "Nothing was saved: correct the fields in red.")
        self.message.show()
        first = next((k for k in errors if k in self.fields), None)
        if first is not None:
            self.fields[first].setFocus()
            self.fields[first].selectAll()

    def save(self) -> None:
        try:
            typed = self.values()
            measured_at = self.measured_at.dateTime().toPython().replace(second=0, microsecond=0)
            self.saved = record_vitals(
                self.actor, self.patient_id, measured_at, typed, encounter_id=self.encounter_id
            )
        except ValidationError as exc:
            self.show_errors(exc.field_errors)
            return
        except UserError as exc:
            self.show_errors({"": str(exc)})
            return
        for key in typed:
            remember_unit(self.actor, key, self.unit_of(key))
        self.accept()
