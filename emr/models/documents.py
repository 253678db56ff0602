"""Files attached to the chart. The bytes live in their own table (read only when opened),
addressed by SHA-256, which is checked whenever the file is opened."""

from __future__ import annotations

from datetime import date

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from emr.models.base import Base, Tracked
from emr.models.clinical_base import Clinical


class DocumentContent(Base):
    __tablename__ = "document_contents"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int]
    data: Mapped[bytes] = mapped_column(LargeBinary)


class Document(Clinical, Tracked, Base):
    __tablename__ = "documents"

    title: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(30))  # scan, lab report, letter, image, other
    document_date: Mapped[date]
    file_name: Mapped[str] = mapped_column(String(255), default="")
    media_type: Mapped[str] = mapped_column(String(100))
    sha256: Mapped[str] = mapped_column(ForeignKey("document_contents.sha256"))
    size: Mapped[int]
