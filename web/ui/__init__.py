"""The web console: NiceGUI pages over ``core.services``, mounted beside the REST API."""
