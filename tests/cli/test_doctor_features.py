"""`warden doctor` says loudly when enforcement is a dry run, and, with CAP_NET_ADMIN,
lists the kernel's traffic-control features and what a missing one means."""

from __future__ import annotations

import json
import os
import shutil

import pytest

from enforcement.probe import ACTIONS, CLASSIFIERS, IFB, QDISCS
from tests.conftest import _unavailable
from warden import doctor
from warden.enforcement import has_net_admin


def _report(warden, **env: str) -> dict:
    result = warden("doctor", "--json", env=env)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _checks(report: dict) -> dict[str, dict]:
    return {c["name"]: c for c in report["checks"]}


def _require_root() -> None:
    if os.geteuid() != 0 or not has_net_admin():
        _unavailable("probing tc features needs root with CAP_NET_ADMIN")


@pytest.mark.root
def test_features_are_listed_with_what_missing_ones_mean(warden) -> None:
    _require_root()
    report = _report(warden)
    features = report["tc_features"]
    for group, tried in (
        ("qdiscs", (*QDISCS, IFB)),
        ("classifiers", CLASSIFIERS),
        ("actions", ACTIONS),
    ):
        available, missing = features[group]["available"], features[group]["missing"]
        assert sorted(available + missing) == sorted(tried), group
    assert {"htb", "pfifo"} <= set(features["qdiscs"]["available"])
    netem_missing = "netem" in features["qdiscs"]["missing"]
    fq_codel_missing = "fq_codel" in features["qdiscs"]["missing"]
    consequences = features["consequences"]
    assert ("no netem: impair intents are refused" in consequences) == netem_missing
    assert ("no fq_codel: pfifo leaves instead of fq_codel" in consequences) == fq_codel_missing
    check = _checks(report)["tc_features"]
    assert "qdiscs htb" in check["detail"]
    if netem_missing:
        assert "impair intents are refused" in check["detail"]

    text = warden("doctor")
    assert "tc_features" in text.output and "qdiscs htb" in text.output


def test_without_net_admin_features_are_not_probed(warden, monkeypatch) -> None:
    monkeypatch.setattr(doctor, "has_net_admin", lambda: False)
    report = _report(warden)
    assert report["tc_features"] is None
    check = _checks(report)["tc_features"]
    assert check["ok"] is False
    assert "needs CAP_NET_ADMIN" in check["detail"]


def test_a_dry_run_is_loud(warden) -> None:
    report = _report(warden, WARDEN_ENFORCEMENT="dry-run", WARDEN_LAN_IFACES="lan0")
    check = _checks(report)["enforcement"]
    assert (check["ok"], check["required"]) == (False, False)
    assert check["detail"].startswith("DRY RUN: the kernel is not changed:")
    assert "WARDEN_ENFORCEMENT=dry-run" in check["detail"]
    assert report["ok"] is True  # a dry run is not a failure of warden itself

    text = warden("doctor", env={"WARDEN_ENFORCEMENT": "dry-run"})
    assert "DRY RUN: the kernel is not changed" in text.output


@pytest.mark.root
def test_kernel_mode_names_the_interfaces(warden) -> None:
    _require_root()
    if shutil.which("nft") is None:
        _unavailable("nft is not installed (apt-get install nftables)")
    report = _report(warden, WARDEN_LAN_IFACES="lan0,lan1")
    check = _checks(report)["enforcement"]
    assert check["ok"] is True
    assert check["detail"] == "kernel: tc on lan0, lan1, nftables table inet warden"
