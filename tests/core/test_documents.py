"""Documents attached to the chart: stored once per SHA-256, checked on open, never erased."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, update

from emr.errors import PermissionDenied, ValidationError
from emr.models.audit import AuditEvent
from emr.models.documents import Document, DocumentContent
from emr.services.documents import (
    MAX_DOCUMENT_BYTES,
    DocumentDamaged,
    attach_document,
    list_documents,
    mark_document_entered_in_error,
    open_document,
    sniff_media_type,
)
from emr.services.patients import PatientInput, register_patient

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
PDF = b"%PDF-1.4\n%fake but signed\n"
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 20
TIFF_LE = b"II*\x00" + b"\x00" * 20
TIFF_BE = b"MM\x00*" + b"\x00" * 20
TODAY = date.today()


@pytest.fixture
def patient_ids(operator):
    ids = []
    for family in ("Müller", "Okafor"):
        record = register_patient(
            operator,
            PatientInput(
                family_name=family, given_name="Anna", date_of_birth=date(1980, 1, 2), sex="F"
            ),
            allow_duplicate=True,
        )
        ids.append(record.id)
    return ids


def attach(actor, patient_id, data=PDF, **extra):
    fields = dict(
        title="Discharge letter",
        category="letter",
        document_date=TODAY,
        file_name="letter.pdf",
    )
    fields.update(extra)
    return attach_document(actor, patient_id, data, **fields)


def test_attach_then_open_gives_back_the_same_bytes(nurse, physician, patient_ids):
    doc = physician
    record = attach(doc, patient_ids[0])
    assert record.media_type == "application/pdf"
    assert record.size == len(PDF)
    assert record.sha256 == hashlib.sha256(PDF).hexdigest()
    opened, data = open_document(nurse, record.id)
    assert data == PDF
    assert opened == record
    listed = list_documents(doc, patient_ids[0])
    assert [d.id for d in listed] == [record.id]
    assert list_documents(doc, patient_ids[1]) == []


def test_identical_content_is_stored_once(db, nurse, physician, patient_ids):
    first = attach(physician, patient_ids[0], title="Scan 1")
    second = attach(nurse, patient_ids[1], title="Same file, other chart")
    assert first.sha256 == second.sha256 and first.id != second.id
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(DocumentContent)) == 1
        assert s.scalar(select(func.count()).select_from(Document)) == 2
    assert open_document(physician, second.id)[1] == PDF


def test_damaged_content_is_detected_on_open(db, physician, patient_ids):
    record = attach(physician, patient_ids[0])
    with db.write() as s:
        s.execute(
            update(DocumentContent)
            .where(DocumentContent.sha256 == record.sha256)
            .values(data=PDF.replace(b"fake", b"FAKE"))
        )
    with pytest.raises(DocumentDamaged, match="damaged"):
        open_document(physician, record.id)
    with db.read() as s:
        event = s.execute(
            select(AuditEvent.entity_id, AuditEvent.detail).where(
                AuditEvent.entity == "documents", AuditEvent.action == "view"
            )
        ).one()
    assert event.entity_id == record.id and "damaged" in event.detail


def test_size_limit_has_a_clear_message(physician, patient_ids):
    too_big = b"%PDF-" + b"0" * MAX_DOCUMENT_BYTES
    with pytest.raises(ValidationError) as caught:
        attach(physician, patient_ids[0], too_big, file_name="huge-scan.pdf")
    message = caught.value.field_errors["file"]
    assert "huge-scan.pdf" in message and "50.0 MB" in message and "at most 50 MB" in message
    assert list_documents(physician, patient_ids[0]) == []


def test_media_type_is_sniffed_from_the_bytes(physician, patient_ids):
    assert sniff_media_type(PNG) == "image/png"
    assert sniff_media_type(JPEG) == "image/jpeg"
    assert sniff_media_type(TIFF_LE) == "image/tiff"
    assert sniff_media_type(TIFF_BE) == "image/tiff"
    assert sniff_media_type(PDF) == "application/pdf"
    assert sniff_media_type(b"hello, plain text") == "application/octet-stream"
    # a file named .pdf that is a PNG is recorded as what it is
    record = attach(physician, patient_ids[0], PNG, file_name="photo.pdf", category="image")
    assert record.media_type == "image/png"
    other = attach(physician, patient_ids[0], b"a,b\n1,2\n", file_name="values.csv")
    assert other.media_type == "application/octet-stream"


def test_bad_input_is_refused_field_by_field(physician, patient_ids):
    with pytest.raises(ValidationError) as caught:
        attach(
            physician,
            patient_ids[0],
            b"",
            title="  ",
            category="misc",
            document_date=TODAY + timedelta(days=1),
        )
    assert set(caught.value.field_errors) == {"file", "title", "category", "document_date"}


def test_entered_in_error_keeps_the_bytes(db, physician, patient_ids):
    record = attach(physician, patient_ids[0])
    with pytest.raises(ValidationError):
        mark_document_entered_in_error(physician, record.id, record.version, " ")
    mark_document_entered_in_error(physician, record.id, record.version, "wrong patient")
    assert list_documents(physician, patient_ids[0]) == []
    [struck] = list_documents(physician, patient_ids[0], include_errors=True)
    assert struck.entered_in_error and struck.error_reason == "wrong patient"
    assert open_document(physician, record.id)[1] == PDF
    with db.read() as s:
        assert s.get(DocumentContent, record.sha256) is not None


def test_front_desk_is_refused_by_the_service(front_desk_user, physician, patient_ids):
    record = attach(physician, patient_ids[0])
    fran = front_desk_user
    with pytest.raises(PermissionDenied):
        attach(fran, patient_ids[0])
    with pytest.raises(PermissionDenied):
        list_documents(fran, patient_ids[0])
    with pytest.raises(PermissionDenied):
        open_document(fran, record.id)


def test_attach_list_and_open_are_audited(db, nurse, physician, patient_ids):
    record = attach(nurse, patient_ids[0])
    list_documents(physician, patient_ids[0])
    open_document(physician, record.id)
    with db.read() as s:
        events = s.execute(
            select(AuditEvent.username, AuditEvent.action, AuditEvent.entity_id, AuditEvent.detail)
            .where(AuditEvent.entity == "documents", AuditEvent.patient_id == patient_ids[0])
            .order_by(AuditEvent.id)
        ).all()
    assert [(e.username, e.action, e.entity_id) for e in events] == [
        ("nina", "create", record.id),
        ("doc", "view", None),
        ("doc", "view", record.id),
    ]
    assert "Discharge" not in events[0].detail  # ids and kinds, not the document's words
