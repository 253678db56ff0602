"""A patient's banner photo: set, replace, remove, read; formats, size, permissions, audit."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from emr.errors import NotFound, PermissionDenied, ValidationError
from emr.models import AuditEvent, PatientPhoto, User
from emr.services.context import Actor
from emr.services.patient_photos import (
    MAX_PHOTO_BYTES,
    get_patient_photo,
    remove_patient_photo,
    set_patient_photo,
)
from emr.services.patients import PatientInput, register_patient

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"png body"
JPEG = b"\xff\xd8\xff\xe0" + b"\x00\x10JFIF\x00" + b"jpeg body"


def make_actor(db, username: str, role: str) -> Actor:
    with db.write() as s:
        user = User(username=username, full_name=username.title(), role=role, password_hash="x")
        s.add(user)
        s.flush()
        user_id = user.id
    return Actor(db=db, user_id=user_id, username=username, full_name=username.title(), role=role)


@pytest.fixture
def desk(db) -> Actor:
    return make_actor(db, "frontdesk", "front_desk")


@pytest.fixture
def patient_id(desk) -> int:
    data = PatientInput(
        family_name="Okafor", given_name="Ada", date_of_birth=date(1991, 5, 2), sex="F"
    )
    return register_patient(desk, data).id


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


def test_a_patient_has_no_photo_until_one_is_set(db, desk, patient_id):
    assert get_patient_photo(desk, patient_id) is None
    record = set_patient_photo(desk, patient_id, PNG)
    assert (record.patient_id, record.media_type, record.size, record.version) == (
        patient_id,
        "image/png",
        len(PNG),
        1,
    )
    assert get_patient_photo(desk, patient_id) == PNG
    [(row_id, owner, media_type)] = photo_rows(db)
    assert (owner, media_type) == (patient_id, "image/png")
    [event] = photo_events(db)
    assert event.action == "create"
    assert (event.entity_id, event.patient_id, event.user_id) == (row_id, patient_id, desk.user_id)
    assert event.detail == f"image/png, {len(PNG)} bytes"


def test_a_new_photo_replaces_the_current_row_in_place(db, desk, patient_id):
    set_patient_photo(desk, patient_id, PNG)
    [(first_id, _, _)] = photo_rows(db)
    record = set_patient_photo(desk, patient_id, JPEG)
    assert (record.media_type, record.version) == ("image/jpeg", 2)
    assert get_patient_photo(desk, patient_id) == JPEG
    assert photo_rows(db) == [(first_id, patient_id, "image/jpeg")]  # one row, same row
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
def test_only_png_or_jpeg_up_to_2_mb_is_kept(db, desk, patient_id, image, message):
    with pytest.raises(ValidationError) as caught:
        set_patient_photo(desk, patient_id, image)
    assert message in caught.value.field_errors["photo"]
    assert photo_rows(db) == [] and photo_events(db) == []


def test_exactly_2_mb_is_accepted(desk, patient_id):
    image = JPEG + b"\x00" * (MAX_PHOTO_BYTES - len(JPEG))
    assert set_patient_photo(desk, patient_id, image).size == MAX_PHOTO_BYTES


def test_removing_the_photo(db, desk, patient_id):
    set_patient_photo(desk, patient_id, PNG)
    remove_patient_photo(desk, patient_id)
    assert get_patient_photo(desk, patient_id) is None
    assert photo_rows(db) == []
    assert [e.action for e in photo_events(db)] == ["create", "delete"]
    with pytest.raises(NotFound, match="no photo"):
        remove_patient_photo(desk, patient_id)
    # After a removal a photo can be set again.
    set_patient_photo(desk, patient_id, JPEG)
    assert get_patient_photo(desk, patient_id) == JPEG


def test_unknown_patient(desk, patient_id):
    for call in (
        lambda: set_patient_photo(desk, patient_id + 99, PNG),
        lambda: remove_patient_photo(desk, patient_id + 99),
        lambda: get_patient_photo(desk, patient_id + 99),
    ):
        with pytest.raises(NotFound):
            call()


def test_reading_needs_patient_read_and_changing_needs_patient_write(db, desk, patient_id):
    set_patient_photo(desk, patient_id, PNG)
    admin = make_actor(db, "boss", "admin")  # may read demographics, may not change them
    assert get_patient_photo(admin, patient_id) == PNG
    with pytest.raises(PermissionDenied):
        set_patient_photo(admin, patient_id, JPEG)
    with pytest.raises(PermissionDenied):
        remove_patient_photo(admin, patient_id)
    assert get_patient_photo(desk, patient_id) == PNG
