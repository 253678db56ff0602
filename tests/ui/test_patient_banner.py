"""The patient banner: name, age and sex, birth date, MRN, the photo or the initials badge."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from PySide6.QtCore import QBuffer, QByteArray, QIODevice
from PySide6.QtGui import QColor, QImage

from ui.widgets.patient_banner import (
    PHOTO_SIZE,
    PLACEHOLDER_BACKGROUND,
    PatientBanner,
    age_text,
)


def encoded(image: QImage, fmt: str) -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    assert image.save(buffer, fmt)
    return bytes(data.data())


def picture(width: int, height: int, colour: str = "#208040") -> QImage:
    image = QImage(width, height, QImage.Format.Format_RGB32)
    image.fill(QColor(colour))
    return image


@pytest.fixture
def banner(qtbot):
    widget = PatientBanner()
    qtbot.addWidget(widget)
    widget.show()
    return widget


@pytest.mark.parametrize(
    ("born", "on", "expected"),
    [
        (date(2026, 3, 1), date(2026, 3, 1), "0 d"),
        (date(2026, 3, 1), date(2026, 3, 20), "19 d"),
        (date(2026, 1, 31), date(2026, 3, 1), "1 mo"),
        (date(2025, 3, 2), date(2027, 3, 1), "23 mo"),
        (date(2025, 3, 1), date(2027, 3, 1), "2 y"),
        (date(1984, 3, 7), date(2026, 3, 6), "41 y"),
        (date(1984, 3, 7), date(2026, 3, 7), "42 y"),
    ],
)
def test_age_is_said_in_days_months_or_years(born, on, expected):
    assert age_text(born, on) == expected


def test_a_patient_without_a_photo_gets_an_initials_badge(banner, patients):
    anna = patients[0]
    banner.set_patient(anna, None, today=date(2026, 3, 7))
    assert banner.name.text() == "Müller, Anna"
    assert banner.age_sex.text() == "42 y · Female"
    assert banner.born.text() == "Born 1984-03-07"
    assert banner.mrn.text() == f"MRN {anna.mrn}"
    assert banner.status.isHidden()
    assert not banner.has_photo
    badge = banner.photo.pixmap().toImage()
    assert (badge.width(), badge.height()) == (PHOTO_SIZE, PHOTO_SIZE)
    assert badge.pixelColor(0, 0).alpha() == 0  # round: the corners are clear
    assert badge.pixelColor(6, PHOTO_SIZE // 2).name() == PLACEHOLDER_BACKGROUND
    assert banner.photo.toolTip() == "No photo"


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_a_photo_is_shown_fitted_into_the_banner(banner, patients, fmt):
    banner.set_patient(patients[1], encoded(picture(200, 400), fmt))
    assert banner.has_photo
    shown = banner.photo.pixmap().toImage()
    assert (shown.width(), shown.height()) == (32, 64)
    colour = shown.pixelColor(16, 32)
    assert abs(colour.green() - 0x80) <= 4 and colour.red() < 0x30
    assert banner.age_sex.text().endswith("· Male")


def test_bytes_that_are_not_a_picture_show_the_badge(banner, patients):
    banner.set_patient(patients[0], encoded(picture(80, 80), "PNG"))
    assert banner.has_photo
    banner.set_patient(patients[0], b"\x89PNG\r\n\x1a\n broken")
    assert not banner.has_photo
    assert banner.photo.pixmap().toImage().pixelColor(6, PHOTO_SIZE // 2).name() == (
        PLACEHOLDER_BACKGROUND
    )


def test_inactive_and_deceased_patients_are_marked(banner, patients):
    john = replace(
        patients[3],
        active=False,
        deactivation_reason="Registered twice",
        deceased=True,
        deceased_date=date(2020, 2, 1),
    )
    banner.set_patient(john, None, today=date(2026, 1, 1))
    assert banner.status.isVisible()
    assert banner.status.text() == "Deceased 2020-02-01 · INACTIVE"
    assert banner.age_sex.text() == "57 y · Male"  # the age at death, not today
    banner.clear()
    assert banner.name.text() == "" and banner.status.isHidden() and not banner.has_photo
