"""Collectors: MQTT, syslog, HTTP ingest and host statistics (filled by the pipeline and logs issues)."""
