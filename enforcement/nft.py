"""The ``Firewall`` port on nftables: one table ``inet warden``, written as one JSON
transaction through ``nft -j -f -`` and read back with ``nft -j list table inet warden``.

The table's layout is drawn in ``enforcement.nft_ruleset`` (``build_commands``, pure);
rules are checked in ``enforcement.nft_rules`` and read back in ``enforcement.nft_listing``.
This module runs ``nft``.

``apply`` deletes and recreates the table in the same transaction (atomic, idempotent) and
does nothing when the table already holds exactly what is asked, so counters survive a
reconcile that changes nothing; they restart at zero whenever the table is rewritten.
``internet_block`` without a WAN interface drops forwarded traffic from the address that
leaves through any interface that is not a LAN interface. Names and values never reach a
shell: every address goes through ``ipaddress``, every interface name through a pattern,
and ``nft`` runs from an argument vector.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Mapping, Sequence
from typing import Any

from core.errors import EnforcementError
from core.ports import FirewallRule
from enforcement.nft_listing import outline, parse_listing
from enforcement.nft_rules import (
    DEFAULT_GATEWAY_SERVICES,
    FAMILY,
    TABLE,
    check_rules,
    interface,
    network,
    normalize_rule,
    service_ports,
)
from enforcement.nft_ruleset import build_commands, table_object

__all__ = ["DEFAULT_GATEWAY_SERVICES", "NftFirewall", "build_commands", "normalize_rule"]

_NETNS = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_TIMEOUT_S = 10


class NftFirewall:
    """The ``Firewall`` port in the kernel, through ``nft -j`` (optionally in a netns)."""

    mode = "kernel"
    dry_run_reason: str | None = None

    def __init__(
        self,
        *,
        lan_interfaces: Sequence[str],
        wan_interface: str | None,
        gateway_services: Mapping[str, int | Sequence[int]] = DEFAULT_GATEWAY_SERVICES,
        management: Sequence[str] = (),
        netns: str | None = None,
        nft: str = "nft",
    ) -> None:
        self.lan_interfaces = tuple(interface(name) for name in lan_interfaces)
        self.wan_interface = None if wan_interface is None else interface(wan_interface)
        if self.wan_interface is None and not self.lan_interfaces:
            raise EnforcementError("Without a WAN interface, name at least one LAN interface")
        self.services = service_ports(gateway_services)
        self.management = tuple(network(a, "Management address") for a in management)
        if netns is not None and not _NETNS.match(netns):
            raise EnforcementError(f"Network namespace name {netns!r} is not valid")
        self.netns = netns
        self.nft = nft

    # -- kernel I/O

    def _run(
        self, args: Sequence[str], stdin: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        argv = [self.nft, *args]
        if self.netns is not None:
            argv = ["ip", "netns", "exec", self.netns, *argv]
        try:
            return subprocess.run(  # noqa: S603 - fixed argument vector, no shell
                argv,
                input=stdin,
                check=False,
                capture_output=True,
                text=True,
                timeout=_TIMEOUT_S,
                env={**os.environ, "LC_ALL": "C"},
            )
        except FileNotFoundError:
            raise EnforcementError(f"{argv[0]} is not installed (or not on PATH)") from None
        except subprocess.TimeoutExpired:
            raise EnforcementError(f"{' '.join(argv)} did not finish in {_TIMEOUT_S} s") from None

    def _transaction(self, commands: list[dict[str, Any]]) -> None:
        done = self._run(["-j", "-f", "-"], json.dumps({"nftables": commands}))
        if done.returncode != 0:
            reason = " ".join(done.stderr.split()) or f"exit status {done.returncode}"
            raise EnforcementError(f"nftables refused the change to table inet {TABLE}: {reason}")

    def _document(self) -> dict[str, Any] | None:
        """The table as ``nft -j`` lists it, or None when there is none."""
        done = self._run(["-j", "list", "table", FAMILY, TABLE])
        if done.returncode != 0:
            if "No such file or directory" in done.stderr:
                return None
            reason = " ".join(done.stderr.split()) or f"exit status {done.returncode}"
            raise EnforcementError(f"Could not read table inet {TABLE}: {reason}")
        try:
            return json.loads(done.stdout)
        except ValueError as exc:
            raise EnforcementError(
                f"nft -j printed no JSON for table inet {TABLE}: {exc}"
            ) from None

    def _list(
        self, document: dict[str, Any] | None = None
    ) -> list[tuple[FirewallRule, dict[str, int]]]:
        document = self._document() if document is None else document
        if document is None:
            return []
        try:
            return parse_listing(document)
        except (ValueError, KeyError, TypeError, IndexError, StopIteration) as exc:
            raise EnforcementError(f"Could not understand table inet {TABLE}: {exc!r}") from None

    # -- the port

    def read(self) -> list[FirewallRule]:
        return [rule for rule, _counters in self._list()]

    def counters(self) -> dict[str, dict[str, int]]:
        return {rule.address: dropped for rule, dropped in self._list()}

    def check(self, desired: Sequence[FirewallRule]) -> list[FirewallRule]:
        """``desired`` normalized and sorted, or ``EnforcementError`` naming what is refused
        (see ``enforcement.nft_rules.check_rules``)."""
        return check_rules(desired, management=self.management)

    def apply(self, desired: Sequence[FirewallRule]) -> None:
        """Make table ``inet warden`` hold exactly ``desired``; with nothing desired there
        is no table at all (nothing of Warden's is left in the kernel)."""
        rules = self.check(desired)
        if not rules:
            if self._document() is not None:
                self.clear()
            return
        commands = build_commands(
            rules,
            lan_interfaces=self.lan_interfaces,
            wan_interface=self.wan_interface,
            services=self.services,
        )
        document = self._document()
        if (
            document is not None
            and outline(document["nftables"]) == outline(commands)
            and [rule for rule, _dropped in self._list(document)] == rules
        ):
            return  # already in place: leave it, and its counters, alone
        self._transaction(commands)

    def clear(self) -> None:
        table = table_object()
        self._transaction([{"add": table}, {"delete": table}])
