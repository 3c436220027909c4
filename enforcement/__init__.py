"""The agent's enforcement workers: the tc and nftables backends (and their dry run), the
reconciler (an I/O shell around the pure ``reconcile_plan``), device configuration, the
verifier, intent timing, the action runner and the webhook notifier."""
