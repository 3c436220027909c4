"""Playbooks, pure: what to do when a rule fires. A playbook names the rules it answers
(``on``), an optional severity floor and device type, and up to ten steps: queue a device
command, call a webhook, run a diagnostic (a named, fixed argument template with typed
parameters: ``core.playbooks.diagnostics``), or propose a policy intent.
``mode`` says whether the steps are only suggested to a person or run automatically.

Placeholders such as ``{ip}`` or ``{interface}`` are filled from the finding by
``render_steps``, which refuses any value that is not exactly what its name promises.

No database, no subprocess, no network: running the steps is someone else's job. The only
I/O is ``load_playbooks``, which reads YAML files. Imports ``core.errors``, ``core.packs``,
``core.rules.models``, pydantic, PyYAML and the standard library only.
"""

from core.playbooks.diagnostics import (
    PROGRAMS,
    TEMPLATES,
    DiagnosticRefused,
    DiagnosticTemplate,
    ParamKind,
    template_named,
)
from core.playbooks.models import (
    COMMANDS,
    PLACEHOLDERS,
    CommandStep,
    DiagnosticStep,
    IntentStep,
    Mode,
    Playbook,
    Step,
    WebhookStep,
)
from core.playbooks.packs import (
    PLAYBOOK_ADAPTER,
    PlaybookPackError,
    load_playbooks,
    parse_playbook,
)
from core.playbooks.render import (
    DEFAULT_BODY,
    PlaceholderMissing,
    PlaceholderRefused,
    placeholders_of,
    render_steps,
    validate_value,
)

__all__ = [
    "COMMANDS",
    "DEFAULT_BODY",
    "PLACEHOLDERS",
    "PLAYBOOK_ADAPTER",
    "PROGRAMS",
    "TEMPLATES",
    "CommandStep",
    "DiagnosticRefused",
    "DiagnosticStep",
    "DiagnosticTemplate",
    "IntentStep",
    "Mode",
    "ParamKind",
    "PlaceholderMissing",
    "PlaceholderRefused",
    "Playbook",
    "PlaybookPackError",
    "Step",
    "WebhookStep",
    "load_playbooks",
    "parse_playbook",
    "placeholders_of",
    "render_steps",
    "template_named",
    "validate_value",
]
