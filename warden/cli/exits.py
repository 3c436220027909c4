"""Exit helpers shared by commands."""

from __future__ import annotations

EXIT_BAD_INPUT = 2
EXIT_FAILURE = 1
