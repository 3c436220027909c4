"""The phrasings of every intent kind: one table, one line per phrasing.

Each entry is ``(kind, build, phrasings)``; ``build`` (``builders.py``) turns the values read
into ``params``. The pattern language is described in ``grammar.py``. Decisions: "restart" and
"reset" are reboots; "upgrade meter-4" without a version is a firmware update with
``fw_version: null``.
"""

from __future__ import annotations

from collections.abc import Callable

from core.intents.builders import (
    DIRS,
    FACTOR_WORDS,
    STOPPING,
    Built,
    Values,
    build_allow,
    build_every,
    build_guarantee,
    build_impair,
    build_latency,
    build_limit,
    build_power,
    build_priority,
    build_report,
    build_revoke,
    build_sampling,
    build_scaled,
    build_setting,
    build_state,
    build_unblock,
    command_builder,
    priority_builder,
    qos_builder,
    scope_builder,
)

_BW = "bandwidth|traffic|speed|rate"
_LIMIT = "limit|throttle|cap|restrict|shape|rate-limit"
_ON = "for|on|of|to"
_REVOKE = "cancel|revoke|remove|delete|drop|withdraw|undo|clear|lift"
_QOS_TAIL = "for|on|to|with {targets}"
_LOWER = "reduce|lower|decrease|cut"
_SETV = "set|change|adjust|modify"
_MORE = "raise|increase|boost|bump|elevate"
_LESS = "lower|reduce|decrease|drop"
_LATV = "keep|hold|ensure|guarantee|get|bring|reduce|lower|decrease|cut|minimize|minimise|limit|cap"
_BELOW = "under|below|within|to|at"
_STAYS = "stays|is|remains|be"
_MESSAGES = "messages|data|readings|telemetry|measurements"
_POWER = "power|energy"

TABLE: list[tuple[str, Callable[[Values], Built], list[str]]] = [
    ("bandwidth_limit", build_limit, [
        f"{_LIMIT} {{targets}} to|at {{rate}}",
        f"{_LIMIT} {{targets}} dir={DIRS} [{_BW}] to|at {{rate}}",
        f"{_LIMIT} dir={DIRS} [{_BW}] of|for|on|from {{targets}} to|at {{rate}}",
        f"{_LIMIT} {_BW} of|for|on {{targets}} to|at {{rate}}",
        f"{_LIMIT} {{targets}} {_BW} to|at {{rate}}",
        f"{_LIMIT} [dir={DIRS}] [{_BW}] to|at {{rate}}",
        f"{_SETV} [dir={DIRS}] {_BW} limit of|for|on {{targets}} to {{rate}}",
        f"{_SETV} [dir={DIRS}] {_BW} limit to {{rate}} [for|on|of {{targets}}]",
        f"{_LOWER} [dir={DIRS}] {_BW} [of|for|on|from {{targets}}] to|at {{rate}}",
        f"{_LOWER} {{targets}} [dir={DIRS}] {_BW} to {{rate}}",
        f"bring|slow down [dir={DIRS}] [{_BW}] [of|for|on|from {{targets}}] to {{rate}}",
        f"bring|slow [dir={DIRS}] {_BW} [of|for|on|from {{targets}}] down to {{rate}}",
        "bring|slow {targets} down to {rate}",
        f"keep|hold [dir={DIRS}] [{_BW}] [of|for|on|from {{targets}}] under|below|within {{rate}}",
        f"keep|hold {{targets}} [dir={DIRS}] [{_BW}] under|below|within {{rate}}",
        f"[use|get|gets|uses] max|maximum {{rate}} [dir={DIRS}] [{_BW}]",
        f"[use|get|gets|uses] at most {{rate}} [dir={DIRS}] [{_BW}]",
        f"[use|get|gets|uses] no|not more than {{rate}} [dir={DIRS}] [{_BW}]",
        "slow down {targets} to {rate}",
    ]),
    ("bandwidth_guarantee", build_guarantee, [
        "guarantee|reserve|allocate|assure [at least] {rate} [of] [bandwidth] [for|to {targets}]",
        "guarantee|reserve|allocate|assure {targets} [at least] {rate} [of] [bandwidth]",
        "guarantee|reserve|allocate|assure bandwidth of {rate} [for|to {targets}]",
    ]),
    ("priority", build_priority, [
        "prioritize|prioritise [{targets}]",
        "prioritize|prioritise {targets} as|with|at {level:level} [priority]",
        "make|mark {targets} {level:pword} [priority]",
        "make|mark {targets} priority {level:level}",
        "give {targets} {level:pword} priority",
        "give {targets} priority {level:level}",
        "give {level:pword} priority to {targets}",
        "give priority [{level:level}] to {targets}",
        f"{_SETV}|{_MORE}|{_LESS} priority of|for|on {{targets}} to {{level:level}}",
        f"{_SETV}|{_MORE}|{_LESS} priority to {{level:level}} [for|on|of {{targets}}]",
        f"{_SETV} {{targets}} priority to {{level:level}}",
        f"{_SETV} {{targets}} to {{level:pword}} priority",
        f"{_SETV}|give|assign|use {{level:pword}} priority [for|to|on {{targets}}]",
        "[have|get|with] {level:pword} priority [for|to|on {targets}]",
        "[have|get|with] priority {level:level} [for|to|on {targets}]",
        f"{_MORE} priority [of|for|on {{targets}}]",
        "boost|bump {targets}",
        "speed up [{targets}]",
        "speed {targets} up",
        "treat {targets} as {level:pword} [priority]",
        "treat {targets} as priority {level:level}",
    ]),
    ("priority", priority_builder(2), [
        f"{_LESS} priority [of|for|on {{targets}}]",
        "deprioritize|deprioritise [{targets}]",
    ]),
    ("low_latency", build_latency, [
        "minimize|minimise|reduce|lower latency [for|of|on|to {targets}]",
        "minimize|minimise|reduce|lower {targets} latency",
        f"[{_LATV}] latency [of|for|on {{targets}}] [down] [{_STAYS}] {_BELOW} {{lat:ms}}",
        f"[{_LATV}] latency down [{_STAYS}] to {{lat:ms}}",
        "keep|hold {targets} latency under|below {lat:ms}",
        "[use|enable] low latency for|on|to {targets}",
        "optimize|optimise {targets} for low latency",
    ]),
    ("impair", build_impair, [
        "add|inject|introduce|simulate|apply {impair} [to|for|on {targets}]",
        "drop|lose {loss:pct} [of] [packets|traffic] [for|on|from|to|of {targets}]",
        "delay {targets} by {delay:ms}",
        "delay traffic|packets of|for|to|from {targets} by {delay:ms}",
    ]),
    ("mqtt_qos", qos_builder(), [
        phrasing
        for qos in ("qos", "quality of service")
        for phrasing in (
            f"use|set|enable [mqtt] {qos} [level] {{level:int}} [{_QOS_TAIL}]",
            f"{_SETV} [mqtt] {qos} of|for|on {{targets}} to [level] {{level:int}}",
            f"{_SETV} [mqtt] {qos} to [level] {{level:int}} [{_QOS_TAIL}]",
            f"[mqtt] {qos} [level] {{level:int}} [{_QOS_TAIL}]",
        )
    ]),
    ("mqtt_qos", qos_builder(1), [
        f"[use|enable] reliable delivery [{_QOS_TAIL}]",
        f"[use|enable] at least once [delivery] [{_QOS_TAIL}]",
        "make|keep delivery reliable|guaranteed",
        "delivery must|should|has [to] [be] reliable|guaranteed",
        "guarantee|ensure [reliable] delivery",
        f"[send|publish|deliver|report] [{_MESSAGES}] [from|of|for {{targets}}] without "
        f"losing|dropping|loss|losses [of] [any] [{_MESSAGES}]",
        f"[does|do] not|never lose|drop [any] {_MESSAGES}",
        f"doesn't|don't|won't lose|drop [any] {_MESSAGES}",
    ]),
    ("mqtt_qos", qos_builder(2), [f"[use|enable] exactly once [delivery] [{_QOS_TAIL}]"]),
    ("mqtt_qos", qos_builder(0), [
        f"[use|enable] at most once [delivery] [{_QOS_TAIL}]",
        f"[use|enable] best effort delivery [{_QOS_TAIL}]",
    ]),
    ("report_interval", build_report, [
        "send|report|publish|transmit [data|readings|telemetry|measurements] every "
        "{interval:secs} [for|from|on|of {targets}]",
        "make|let|have {targets} send|report|publish|transmit "
        "[data|readings|telemetry|measurements] every {interval:secs}",
        f"{_SETV}|{_MORE}|{_LESS} report|reporting|send|publish interval of|for|on {{targets}} "
        "to {interval:secs}",
        f"{_SETV}|{_MORE}|{_LESS} report|reporting|send|publish interval to {{interval:secs}} "
        "[for|on|of {targets}]",
    ]),
    ("sampling", build_sampling, [
        "sample [data] every|at {cadence} [on|for|from|of {targets}]",
        "sample {targets} every|at {cadence}",
        f"{_SETV}|{_MORE}|{_LESS} sampling|sample interval|rate|cadence|period|frequency "
        "of|for|on {targets} to {cadence}",
        f"{_SETV}|{_MORE}|{_LESS} sampling|sample interval|rate|cadence|period|frequency "
        "to {cadence} [for|on|of {targets}]",
        "sampling|sample rate|frequency|interval [of|for|on {targets}] [to|at|of] {cadence}",
        "make|let|have {targets} sample every|at {cadence}",
    ]),
    ("power_saving", build_power, [
        f"sw=enable|disable power saving [mode] [{_ON} {{targets}}]",
        f"turn sw=on|off power saving [mode] [{_ON} {{targets}}]",
        f"turn power saving [mode] sw=on|off [{_ON} {{targets}}]",
        "put {targets} in|into power saving [mode]",
        f"cut|reduce|lower|decrease|minimize|minimise [{_POWER}] draw|consumption|use|usage "
        "[of|for|on {targets}]",
        f"save|conserve battery|{_POWER} [on|for|of {{targets}}]",
        "make battery [of|on|for {targets}] last longer",
        "make {targets} battery last longer",
        "extend|prolong|maximize|maximise battery life|lifetime [of|for|on {targets}]",
        f"[make {{targets}}] use less {_POWER}",
    ]),
    ("device_setting", build_setting, [
        f"set|change|configure {{key}} to {{value}} [{_ON} {{targets}}]",
        "set|change|configure {key} of|for|on {targets} to {value}",
        "sw=enable|disable {key} on|for|of {targets}",
        "turn sw=on|off {key} on|for|of {targets}",
    ]),
    ("device_setting", build_every, ["{action:action} every {interval:secs}"]),
    ("device_setting", build_scaled, [f"scale={FACTOR_WORDS} {{key}} [of|for|on {{targets}}]"]),
    ("device_command", command_builder("reboot"), [
        "reboot|restart|reset|power-cycle|reload [{targets}]",
    ]),
    ("device_command", command_builder("factory_reset"), [
        "factory-reset [{targets}]",
        "factory reset [{targets}]",
        "reset {targets} to factory defaults|settings",
    ]),
    ("device_command", command_builder("request_status"), [
        "ask {targets} for [its|their] status [report]",
        "request|get|query|fetch|check status [of|from|for {targets}]",
    ]),
    ("device_command", command_builder("start_ota"), [
        "upgrade|update|flash {targets} to|with [firmware|version] {version}",
        "upgrade|update|flash [firmware|software] of|on|for {targets} to [firmware|version] "
        "{version}",
        "upgrade|update|flash [firmware|software] to [firmware|version] {version}",
        "upgrade|update|flash {targets}",
        "start ota [on|for {targets}] [to|with [firmware|version] {version}]",
    ]),
    ("device_state", build_state, [
        "sw=enable|disable|activate|deactivate {targets}",
        "turn|switch sw=on|off {targets}",
        "turn|switch {targets} sw=on|off",
    ]),
    ("block", scope_builder("all"), [
        "block|deny|ban [{targets}]",
        "block|deny|ban [all] traffic of|from|to|for {targets}",
        "cut {targets} off",
        "cut off {targets}",
        "disconnect {targets}",
    ]),
    ("block", scope_builder("internet"), [
        "block|deny|ban {targets} from [accessing|reaching] internet|wan",
        "block|deny|ban internet|wan [access] [for|to|from|of {targets}]",
        "cut {targets} off from internet|wan",
        "cut off {targets} from internet|wan",
        "disconnect {targets} from internet|wan",
    ]),
    ("block", scope_builder("quarantine"), [
        "quarantine|isolate [{targets}]",
        "put|move|place {targets} in|into quarantine",
    ]),
    ("allow_only", build_allow, [
        "allow|permit|let {targets} [to] reach|access|contact only {dests}",
        "allow|permit|let {targets} [to] reach|access|contact {dests} only",
        "allow|permit|let {targets} [to] talk|connect to only {dests}",
        "allow|permit|let {targets} [to] talk|connect to {dests} only",
        "only allow|permit|let {targets} [to] reach|access|contact {dests}",
        "restrict {targets} to [only] {dests}",
    ]),
    ("unblock", build_unblock, [
        "unblock|unquarantine|unban|unisolate [{targets}]",
        "let|release|take|bring {targets} out of quarantine|isolation",
        "release {targets} from quarantine|isolation|block",
        "restore internet [access] [for|to|of {targets}]",
    ]),
    ("revoke", build_revoke, [
        f"{_REVOKE} intent [number] {{id:int}}",
        f"{_REVOKE} [all|every|any] {{revkind}} [for|on|from|of|to {{targets}}]",
        "stop stop=" + "|".join(STOPPING) + " [{targets}]",
    ]),
]  # fmt: skip

EXAMPLES: dict[str, list[str]] = {
    "bandwidth_limit": ["limit camera-3 to 2 mbit", "cap upload of nas-1 at 20 Mbit/s"],
    "bandwidth_guarantee": ["guarantee 5 mbit for voip-1"],
    "priority": ["prioritize doorbell-1", "set priority of fan-1 to 3"],
    "low_latency": ["keep latency under 30 ms for robots"],
    "impair": ["add 200 ms delay with 20 ms jitter to lab-7", "drop 2% of packets for lab-7"],
    "mqtt_qos": ["use qos 1 for weather stations"],
    "report_interval": ["report every 30 s for meter-4"],
    "sampling": ["sample every 500 ms on meter-4"],
    "power_saving": ["enable power saving for battery sensors"],
    "device_setting": ["set screen brightness to 40 for panel-1"],
    "device_command": ["reboot gateway-4", "upgrade meter-4 to firmware 2.3.1"],
    "device_state": ["disable kiosk-3"],
    "block": ["block 10.0.0.23", "quarantine printer-2"],
    "allow_only": ["allow cam-4 to reach only 10.0.0.5 port 554"],
    "unblock": ["unblock 10.0.0.23"],
    "revoke": ["cancel intent 17", "remove all limits for camera-3"],
}
