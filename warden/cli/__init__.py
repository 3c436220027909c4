"""The ``warden`` command: a thin layer over ``core.services``."""
