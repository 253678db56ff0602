"""Talking to other systems: HL7 v2 messages (hl7/), and later their delivery."""
