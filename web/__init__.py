"""The NiceGUI web console and the REST API (web and API issues)."""
