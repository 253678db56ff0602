"""A patient's photo for the banner: set (replacing the current one), remove, read.

One photo per patient (PNG or JPEG, recognised by its first bytes, at most 2 MB). Changing it
updates the patient's one photo row in place, so that row's version check guards the change.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from emr.errors import NotFound, ValidationError
from emr.models.patients import Patient, PatientPhoto
from emr.security import audit
from emr.security.permissions import Permission
from emr.services.context import Actor

MAX_PHOTO_BYTES = 2 * 1024 * 1024
_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)


@dataclass(frozen=True)
class PatientPhotoRecord:
    patient_id: int
    media_type: str
    size: int  # bytes
    version: int


def photo_media_type(image: bytes) -> str:
    """The image's media type from its signature; ValidationError if it is not PNG or JPEG
    or is too large."""
    if not image:
        raise ValidationError({"photo": "The photo is empty."})
    if len(image) > MAX_PHOTO_BYTES:
        megabytes = len(image) / (1024 * 1024)
        raise ValidationError(
            {"photo": f"The photo is {megabytes:.1f} MB; a photo may be at most 2 MB."}
        )
    for signature, media_type in _SIGNATURES:
        if image.startswith(signature):
            return media_type
    raise ValidationError({"photo": "The photo must be a PNG or JPEG image."})


def _require_patient(s: Session, patient_id: int) -> None:
    if s.get(Patient, patient_id) is None:
        raise NotFound(f"There is no patient with id {patient_id}.")


def _current(s: Session, patient_id: int) -> PatientPhoto | None:
    return s.execute(
        select(PatientPhoto).where(PatientPhoto.patient_id == patient_id)
    ).scalar_one_or_none()


def _audit(s: Session, actor: Actor, action: str, photo: PatientPhoto, detail: str) -> None:
    audit.record(
        s,
        user_id=actor.user_id,
        username=actor.username,
        action=action,
        entity="patient_photo",
        entity_id=photo.id,
        patient_id=photo.patient_id,
        detail=detail,
    )


def set_patient_photo(actor: Actor, patient_id: int, image: bytes) -> PatientPhotoRecord:
    """Give the patient this photo, replacing the one they have."""
    actor.require(Permission.PATIENT_WRITE)
    media_type = photo_media_type(image)
    with actor.write() as s:
        _require_patient(s, patient_id)
        photo = _current(s, patient_id)
        if photo is None:
            photo = PatientPhoto(patient_id=patient_id, image=image, media_type=media_type)
            s.add(photo)
            action = "create"
        else:
            photo.image = image
            photo.media_type = media_type
            action = "update"
        s.flush()  # a photo replaced meanwhile by another workstation fails here (version)
        _audit(s, actor, action, photo, f"{media_type}, {len(image)} bytes")
        return PatientPhotoRecord(patient_id, media_type, len(image), photo.version)


def remove_patient_photo(actor: Actor, patient_id: int) -> None:
    """Take the patient's photo away; NotFound if they have none."""
    actor.require(Permission.PATIENT_WRITE)
    with actor.write() as s:
        _require_patient(s, patient_id)
        photo = _current(s, patient_id)
        if photo is None:
            raise NotFound("This patient has no photo.")
        _audit(s, actor, "delete", photo, "photo removed")
        s.delete(photo)
        s.flush()


def get_patient_photo(actor: Actor, patient_id: int) -> bytes | None:
    """The patient's photo, or None. Shown with the patient's registration, whose opening
    (get_patient) is the audited view."""
    actor.require(Permission.PATIENT_READ)
    with actor.read() as s:
        _require_patient(s, patient_id)
        return s.execute(
            select(PatientPhoto.image).where(PatientPhoto.patient_id == patient_id)
        ).scalar_one_or_none()
