"""The long-term tier: what the collectors stored, mirrored outside the gateway.

The InfluxDB mirror follows the outbox that every committed ingest batch adds to
(``core.services.mirror``); it runs on its own thread, so an outage of the sink never
blocks or slows ingest into the database.
"""
