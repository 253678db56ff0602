"""All tables. Importing this package registers every model on `Base.metadata`."""

from emr.models.audit import AuditChainHead, AuditEvent
from emr.models.base import Base, Tracked
from emr.models.patients import Patient, PatientNameKey, PatientPhoneKey, PatientPhoto
from emr.models.practice import PracticeProfile
from emr.models.scheduling import Appointment, AppointmentSeries, AppointmentType, WorkingHours
from emr.models.security import EmergencyAccess
from emr.models.users import User

__all__ = [
    "Appointment",
    "AppointmentSeries",
    "AppointmentType",
    "AuditChainHead",
    "AuditEvent",
    "Base",
    "EmergencyAccess",
    "Patient",
    "PatientNameKey",
    "PatientPhoneKey",
    "PatientPhoto",
    "PracticeProfile",
    "Tracked",
    "User",
    "WorkingHours",
]
