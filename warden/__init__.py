"""Warden's command line and composition root: builds ``Core`` and wires the workers and
front ends to it."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("edgewarden")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"
