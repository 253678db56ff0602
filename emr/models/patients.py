"""Patients: demographics, contact, insurance and the front desk's notes."""

from __future__ import annotations

from datetime import date

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from emr.models.base import Base, Tracked


class Patient(Tracked, Base):
    __tablename__ = "patients"

    mrn: Mapped[str] = mapped_column(String(12), unique=True)
    family_name: Mapped[str] = mapped_column(String(100))
    given_name: Mapped[str] = mapped_column(String(100))
    middle_name: Mapped[str] = mapped_column(String(100), default="")
    date_of_birth: Mapped[date] = mapped_column(index=True)
    sex: Mapped[str] = mapped_column(String(1))  # administrative sex, HL7 table 0001: F M O U
    gender_identity: Mapped[str] = mapped_column(String(60), default="")

    address_line1: Mapped[str] = mapped_column(String(200), default="")
    address_line2: Mapped[str] = mapped_column(String(200), default="")
    city: Mapped[str] = mapped_column(String(100), default="")
    state: Mapped[str] = mapped_column(String(50), default="")
    postal_code: Mapped[str] = mapped_column(String(20), default="")
    country: Mapped[str] = mapped_column(String(60), default="")
    phone_home: Mapped[str] = mapped_column(String(40), default="")
    phone_mobile: Mapped[str] = mapped_column(String(40), default="")
    phone_work: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    preferred_language: Mapped[str] = mapped_column(String(60), default="")

    emergency_contact_name: Mapped[str] = mapped_column(String(200), default="")
    emergency_contact_relationship: Mapped[str] = mapped_column(String(60), default="")
    emergency_contact_phone: Mapped[str] = mapped_column(String(40), default="")

    insurance_payer: Mapped[str] = mapped_column(String(200), default="")
    insurance_member_id: Mapped[str] = mapped_column(String(60), default="")
    insurance_group: Mapped[str] = mapped_column(String(60), default="")
    insurance_subscriber_name: Mapped[str] = mapped_column(String(200), default="")
    insurance_subscriber_relationship: Mapped[str] = mapped_column(String(30), default="")

    front_desk_notes: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(default=True)
    deactivation_reason: Mapped[str] = mapped_column(Text, default="")
    deceased: Mapped[bool] = mapped_column(default=False)
    deceased_date: Mapped[date | None]

    # Normalised (emr.normalize): lower case, accents folded; used for the duplicate check and
    # for sorting search results. The search itself uses the key tables below.
    search_family: Mapped[str] = mapped_column(String(100), default="")
    search_given: Mapped[str] = mapped_column(String(100), default="")
    phone_digits: Mapped[str] = mapped_column(String(130), default="")

    __table_args__ = (Index("ix_patients_name_dob", "search_family", "date_of_birth"),)


# The two key tables below are an index the services derive from the patient row and rewrite
# in the same transaction as every change to names or phones. They are not practice data of
# their own (never edited, never shown), so they carry no version or who/when columns.


class PatientNameKey(Base):
    """One search key of a patient's names: a folded name token or a compact name part.

    Prefix search is a range on `key` ("smi" -> key >= 'smi' AND key < 'smj'), which any
    B-tree answers on SQLite and PostgreSQL alike. The lookup index also holds what ranking
    needs (sort name, active), so a search reads one contiguous stretch of the index and
    touches patient rows only for the page of results it returns.
    """

    __tablename__ = "patient_name_keys"

    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), primary_key=True)
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    sort_name: Mapped[str] = mapped_column(String(201))  # search_family, space, search_given
    active: Mapped[bool]

    __table_args__ = (
        Index("ix_patient_name_keys_lookup", "key", "active", "sort_name", "patient_id"),
    )


class PatientPhoneKey(Base):
    """The digits of one of a patient's phone numbers, reversed, so that searching by the last
    digits of a number is a prefix range on `reversed_digits`."""

    __tablename__ = "patient_phone_keys"

    reversed_digits: Mapped[str] = mapped_column(String(20), primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), primary_key=True, index=True)


class PatientPhoto(Tracked, Base):
    """A patient's photo for the banner (PNG or JPEG), at most one current per patient."""

    __tablename__ = "patient_photos"

    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), unique=True)
    image: Mapped[bytes] = mapped_column(LargeBinary)
    media_type: Mapped[str] = mapped_column(String(20))  # image/png, image/jpeg
