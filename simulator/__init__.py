"""Virtual devices speaking PROTOCOL.md (pipeline issue). Imports core.protocol only."""
