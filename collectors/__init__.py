"""Collectors: what comes in and what is noticed about it. The MQTT and syslog listeners
(feeding ``core.pipeline``'s writers), the rule runner, and the scheduled jobs about
devices (liveness, command dispatch and time-outs, log retention). HTTP ingest is
``core.pipeline.http_ingest``, behind the web front end's device routes."""
