"""Collectors: MQTT, syslog, HTTP ingest and host statistics.

Filled by the pipeline and logs issues."""
