"""What this machine can do for Warden: privileges, kernel tools, broker, storage.

Each check reports the truth it found and whether Warden needs it to run at all
(``required``) or only for a capability (real enforcement instead of dry run, say).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

from pydantic import BaseModel

from collectors.syslog import EVERY_INTERFACE, listen_address
from core.config import Settings
from core.db import Database, head_revision
from core.errors import EnforcementError, WardenError
from core.ports import KernelFeatures
from warden.broker_check import broker_limits
from warden.enforcement import dry_run_reasons, has_net_admin

BROKER_TIMEOUT_S = 1.0

MISSING_MEANS: dict[str, str] = {
    "htb": "nothing can be shaped (rate limits are refused)",
    "u32": "nothing can be shaped (classes cannot match addresses)",
    "fq_codel": "pfifo leaves instead of fq_codel",
    "netem": "impair intents are refused",
    "ingress": "upload shaping is refused (no ingress qdisc to redirect from)",
    "ifb": "upload shaping is refused (no IFB devices)",
    "mirred": "upload shaping is refused (no redirect into the IFB device)",
}
"""What a missing traffic-control kind costs Warden; kinds not listed are not used."""
NEEDED_FOR_SHAPING = ("htb", "u32", "ingress", "ifb", "mirred")


class Check(BaseModel):
    name: str
    ok: bool
    required: bool
    detail: str


class FeatureKinds(BaseModel):
    available: list[str]
    missing: list[str]


class TcFeatures(BaseModel):
    """The kernel's traffic-control kinds, as ``enforcement.probe`` found them by trying."""

    qdiscs: FeatureKinds
    """Includes ``ifb`` when the kernel can create IFB devices."""
    classifiers: FeatureKinds
    actions: FeatureKinds
    consequences: list[str]
    """What each missing kind Warden uses means, in words."""


class DoctorReport(BaseModel):
    ok: bool
    """Every required check passed."""
    checks: list[Check]
    tc_features: TcFeatures | None = None
    """None when the kernel was not probed (no CAP_NET_ADMIN, or the probe failed)."""


def check_privileges() -> Check:
    who = "root" if os.geteuid() == 0 else f"uid {os.geteuid()}"
    if has_net_admin():
        return Check(
            name="net_admin",
            ok=True,
            required=False,
            detail=f"{who} with CAP_NET_ADMIN: real enforcement possible",
        )
    return Check(
        name="net_admin",
        ok=False,
        required=False,
        detail=f"{who} without CAP_NET_ADMIN: enforcement runs as dry run",
    )


def describe_features(features: KernelFeatures) -> TcFeatures:
    """Available and missing kinds (of those ``enforcement.probe`` tries), and what the
    missing ones mean for Warden."""
    from enforcement.probe import ACTIONS, CLASSIFIERS, IFB, QDISCS

    def kinds(tried: tuple[str, ...], found: frozenset[str]) -> FeatureKinds:
        return FeatureKinds(
            available=[k for k in tried if k in found], missing=[k for k in tried if k not in found]
        )

    described = TcFeatures(
        qdiscs=kinds((*QDISCS, IFB), features.qdiscs),
        classifiers=kinds(CLASSIFIERS, features.classifiers),
        actions=kinds(ACTIONS, features.actions),
        consequences=[],
    )
    missing = [
        *described.qdiscs.missing,
        *described.classifiers.missing,
        *described.actions.missing,
    ]
    described.consequences = [f"no {k}: {MISSING_MEANS[k]}" for k in missing if k in MISSING_MEANS]
    return described


def check_tc_features(settings: Settings) -> tuple[Check, TcFeatures | None]:
    """Probe the kernel's qdiscs, classifiers and actions (needs CAP_NET_ADMIN: the probe
    runs in a throwaway network namespace)."""
    if not has_net_admin():
        return Check(
            name="tc_features",
            ok=False,
            required=False,
            detail="not probed: listing the kernel's tc features needs CAP_NET_ADMIN",
        ), None
    from enforcement.probe import probe_features

    try:
        features = describe_features(probe_features(settings.enforcement_netns))
    except EnforcementError as exc:
        return Check(name="tc_features", ok=False, required=False, detail=str(exc)), None
    missing = [
        *features.qdiscs.missing,
        *features.classifiers.missing,
        *features.actions.missing,
    ]
    parts = [
        f"qdiscs {', '.join(features.qdiscs.available) or 'none'}",
        f"classifiers {', '.join(features.classifiers.available) or 'none'}",
        f"actions {', '.join(features.actions.available) or 'none'}",
        f"missing {', '.join(missing) or 'nothing'}",
        *features.consequences,
    ]
    return Check(
        name="tc_features",
        ok=not any(kind in missing for kind in NEEDED_FOR_SHAPING),
        required=False,
        detail="; ".join(parts),
    ), features


def check_enforcement(settings: Settings) -> Check:
    """Loud about a dry run: whether plans reach the kernel, and if not, why."""
    tc_reasons, nft_reasons = dry_run_reasons(settings)
    reasons = [
        f"{backend}: {'; '.join(why)}"
        for backend, why in (("tc", tc_reasons), ("nftables", nft_reasons))
        if why
    ]
    if reasons:
        refused = (
            " (WARDEN_ENFORCEMENT=kernel: Warden refuses to start like this)"
            if settings.enforcement == "kernel"
            else ""
        )
        return Check(
            name="enforcement",
            ok=False,
            required=False,
            detail=f"DRY RUN: the kernel is not changed: {' | '.join(reasons)}{refused}",
        )
    return Check(
        name="enforcement",
        ok=True,
        required=False,
        detail=f"kernel: tc on {', '.join(settings.lan_interfaces)}, nftables table inet warden",
    )


def check_tool(name: str, version_args: list[str], purpose: str) -> Check:
    path = shutil.which(name)
    if path is None:
        return Check(name=name, ok=False, required=False, detail=f"not installed ({purpose})")
    try:
        done = subprocess.run(  # noqa: S603 - fixed argument vector, no shell
            [path, *version_args], capture_output=True, text=True, timeout=5, check=False
        )
        version = (
            (done.stdout or done.stderr).strip().splitlines()[0]
            if (done.stdout or done.stderr)
            else "version unknown"
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return Check(name=name, ok=False, required=False, detail=f"{path} does not run: {exc}")
    return Check(name=name, ok=True, required=False, detail=f"{path}: {version}")


def check_brokers(settings: Settings) -> list[Check]:
    checks = []
    for broker in settings.mqtt_brokers:
        try:
            with socket.create_connection((broker.host, broker.port), timeout=BROKER_TIMEOUT_S):
                pass
        except OSError as exc:
            checks.append(
                Check(
                    name=f"broker {broker.url}",
                    ok=False,
                    required=False,
                    detail=f"not reachable: {exc.strerror or exc}",
                )
            )
        else:
            checks.append(
                Check(
                    name=f"broker {broker.url}",
                    ok=True,
                    required=False,
                    detail="accepts TCP connections",
                )
            )
        keeps, why = broker_limits(broker, settings.mqtt_broker_config)
        checks.append(
            Check(name=f"broker {broker.url} queues", ok=keeps, required=False, detail=why)
        )
    return checks


def check_syslog(settings: Settings) -> Check:
    """Where the syslog collector listens, and a warning when that is every interface
    (the WAN too) or only the loopback address (routers cannot reach it)."""
    if "syslog" in settings.collectors_disabled:
        return Check(name="syslog", ok=True, required=False, detail="disabled (not started)")
    address = listen_address(settings)
    where = (
        f"listens on {address.host} udp/{settings.syslog_udp_port} "
        f"tcp/{settings.syslog_tcp_port} ({address.why})"
    )
    if address.host in EVERY_INTERFACE:
        return Check(
            name="syslog",
            ok=False,
            required=False,
            detail=f"{where}: every interface, the WAN too; anyone who reaches this machine "
            "can fill its log store. Set WARDEN_SYSLOG_HOST to the LAN address, or leave it "
            "empty and set WARDEN_LAN_IFACES",
        )
    if address.host.startswith("127.") or address.host == "::1":
        return Check(
            name="syslog",
            ok=not settings.lan_interfaces and bool(settings.syslog_host),
            required=False,
            detail=f"{where}: only this machine can send; routers cannot reach it until "
            "WARDEN_LAN_IFACES or WARDEN_SYSLOG_HOST names the LAN side",
        )
    return Check(name="syslog", ok=True, required=False, detail=where)


def check_data_dir(settings: Settings) -> Check:
    path = settings.data_dir
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".doctor-"):
            pass
    except OSError as exc:
        return Check(
            name="data_dir",
            ok=False,
            required=True,
            detail=f"{path} is not writable: {exc.strerror or exc}",
        )
    usage = shutil.disk_usage(path)
    return Check(
        name="data_dir",
        ok=True,
        required=True,
        detail=f"{path.resolve()} writable, {usage.free / 2**30:.1f} GiB free",
    )


def check_database(settings: Settings) -> Check:
    db = Database(settings.resolved_database_url)
    try:
        db.migrate()
        revision = db.revision()
    except (WardenError, OSError) as exc:
        return Check(name="database", ok=False, required=True, detail=str(exc))
    finally:
        db.dispose()
    return Check(
        name="database",
        ok=revision == head_revision(),
        required=True,
        detail=f"{db.dialect}, schema revision {revision}",
    )


def check_influx(settings: Settings) -> list[Check]:
    """The InfluxDB mirror, when one is configured: a probe point written as the mirror
    writes (server, token, bucket)."""
    if not settings.influx_url:
        return []
    from collectors.sinks import influx_mirror  # the client library only when configured

    ok, detail = influx_mirror.probe(settings, now_ms=int(time.time() * 1000))
    return [Check(name="influx mirror", ok=ok, required=False, detail=detail)]


def check_archive(settings: Settings) -> list[Check]:
    """The S3 raw archive, when one is configured: server, keys and bucket."""
    if not settings.s3_url:
        return []
    from collectors.sinks import archive  # the client library only when configured

    ok, detail = archive.probe(settings)
    return [Check(name="s3 archive", ok=ok, required=False, detail=detail)]


def run_checks(settings: Settings) -> DoctorReport:
    checks: list[Check] = [
        Check(
            name="python",
            ok=sys.version_info >= (3, 11),
            required=True,
            detail=sys.version.split()[0],
        ),
        check_privileges(),
        check_enforcement(settings),
        check_tool("tc", ["-V"], "traffic shaping"),
        check_tool("nft", ["--version"], "firewall enforcement"),
    ]
    features_check, features = check_tc_features(settings)
    checks += [
        features_check,
        *check_brokers(settings),
        check_syslog(settings),
        *check_influx(settings),
        *check_archive(settings),
    ]
    data_dir = check_data_dir(settings)
    checks.append(data_dir)
    if data_dir.ok or settings.database_url:
        checks.append(check_database(settings))
    return DoctorReport(
        ok=all(c.ok for c in checks if c.required), checks=checks, tc_features=features
    )
