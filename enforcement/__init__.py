"""Enforcement backends: tc through pyroute2, nftables, device configuration, reconciler (enforcement issue)."""
