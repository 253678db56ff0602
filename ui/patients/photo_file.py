"""Turning a picture file into the photo the banner keeps.

Whatever the camera or scanner made (a large JPEG from a phone, a PNG, a BMP …) is kept as a
JPEG of at most PHOTO_SIDE pixels a side, upright, and without the file's metadata: a phone's
photo carries where and when it was taken, which the practice has no reason to keep.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
from PySide6.QtGui import QColor, QImage, QPainter

from emr.services.patient_photos import MAX_PHOTO_BYTES
from ui.widgets.patient_banner import decode_image

PHOTO_SIDE = 800
JPEG_QUALITY = 88
LARGEST_FILE_BYTES = 40 * 1024 * 1024
FILE_FILTER = "Pictures (*.jpg *.jpeg *.png *.bmp *.gif *.tif *.tiff *.webp)"


class PhotoFileProblem(Exception):
    """The file cannot become a photo; the message says why, fit to show."""


def photo_from_file(path: Path) -> bytes:
    try:
        if path.stat().st_size > LARGEST_FILE_BYTES:
            raise PhotoFileProblem(f"{path.name} is too large for a photo (over 40 MB).")
        data = path.read_bytes()
    except OSError as exc:
        raise PhotoFileProblem(f"{path.name} cannot be read: {exc.strerror or exc}.") from exc
    image = decode_image(data)
    if image.isNull():
        raise PhotoFileProblem(f"{path.name} is not a picture (JPEG, PNG …) that can be read.")
    return photo_from_image(image)


def photo_from_image(image: QImage) -> bytes:
    if max(image.width(), image.height()) > PHOTO_SIDE:
        image = image.scaled(
            PHOTO_SIDE,
            PHOTO_SIDE,
            Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation,
        )
    if image.hasAlphaChannel():  # JPEG has no transparency: put the picture on white
        flat = QImage(image.size(), QImage.Format.Format_RGB32)
        flat.fill(QColor("white"))
        painter = QPainter(flat)
        painter.drawImage(0, 0, image)
        painter.end()
        image = flat
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "JPEG", JPEG_QUALITY):
        raise PhotoFileProblem("The picture could not be converted to JPEG.")
    buffer.close()
    photo = bytes(data.data())
    if len(photo) > MAX_PHOTO_BYTES:  # cannot happen at 800 px, but the service would refuse
        raise PhotoFileProblem("The picture is too detailed to keep as a photo.")
    return photo
