"""All tables. Importing this package registers every model on `Base.metadata`."""

from emr.models.audit import AuditChainHead, AuditEvent
from emr.models.base import Base, Tracked
from emr.models.chart import (
    Addendum,
    AmendmentRequest,
    Encounter,
    Note,
    NoteTemplate,
    QuickPhrase,
)
from emr.models.clinical import (
    Allergy,
    AllergyStatus,
    HistoryEntry,
    Immunization,
    Medication,
    Problem,
)
from emr.models.documents import Document, DocumentContent
from emr.models.observations import LabPanel, Observation
from emr.models.outbox import Destination, OutboxMessage
from emr.models.patients import Patient, PatientNameKey, PatientPhoneKey, PatientPhoto
from emr.models.practice import PracticeProfile
from emr.models.prescribing import DrugProduct, Prescription, Referral, ReferralTemplate
from emr.models.scheduling import Appointment, AppointmentSeries, AppointmentType, WorkingHours
from emr.models.security import EmergencyAccess
from emr.models.users import User

__all__ = [
    "Addendum",
    "Allergy",
    "AllergyStatus",
    "AmendmentRequest",
    "Appointment",
    "AppointmentSeries",
    "AppointmentType",
    "AuditChainHead",
    "AuditEvent",
    "Base",
    "Destination",
    "Document",
    "DocumentContent",
    "DrugProduct",
    "EmergencyAccess",
    "Encounter",
    "HistoryEntry",
    "Immunization",
    "LabPanel",
    "Medication",
    "Note",
    "NoteTemplate",
    "Observation",
    "OutboxMessage",
    "Patient",
    "PatientNameKey",
    "PatientPhoneKey",
    "PatientPhoto",
    "PracticeProfile",
    "Prescription",
    "Problem",
    "QuickPhrase",
    "Referral",
    "ReferralTemplate",
    "Tracked",
    "User",
    "WorkingHours",
]
