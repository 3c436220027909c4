"""The shipped playbook packs load and fit the shipped rules; the loader names the file and
the playbook when something is wrong."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from core.intents import parse_intent
from core.playbooks import (
    Playbook,
    PlaybookPackError,
    WebhookStep,
    load_playbooks,
    parse_playbook,
    placeholders_of,
    render_steps,
)
from core.rules.models import AverageRule, PatternRule, Rule
from core.rules.packs import load_packs

DATA = Path(__file__).resolve().parents[2] / "data"
PLAYBOOKS = load_playbooks(DATA / "playbooks")
RULES = load_packs(DATA / "rules")

ALWAYS = {"device", "rule", "severity", "finding", "summary", "ip", "mac"}
"""Supplied for every finding: by Warden itself, or (ip, mac) from the device registry."""
FROM_LOG = {"interface": {"interface", "iface"}, "host": {"host"}}
"""Placeholders only a log rule can supply: a named group of its regex (``iface`` counts
as ``interface``) or, for ``host``, the syslog host."""

SAMPLE = {
    "device": "ap-1",
    "rule": "wifi.auth-failures",
    "severity": "medium",
    "finding": 12,
    "summary": "5 failed logins",
    "ip": "203.0.113.7",
    "mac": "3c:22:fb:12:34:56",
    "interface": "wlan0",
    "host": "ap-1",
}


def triggers(entry: str) -> list[Rule]:
    if entry.endswith(".*"):
        return [r for r in RULES if r.id.startswith(entry[:-1])]
    return [r for r in RULES if r.id == entry]


def test_shipped_packs_load() -> None:
    assert 4 <= len(PLAYBOOKS) <= 6
    assert len({p.pack for p in PLAYBOOKS}) >= 2
    assert all(p.description for p in PLAYBOOKS)


@pytest.mark.parametrize("playbook", PLAYBOOKS, ids=lambda p: p.id)
def test_every_on_entry_names_a_shipped_rule(playbook) -> None:
    for entry in playbook.on:
        assert triggers(entry), f"{playbook.id}: {entry!r} matches no rule in data/rules"


@pytest.mark.parametrize("playbook", PLAYBOOKS, ids=lambda p: p.id)
def test_every_placeholder_can_be_supplied_by_the_triggering_rule(playbook) -> None:
    for entry in playbook.on:
        for rule in triggers(entry):
            groups = set()
            if isinstance(rule, PatternRule | AverageRule):
                groups = set(re.compile(rule.regex).groupindex) | {"host"}
            for name in placeholders_of(playbook) - ALWAYS:
                assert name in FROM_LOG and FROM_LOG[name] & groups, (
                    f"{playbook.id}: {{{name}}} cannot come from rule {rule.id}"
                )


@pytest.mark.parametrize("playbook", PLAYBOOKS, ids=lambda p: p.id)
def test_shipped_playbooks_render_and_their_intents_parse(playbook) -> None:
    for step in render_steps(playbook, SAMPLE):
        if step["kind"] == "intent":
            assert parse_intent(step["text"]).ok, step["text"]


RESERVED_TLDS = {"invalid", "example", "test", "localhost"}
RESERVED_DOMAINS = {"example.com", "example.net", "example.org"}
"""Names reserved for examples and tests (RFC 2606, RFC 6761): never someone's endpoint."""


def placeholder_urls(playbook: Playbook) -> list[str]:
    """The webhook URLs of ``playbook`` that an operator must replace with their own."""
    urls = [s.url for s in playbook.steps if isinstance(s, WebhookStep)]
    return [u for u in urls if _reserved(urlsplit(u).hostname or "")]


def _reserved(host: str) -> bool:
    labels = host.lower().split(".")
    return labels[-1] in RESERVED_TLDS or ".".join(labels[-2:]) in RESERVED_DOMAINS


def test_unfinished_webhooks_ship_disabled() -> None:
    unfinished = {p.id: p.enabled for p in PLAYBOOKS if placeholder_urls(p)}
    # The security pack ships a webhook to fill in: the check below has one to judge.
    assert "security.ssh-bruteforce-notify" in unfinished
    assert [pid for pid, enabled in unfinished.items() if enabled] == []


def test_a_placeholder_webhook_is_told_from_a_real_one() -> None:
    def webhook(url: str) -> Playbook:
        steps = [{"kind": "webhook", "url": url}]
        return parse_playbook({"id": "t.hook", "name": "Hook", "on": ["x.*"], "steps": steps})

    assert placeholder_urls(webhook("https://example.invalid/hook")) == [
        "https://example.invalid/hook"
    ]
    assert placeholder_urls(webhook("http://hooks.example.com/x"))
    assert placeholder_urls(webhook("http://localhost:8080/x"))
    assert placeholder_urls(webhook("https://hooks.chat.local/x")) == []


def write(tmp_path: Path, name: str, text: str) -> Path:
    (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


ONE = """
playbooks:
  - id: {id}
    name: Ping
    on: [iot.device-offline]
    steps:
      - kind: diagnostic
        template: ping_device
        params: {{ip: '{{ip}}'}}
"""


def test_bare_on_key_is_read_as_on(tmp_path: Path) -> None:
    [pb] = load_playbooks(write(tmp_path, "net.yaml", ONE.format(id="a.ping")))
    assert pb.on == ["iot.device-offline"]
    assert pb.pack == "net"


def test_quoted_on_key_and_explicit_pack(tmp_path: Path) -> None:
    text = "pack: mine\n" + ONE.format(id="a.ping").replace("    on:", "    'on':")
    [pb] = load_playbooks(write(tmp_path, "net.yaml", text))
    assert (pb.on, pb.pack) == (["iot.device-offline"], "mine")


def test_parse_playbook_takes_a_true_key_as_on() -> None:
    data = {"id": "a", "name": "A", True: ["x.*"], "steps": [{"kind": "intent", "text": "t"}]}
    assert parse_playbook(data).on == ["x.*"]


def test_missing_directory_is_empty(tmp_path: Path) -> None:
    assert load_playbooks(tmp_path / "nowhere") == []


# (file text, words the error must contain)
BROKEN = [
    ("playbooks: [\n", "not valid YAML"),
    ("- a\n- b\n", "expected a mapping with a 'playbooks' list"),
    ("pack: ''\nplaybooks: []\n", "'pack' must be a non-empty string"),
    ("playbooks: [3]\n", "playbook #1 is not a mapping"),
    (ONE.format(id="a.ping") + "\n  - id: a.ping\n    name: x\n", "playbook 'a.ping'"),
    (
        ONE.format(id="a.sh").replace("template: ping_device", "template: sh"),
        "playbook 'a.sh': steps.0.diagnostic: unknown diagnostic template 'sh'",
    ),
    (
        ONE.format(id="a.argv").replace("template: ping_device", "argv: [sh, -c, x]"),
        "playbook 'a.argv': steps.0.diagnostic: argv is not accepted",
    ),
    (ONE.format(id="a.x").replace("{ip}", "{addr}"), "unknown placeholder {addr}"),
]


@pytest.mark.parametrize(("text", "words"), BROKEN)
def test_broken_pack_names_file_and_playbook(tmp_path: Path, text: str, words: str) -> None:
    with pytest.raises(PlaybookPackError) as info:
        load_playbooks(write(tmp_path, "bad.yaml", text))
    assert str(tmp_path / "bad.yaml") in info.value.msg
    assert words in info.value.msg
    assert info.value.title == "Invalid playbook pack"


def test_duplicate_ids_within_a_file(tmp_path: Path) -> None:
    one = ONE.format(id="a.ping")
    text = one + one.split("playbooks:\n", 1)[1]
    with pytest.raises(PlaybookPackError, match=r"'a\.ping': duplicate id, already defined in"):
        load_playbooks(write(tmp_path, "a.yaml", text))


def test_duplicate_ids_across_files(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", ONE.format(id="a.ping"))
    write(tmp_path, "b.yaml", ONE.format(id="a.ping"))
    with pytest.raises(PlaybookPackError) as info:
        load_playbooks(tmp_path)
    assert info.value.msg.startswith(str(tmp_path / "b.yaml"))
    assert str(tmp_path / "a.yaml") in info.value.msg
