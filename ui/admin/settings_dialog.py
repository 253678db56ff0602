"""The practice's settings: its profile for letterheads, its logo, and the settings kept for
every workstation (idle lock, backup folder, schedule grid)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from emr.errors import ConflictError, UserError, ValidationError
from emr.services.context import Actor
from emr.services.practice import (
    LOGO_MAX_BYTES,
    SLOT_MINUTES,
    PracticeInput,
    PracticeRecord,
    get_practice,
    update_practice,
)
from ui.widgets.field_errors import FieldErrors
from ui.widgets.shortcuts import add_save_shortcut

PROFILE_FIELDS: list[tuple[str, str]] = [
    ("name", "Practice &name"),
    ("address_line1", "&Address"),
    ("address_line2", "Address line &2"),
    ("city", "&City"),
    ("state", "S&tate"),
    ("postal_code", "&Postal code"),
    ("phone", "P&hone"),
    ("fax", "&Fax"),
    ("npi", "NP&I (type 2)"),
]
LOGO_THUMBNAIL = 96


class SettingsDialog(QDialog):
    """Edit the practice's settings; Save (Ctrl+S) keeps them and closes with accept()."""

    def __init__(self, actor: Actor, parent=None) -> None:
        super().__init__(parent)
        self.actor = actor
        self.setWindowTitle("Practice settings")
        self.record: PracticeRecord = get_practice(actor)
        self.saved_record: PracticeRecord | None = None
        self.logo_bytes: bytes | None = self.record.logo_png
        self.field_errors = FieldErrors()
        self.editors: dict[str, QLineEdit] = {}

        profile = QGroupBox("Practice (printed on letters and prescriptions)")
        profile_form = QFormLayout(profile)
        for name, label in PROFILE_FIELDS:
            editor = QLineEdit(getattr(self.record, name))
            editor.setObjectName(name)
            self.editors[name] = editor
            self._add_row(profile_form, label, editor, name)
        self.editors["npi"].setPlaceholderText("10 digits")

        logo = self._logo_row()
        self._add_row(profile_form, "&Logo", logo, "logo_png", self.choose_logo_button)

        workstations = QGroupBox("Every computer of the practice")
        station_form = QFormLayout(workstations)
        idle = self._idle_row()
        self._add_row(station_form, "Loc&k after", idle, "idle_lock_minutes", self.idle_minutes)
        backup = self._backup_row()
        self._add_row(station_form, "&Backup folder", backup, "backup_dir", self.backup_folder)
        self.slot_minutes = QComboBox()
        self.slot_minutes.setObjectName("slot_minutes")
        for minutes in SLOT_MINUTES:
            self.slot_minutes.addItem(f"{minutes} minutes", minutes)
        self.slot_minutes.setCurrentIndex(
            max(0, self.slot_minutes.findData(self.record.slot_minutes))
        )
        self._add_row(station_form, "Schedule &grid", self.slot_minutes, "slot_minutes")

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setObjectName("save")
        self.save_button.setToolTip("Save (Ctrl+S)")
        self.cancel_button = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        add_save_shortcut(self, self.save)

        layout = QVBoxLayout(self)
        layout.addWidget(self.field_errors.summary)
        layout.addWidget(profile)
        layout.addWidget(workstations)
        layout.addWidget(self.buttons)
        self._set_tab_order()
        self.editors["name"].setFocus()

    # --- building -----------------------------------------------------------------------------

    def _add_row(
        self, form: QFormLayout, text: str, editor: QWidget, name: str, focus: QWidget | None = None
    ) -> None:
        holder = self.field_errors.wrap(name, editor, focus)
        label = QLabel(text)
        label.setBuddy(self.field_errors.editors[name])
        form.addRow(label, holder)

    def _logo_row(self) -> QWidget:
        self.logo_preview = QLabel()
        self.logo_preview.setObjectName("logo_preview")
        self.logo_preview.setFixedSize(LOGO_THUMBNAIL, LOGO_THUMBNAIL)
        self.logo_preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.logo_preview.setStyleSheet("border: 1px solid #999;")
        self.choose_logo_button = QPushButton("Ch&oose…")
        self.choose_logo_button.setObjectName("choose_logo")
        self.choose_logo_button.clicked.connect(self.choose_logo)
        self.remove_logo_button = QPushButton("&Remove")
        self.remove_logo_button.setObjectName("remove_logo")
        self.remove_logo_button.clicked.connect(self.remove_logo)
        row = QWidget()
        line = QHBoxLayout(row)
        line.setContentsMargins(0, 0, 0, 0)
        line.addWidget(self.logo_preview)
        buttons = QVBoxLayout()
        buttons.addWidget(self.choose_logo_button)
        buttons.addWidget(self.remove_logo_button)
        buttons.addStretch(1)
        line.addLayout(buttons)
        line.addStretch(1)
        self._show_logo()
        return row

    def _idle_row(self) -> QWidget:
        machine = self.actor.db.settings.idle_lock_minutes
        self.idle_minutes = QSpinBox()
        self.idle_minutes.setObjectName("idle_lock_minutes")
        self.idle_minutes.setRange(1, 240)
        self.idle_minutes.setSuffix(" idle minutes")
        self.idle_minutes.setValue(self.record.idle_lock_minutes or machine)
        self.idle_use_machine = QCheckBox(f"&Use this computer's setting ({machine} minutes)")
        self.idle_use_machine.setObjectName("idle_use_machine")
        self.idle_use_machine.toggled.connect(lambda on: self.idle_minutes.setEnabled(not on))
        self.idle_use_machine.setChecked(self.record.idle_lock_minutes is None)
        self.idle_minutes.setEnabled(self.record.idle_lock_minutes is not None)
        row = QWidget()
        line = QHBoxLayout(row)
        line.setContentsMargins(0, 0, 0, 0)
        line.addWidget(self.idle_minutes)
        line.addWidget(self.idle_use_machine)
        line.addStretch(1)
        return row

    def _backup_row(self) -> QWidget:
        self.backup_folder = QLineEdit(self.record.backup_dir or "")
        self.backup_folder.setObjectName("backup_dir")
        self.backup_folder.setPlaceholderText(
            f"Empty: this computer's setting ({self.actor.db.settings.backup_dir})"
        )
        self.browse_backup_button = QPushButton("Bro&wse…")
        self.browse_backup_button.setObjectName("browse_backup")
        self.browse_backup_button.clicked.connect(self.browse_backup_folder)
        row = QWidget()
        line = QHBoxLayout(row)
        line.setContentsMargins(0, 0, 0, 0)
        line.addWidget(self.backup_folder, 1)
        line.addWidget(self.browse_backup_button)
        return row

    def _set_tab_order(self) -> None:
        chain: list[QWidget] = [self.editors[name] for name, _ in PROFILE_FIELDS]
        chain += [
            self.choose_logo_button,
            self.remove_logo_button,
            self.idle_minutes,
            self.idle_use_machine,
            self.backup_folder,
            self.browse_backup_button,
            self.slot_minutes,
            self.save_button,
            self.cancel_button,
        ]
        for first, second in zip(chain, chain[1:], strict=False):
            QWidget.setTabOrder(first, second)

    # --- the logo -----------------------------------------------------------------------------

    def choose_logo(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Choose the practice's logo", "", "Images (*.png *.jpg *.jpeg)"
        )
        if path:
            self.load_logo(path)

    def load_logo(self, path: str | Path) -> bool:
        """Take the logo from an image file; a problem is shown beside the logo."""
        path = Path(path)
        try:
            if path.stat().st_size > LOGO_MAX_BYTES:
                self.field_errors.show(
                    {"logo_png": "The logo is larger than 1 MB; use a smaller image."}
                )
                return False
            data = path.read_bytes()
        except OSError as exc:
            self.field_errors.show({"logo_png": f"Cannot read {path.name}: {exc.strerror}."})
            return False
        if not QPixmap().loadFromData(data):
            self.field_errors.show({"logo_png": f"{path.name} is not a PNG or JPEG image."})
            return False
        self.logo_bytes = data
        self.field_errors.labels["logo_png"].hide()
        self._show_logo()
        return True

    def remove_logo(self) -> None:
        self.logo_bytes = None
        self._show_logo()
        self.choose_logo_button.setFocus()

    def _show_logo(self) -> None:
        pixmap = QPixmap()
        if self.logo_bytes and pixmap.loadFromData(self.logo_bytes):
            self.logo_preview.setPixmap(
                pixmap.scaled(
                    LOGO_THUMBNAIL,
                    LOGO_THUMBNAIL,
                    Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation,
                )
            )
        else:
            self.logo_preview.setPixmap(QPixmap())
            self.logo_preview.setText("No logo")
        self.remove_logo_button.setEnabled(self.logo_bytes is not None)

    # --- the backup folder --------------------------------------------------------------------

    def browse_backup_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self, "Folder for the automatic backups", self.backup_folder.text()
        )
        if folder:
            self.backup_folder.setText(str(Path(folder)))

    # --- saving -------------------------------------------------------------------------------

    def practice_input(self) -> PracticeInput:
        return PracticeInput(
            **{name: editor.text() for name, editor in self.editors.items()},
            logo_png=self.logo_bytes,
            idle_lock_minutes=None
            if self.idle_use_machine.isChecked()
            else self.idle_minutes.value(),
            backup_dir=self.backup_folder.text().strip() or None,
            slot_minutes=self.slot_minutes.currentData(),
        )

    def save(self) -> None:
        try:
            record = update_practice(self.actor, self.record.version, self.practice_input())
        except ValidationError as exc:
            self.field_errors.show(exc.field_errors)
            return
        except ConflictError as exc:
            self.field_errors.show({"": str(exc)})
            return
        except UserError as exc:
            self.field_errors.show({"": f"Not saved: {exc}"})
            return
        self.saved_record = record
        self.accept()
