"""Enforcement backends: tc through pyroute2, nftables, device configuration, reconciler.

Filled by the enforcement issue."""
