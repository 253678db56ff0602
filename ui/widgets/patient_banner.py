"""The patient banner: who this is at a glance (photo, name, age and sex, born, MRN).

Compact, read-only, and fed only by records, so that every workspace showing one patient (the
registration, later the chart) can put it at its top.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QSize, Qt
from PySide6.QtGui import QColor, QFont, QImage, QImageReader, QPainter, QPixmap
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QVBoxLayout

from emr.services.patients import SEXES, PatientRecord

PHOTO_SIZE = 64
PLACEHOLDER_BACKGROUND = "#d5d9de"
PLACEHOLDER_TEXT = "#4a5058"
MARKER_STYLE = "color: white; background: #8a5a00; font-weight: bold; padding: 1px 6px;"


def age_text(born: date, on: date) -> str:
    """Age as a clinic says it: days for a newborn, months under two, then years."""
    days = (on - born).days
    months = (on.year - born.year) * 12 + on.month - born.month - (on.day < born.day)
    if months < 1:
        return f"{max(days, 0)} d"
    if months < 24:
        return f"{months} mo"
    return f"{months // 12} y"


def initials(record: PatientRecord) -> str:
    return "".join(name.strip()[:1].upper() for name in (record.given_name, record.family_name))


def decode_image(data: bytes) -> QImage:
    """The picture in `data` upright (a camera's orientation tag applied); null if unreadable."""
    buffer = QBuffer()
    buffer.setData(QByteArray(data))
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    reader = QImageReader(buffer)
    reader.setAutoTransform(True)
    return reader.read()


def placeholder(text: str, size: int = PHOTO_SIZE) -> QPixmap:
    """A neutral round badge with the patient's initials, for a patient without a photo."""
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(PLACEHOLDER_BACKGROUND))
    painter.drawEllipse(0, 0, size, size)
    font = QFont()
    font.setPixelSize(size * 2 // 5)
    font.setBold(True)
    painter.setFont(font)
    painter.setPen(QColor(PLACEHOLDER_TEXT))
    painter.drawText(pixmap.rect(), Qt.AlignmentFlag.AlignCenter, text)
    painter.end()
    return pixmap


class PatientBanner(QFrame):
    """`set_patient(record, photo)` shows a patient; `clear()` shows nobody."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("patientBanner")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.record: PatientRecord | None = None
        self.has_photo = False

        self.photo = QLabel()
        self.photo.setObjectName("bannerPhoto")
        self.photo.setFixedSize(QSize(PHOTO_SIZE, PHOTO_SIZE))
        self.photo.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.name = self._label("bannerName")
        self.name.setStyleSheet("font-size: 15pt; font-weight: bold;")
        self.name.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status = self._label("bannerStatus")
        self.status.setStyleSheet(MARKER_STYLE)
        self.age_sex = self._label("bannerAgeSex")
        self.born = self._label("bannerBirthDate")
        self.mrn = self._label("bannerMrn")
        self.mrn.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        top = QHBoxLayout()
        top.addWidget(self.name)
        top.addWidget(self.status)
        top.addStretch(1)
        facts = QHBoxLayout()
        facts.setSpacing(18)
        for label in (self.age_sex, self.born, self.mrn):
            facts.addWidget(label)
        facts.addStretch(1)
        text = QVBoxLayout()
        text.setSpacing(2)
        text.addLayout(top)
        text.addLayout(facts)
        row = QHBoxLayout(self)
        row.setContentsMargins(6, 4, 6, 4)
        row.addWidget(self.photo)
        row.addLayout(text, 1)
        self.clear()

    def _label(self, name: str) -> QLabel:
        label = QLabel()
        label.setObjectName(name)
        return label

    def clear(self) -> None:
        self.record = None
        self.has_photo = False
        self.photo.clear()
        for label in (self.name, self.age_sex, self.born, self.mrn, self.status):
            label.setText("")
        self.status.hide()

    def set_patient(
        self, record: PatientRecord, photo: bytes | None, *, today: date | None = None
    ) -> None:
        self.record = record
        on = (record.deceased_date if record.deceased else None) or today or date.today()
        sex = SEXES.get(record.sex, record.sex).capitalize()
        self.name.setText(record.display_name)
        self.age_sex.setText(f"{age_text(record.date_of_birth, on)} · {sex}")
        self.age_sex.setToolTip("Age at death" if record.deceased else "Age today")
        self.born.setText(f"Born {record.date_of_birth.isoformat()}")
        self.mrn.setText(f"MRN {record.mrn}")
        markers = []
        if record.deceased:
            died = record.deceased_date.isoformat() if record.deceased_date else "date unknown"
            markers.append(f"Deceased {died}")
        if not record.active:
            markers.append("INACTIVE")
        self.status.setText(" · ".join(markers))
        self.status.setToolTip("" if record.active else f"Inactive: {record.deactivation_reason}")
        self.status.setVisible(bool(markers))
        self._show_photo(photo, record)

    def _show_photo(self, photo: bytes | None, record: PatientRecord) -> None:
        image = decode_image(photo) if photo else QImage()
        self.has_photo = not image.isNull()
        if self.has_photo:
            self.photo.setPixmap(
                QPixmap.fromImage(image).scaled(
                    PHOTO_SIZE,
                    PHOTO_SIZE,
                    Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation,
                )
            )
            self.photo.setToolTip(f"Photo of {record.display_name}")
        else:
            self.photo.setPixmap(placeholder(initials(record)))
            self.photo.setToolTip("No photo")
