"""Every setting is documented, in the code and in docs/configuration.md."""

from pathlib import Path

from click.testing import CliRunner

from core.config import ENV_PREFIX, Settings
from warden.cli.config_cmd import settings_reference
from warden.cli.main import cli

DOCS = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


def test_every_setting_has_a_description():
    undocumented = [
        name
        for name, field in Settings.model_fields.items()
        if not (field.description and len(field.description) > 15)
    ]
    assert undocumented == []


def test_configuration_page_is_generated_from_the_settings():
    assert DOCS.read_text() == settings_reference(), (
        "docs/configuration.md is stale: run `warden config docs > docs/configuration.md`"
    )


def test_configuration_page_names_every_variable():
    text = DOCS.read_text()
    missing = [n for n in Settings.model_fields if f"`{ENV_PREFIX}{n.upper()}`" not in text]
    assert missing == []


def test_config_docs_command_prints_the_reference():
    result = CliRunner().invoke(cli, ["config", "docs"])
    assert result.exit_code == 0
    assert result.output == settings_reference()
