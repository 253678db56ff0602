"""FHIR R4 (4.0.1): a patient's chart as a `collection` Bundle of plain JSON dicts, following
US Core where it applies (resources.py maps one record to one resource; bundle.py puts a
patient's resources together and audits the export)."""

FHIR_VERSION = "4.0.1"
