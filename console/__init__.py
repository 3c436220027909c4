"""The Textual terminal console (terminal-console issue)."""
