"""The ingest pipeline shared by every way data arrives (MQTT, HTTP): raw messages are
decoded and judged (duplicates, gaps, boots, dead letters) into batches, and one writer
thread commits each batch in one transaction before acknowledging its messages."""
