"""A patient's banner photo: set, replace, remove, read; formats, size, permissions, audit."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from emr.errors import NotFound, PermissionDenied, ValidationError
from emr.models import AuditEvent, PatientPhoto
from emr.services.patient_photos import (
    MAX_PHOTO_BYTES,
    get_patient_photo,
    remove_patient_photo,
    set_patient_photo,
)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"png body"
JPEG = b"\xff\xd8\xff\xe0" + b"\x00\x10JFIF\x00" + b"jpeg body"


def photo_rows(db) -> list:
    with db.read() as s:
        return list(
            s.execute(
                select(PatientPhoto.id, PatientPhoto.patient_id, PatientPhoto.media_type)
            ).all()
        )


def photo_events(db) -> list:
    e = AuditEvent
    with db.read() as s:
        stmt = (
            select(e.action, e.entity_id, e.patient_id, e.user_id, e.detail)
            .where(e.entity == "patient_photo")
            .order_by(e.id)
        )
        return list(s.execute(stmt).all())


def test_a_patient_has_no_photo_until_one_is_set(db, front_desk_user, patient):
    assert get_patient_photo(front_desk_user, patient.id) is None
    record = set_patient_photo(front_desk_user, patient.id, PNG)
    assert (record.patient_id, record.media_type, record.size, record.version) == (
        patient.id,
        "image/png",
        len(PNG),
        1,
    )
    assert get_patient_photo(front_desk_user, patient.id) == PNG
    [(row_id, owner, media_type)] = photo_rows(db)
    assert (owner, media_type) == (patient.id, "image/png")
    [event] = photo_events(db)
    assert event.action == "create"
    assert (event.entity_id, event.patient_id, event.user_id) == (
        row_id,
        patient.id,
        front_desk_user.user_id,
    )
    assert event.detail == f"image/png, {len(PNG)} bytes"


def test_a_new_photo_replaces_the_current_row_in_place(db, front_desk_user, patient):
    set_patient_photo(front_desk_user, patient.id, PNG)
    [(first_id, _, _)] = photo_rows(db)
    record = set_patient_photo(front_desk_user, patient.id, JPEG)
    assert (record.media_type, record.version) == ("image/jpeg", 2)
    assert get_patient_photo(front_desk_user, patient.id) == JPEG
    assert photo_rows(db) == [(first_id, patient.id, "image/jpeg")]  # one row, same row
    assert [e.action for e in photo_events(db)] == ["create", "update"]


@pytest.mark.parametrize(
    ("image", "message"),
    [
        (b"", "empty"),
        (b"GIF89a....", "PNG or JPEG"),
        (b"%PDF-1.7 not a picture", "PNG or JPEG"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * MAX_PHOTO_BYTES, "at most 2 MB"),
    ],
)
def test_only_png_or_jpeg_up_to_2_mb_is_kept(db, front_desk_user, patient, image, message):
    with pytest.raises(ValidationError) as caught:
        set_patient_photo(front_desk_user, patient.id, image)
    assert message in caught.value.field_errors["photo"]
    assert photo_rows(db) == [] and photo_events(db) == []


def test_exactly_2_mb_is_accepted(front_desk_user, patient):
    image = JPEG + b"\x00" * (MAX_PHOTO_BYTES - len(JPEG))
    assert set_patient_photo(front_desk_user, patient.id, image).size == MAX_PHOTO_BYTES


def test_removing_the_photo(db, front_desk_user, patient):
    set_patient_photo(front_desk_user, patient.id, PNG)
    remove_patient_photo(front_desk_user, patient.id)
    assert get_patient_photo(front_desk_user, patient.id) is None
    assert photo_rows(db) == []
    assert [e.action for e in photo_events(db)] == ["create", "delete"]
    with pytest.raises(NotFound, match="no photo"):
        remove_patient_photo(front_desk_user, patient.id)
    # After a removal a photo can be set again.
    set_patient_photo(front_desk_user, patient.id, JPEG)
    assert get_patient_photo(front_desk_user, patient.id) == JPEG


def test_unknown_patient(front_desk_user, patient):
    for call in (
        lambda: set_patient_photo(front_desk_user, patient.id + 99, PNG),
        lambda: remove_patient_photo(front_desk_user, patient.id + 99),
        lambda: get_patient_photo(front_desk_user, patient.id + 99),
    ):
        with pytest.raises(NotFound):
            call()


def test_reading_needs_patient_read_and_changing_needs_patient_write(
    front_desk_user, admin_user, patient
):
    set_patient_photo(front_desk_user, patient.id, PNG)
    admin = admin_user  # may read demographics, may not change them
    assert get_patient_photo(admin, patient.id) == PNG
    with pytest.raises(PermissionDenied):
        set_patient_photo(admin, patient.id, JPEG)
    with pytest.raises(PermissionDenied):
        remove_patient_photo(admin, patient.id)
    assert get_patient_photo(front_desk_user, patient.id) == PNG
