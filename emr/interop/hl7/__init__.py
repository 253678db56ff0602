"""HL7 v2.5.1 messages in ER7 (pipe) encoding, built from the chart's rows.

`build.build_message` is the one entry point; `encoding` is the small encoder every message
family uses (escaping, fields, timestamps, control ids) and its matching reader.
"""
