"""Warden core: models, storage, services, change feed. Imports no UI, MQTT or netlink library."""
