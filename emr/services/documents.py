"""Files attached to a patient's chart: scans, lab reports, letters, images, consents.

The bytes are kept once per SHA-256 (two attachments of the same file share one content row)
and checked against that hash whenever the file is opened, so a damaged file is never shown
as if it were the original. Entering a document in error keeps its bytes.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from emr.errors import UserError, ValidationError
from emr.localtime import to_local
from emr.models.documents import Document, DocumentContent
from emr.security.permissions import Permission
from emr.services.clinical import (
    check_encounter,
    load_row,
    mark_entered_in_error,
    open_chart_in,
    record_clinical,
)
from emr.services.context import Actor

log = logging.getLogger(__name__)

CATEGORIES = ("scan", "lab report", "letter", "image", "consent", "other")
MAX_DOCUMENT_BYTES = 50 * 1024 * 1024
TITLE_MAX = 200
FILE_NAME_MAX = 255
OTHER_MEDIA_TYPE = "application/octet-stream"
_SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
)


class DocumentDamaged(UserError):
    """The stored bytes of a document no longer match the SHA-256 taken when it was attached."""


@dataclass(frozen=True)
class DocumentRecord:
    id: int
    patient_id: int
    encounter_id: int | None
    title: str
    category: str
    document_date: date
    file_name: str
    media_type: str
    sha256: str
    size: int  # bytes
    attached_at: datetime  # local
    entered_in_error: bool
    error_reason: str
    version: int


def sniff_media_type(data: bytes) -> str:
    """PDF, PNG, JPEG or TIFF from the file's first bytes; anything else is kept as
    application/octet-stream."""
    head = data[:8]
    for signature, media_type in _SIGNATURES:
        if head.startswith(signature):
            return media_type
    return OTHER_MEDIA_TYPE


def size_text(size: int) -> str:
    """A file size as people read it: 812 bytes, 14.2 KB, 3.1 MB."""
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def _record(doc: Document) -> DocumentRecord:
    return DocumentRecord(
        id=doc.id,
        patient_id=doc.patient_id,
        encounter_id=doc.encounter_id,
        title=doc.title,
        category=doc.category,
        document_date=doc.document_date,
        file_name=doc.file_name,
        media_type=doc.media_type,
        sha256=doc.sha256,
        size=doc.size,
        attached_at=to_local(doc.created_at),
        entered_in_error=doc.entered_in_error,
        error_reason=doc.error_reason,
        version=doc.version,
    )


def _check_input(
    data: bytes, title: str, category: str, document_date: date, file_name: str
) -> dict[str, str]:
    problems: dict[str, str] = {}
    name = file_name or "The file"
    if not data:
        problems["file"] = f"{name} is empty: there is nothing to attach."
    elif len(data) > MAX_DOCUMENT_BYTES:
        problems["file"] = (
            f"{name} is {size_text(len(data))}; a document may be at most "
            f"{MAX_DOCUMENT_BYTES // (1024 * 1024)} MB. Scan it at a lower resolution or "
            "split it into parts."
        )
    if not title:
        problems["title"] = "Give the document a title."
    elif len(title) > TITLE_MAX:
        problems["title"] = f"A title has at most {TITLE_MAX} characters."
    if category not in CATEGORIES:
        problems["category"] = "Choose one of: " + ", ".join(CATEGORIES) + "."
    if not isinstance(document_date, date):
        problems["document_date"] = "Give the document's date."
    elif document_date > date.today():
        problems["document_date"] = "A document's date cannot be in the future."
    if len(file_name) > FILE_NAME_MAX:
        problems["file_name"] = f"A file name has at most {FILE_NAME_MAX} characters."
    return problems


def _store_content(s: Session, data: bytes) -> str:
    digest = hashlib.sha256(data).hexdigest()
    stored = s.execute(
        select(DocumentContent.sha256).where(DocumentContent.sha256 == digest)
    ).scalar_one_or_none()
    if stored is None:
        s.add(DocumentContent(sha256=digest, size=len(data), data=data))
        s.flush()  # no ORM relationship orders this insert before the document's
    return digest


def attach_document(
    actor: Actor,
    patient_id: int,
    data: bytes,
    *,
    title: str,
    category: str,
    document_date: date,
    file_name: str = "",
    encounter_id: int | None = None,
) -> DocumentRecord:
    """Attach a file to the chart. Its media type is recognised from its bytes."""
    title = title.strip()
    file_name = file_name.strip()
    problems = _check_input(data, title, category, document_date, file_name)
    if problems:
        raise ValidationError(problems)
    media_type = sniff_media_type(data)
    with actor.write() as s:
        emergency = open_chart_in(s, actor, patient_id, Permission.CHART_WRITE)
        check_encounter(s, patient_id, encounter_id)
        digest = _store_content(s, data)
        doc = Document(
            patient_id=patient_id,
            encounter_id=encounter_id,
            title=title,
            category=category,
            document_date=document_date,
            file_name=file_name,
            media_type=media_type,
            sha256=digest,
            size=len(data),
        )
        s.add(doc)
        s.flush()
        record_clinical(
            s,
            actor,
            "create",
            "documents",
            doc.id,
            patient_id,
            f"{category}, {media_type}, {len(data)} bytes, sha256 {digest}",
            emergency=emergency,
        )
        return _record(doc)


def list_documents(
    actor: Actor, patient_id: int, include_errors: bool = False
) -> list[DocumentRecord]:
    """The chart's documents, newest first (without their bytes)."""
    with actor.write() as s:
        emergency = open_chart_in(s, actor, patient_id)
        query = select(Document).where(Document.patient_id == patient_id)
        if not include_errors:
            query = query.where(Document.entered_in_error.is_(False))
        rows = s.execute(
            query.order_by(Document.document_date.desc(), Document.id.desc())
        ).scalars()
        records = [_record(doc) for doc in rows]
        record_clinical(
            s, actor, "view", "documents", None, patient_id, "document list", emergency=emergency
        )
        return records


def open_document(actor: Actor, document_id: int) -> tuple[DocumentRecord, bytes]:
    """The document and its bytes, checked against their SHA-256; DocumentDamaged if they
    changed since it was attached. Opening is audited, the failed check too."""
    with actor.write() as s:
        doc = load_row(s, Document, document_id, "document")
        emergency = open_chart_in(s, actor, doc.patient_id)
        record = _record(doc)
        data = s.execute(
            select(DocumentContent.data).where(DocumentContent.sha256 == doc.sha256)
        ).scalar_one_or_none()
        intact = data is not None and hashlib.sha256(data).hexdigest() == doc.sha256
        detail = "opened" if intact else "opened: content damaged (SHA-256 differs)"
        record_clinical(
            s, actor, "view", "documents", doc.id, doc.patient_id, detail, emergency=emergency
        )
    if not intact or data is None:
        log.error("document %s: stored content does not match its SHA-256", document_id)
        raise DocumentDamaged(
            f"The file of “{record.title}” is damaged: its content no longer matches the "
            "fingerprint (SHA-256) taken when it was attached, so it is not shown. Restore "
            "it from a backup or attach the original again."
        )
    return record, data


def mark_document_entered_in_error(
    actor: Actor, document_id: int, expected_version: int, reason: str
) -> None:
    """Strike the document from the chart with a reason; its bytes are kept."""
    mark_entered_in_error(actor, Document, document_id, expected_version, reason, "document")
