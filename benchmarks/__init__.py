"""Reproducible performance measurements behind `warden bench`."""
