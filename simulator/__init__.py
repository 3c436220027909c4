"""Virtual devices speaking PROTOCOL.md (pipeline issue). Imports core.protocol only.

from simulator import FleetConfig, run_fleet
summary = run_fleet(FleetConfig(brokers=["mqtt://127.0.0.1:1883"], preset="meters",
                                rate=10, duration=5))
print(summary.to_json())
"""

from simulator.config import FleetConfig
from simulator.faults import FAULT_HELP, FAULTS, parse_faults
from simulator.fleet import Fleet, run_fleet
from simulator.presets import KINDS, PRESETS
from simulator.summary import Counters, DeviceSummary, FleetSummary

__all__ = [
    "FAULTS",
    "FAULT_HELP",
    "KINDS",
    "PRESETS",
    "Counters",
    "DeviceSummary",
    "Fleet",
    "FleetConfig",
    "FleetSummary",
    "parse_faults",
    "run_fleet",
]
