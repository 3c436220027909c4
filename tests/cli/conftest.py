import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from warden.cli.main import cli


class Warden:
    """Runs `warden` in-process (fast) with the test's data dir, or as a real process."""

    def __init__(self, data_dir):
        self.env = {"WARDEN_DATA_DIR": str(data_dir)}
        self.runner = CliRunner()

    def __call__(self, *args, env=None, input=None):
        return self.runner.invoke(cli, list(args), env={**self.env, **(env or {})}, input=input)

    def json(self, *args):
        result = self(*args, "--json")
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    def process(self, *args, env=None):
        """The installed entry point in a child process: what an operator really runs."""
        import os

        return subprocess.run(
            [sys.executable, "-m", "warden", *args],
            capture_output=True,
            text=True,
            env={**os.environ, **self.env, **(env or {})},
            timeout=60,
            check=False,
        )


@pytest.fixture
def warden(data_dir):
    return Warden(data_dir)
