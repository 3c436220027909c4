"""The README stays true: its test command is the one CI runs, and it lists every command."""

from pathlib import Path

from warden.cli.main import cli

ROOT = Path(__file__).resolve().parents[2]
TEST_COMMAND = "pip install -e '.[test]' && pytest"


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert TEST_COMMAND in readme
    assert TEST_COMMAND in ci.splitlines()


def test_readme_shows_the_demo_command_and_every_top_level_command():
    readme = (ROOT / "README.md").read_text()
    assert "warden serve --demo" in readme
    missing = [name for name in cli.commands if f"`warden {name}" not in readme]
    assert missing == []
