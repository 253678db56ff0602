"""The Outbox workspace: HL7 destinations and the queue of outbound messages."""
