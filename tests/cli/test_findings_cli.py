"""`warden findings` over findings raised the way the rule engine raises them."""

import json

from core.config import load_settings
from core.runtime import open_core
from core.services import findings


def raise_one(data_dir, key="192.168.1.50"):
    core = open_core(load_settings(data_dir=data_dir))
    try:
        with core.db.writer() as session:
            return findings.raise_finding(
                session=session,
                now=core.clock.now(),
                firing=findings.FindingIn(
                    rule_id="security.ssh_bruteforce",
                    severity="high",
                    key=key,
                    ts_ms=1_770_890_400_000,
                    count=12,
                    evidence=[1, 2],
                    summary="12 failed logins",
                ),
            )
    finally:
        core.close()


def test_list_ack_note_resolve(warden, data_dir):
    finding = raise_one(data_dir)
    listed = warden.json("findings", "list", "--status", "open")
    assert [(f["id"], f["count"]) for f in listed] == [(finding.id, 12)]
    assert warden("findings", "ack", str(finding.id)).exit_code == 0
    assert warden("findings", "ack", str(finding.id)).exit_code == 2  # not open any more
    assert warden("findings", "note", str(finding.id), "blocked", "upstream").exit_code == 0
    shown = warden("findings", "show", str(finding.id))
    assert "blocked upstream" in shown.output
    assert warden("findings", "resolve", str(finding.id)).exit_code == 0
    assert (
        json.loads(warden("findings", "show", str(finding.id), "--json").output)["status"]
        == "resolved"
    )
    assert warden.json("findings", "list", "--status", "open") == []
    assert warden("findings", "show", "999").exit_code == 2
