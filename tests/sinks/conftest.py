"""A real InfluxDB-compatible server for the mirror's tests: VictoriaMetrics (Debian's
``victoria-metrics``), which accepts the ``/api/v2/write`` line protocol that
``influxdb-client`` sends. InfluxDB 2.x itself cannot be installed on these machines."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import urllib3

from tests.conftest import _accepts, _free_port, _stop, _unavailable

VICTORIA = "victoria-metrics"
HOST = "127.0.0.1"


@dataclass
class Victoria:
    port: int
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def stop(self) -> None:
        _stop(self.process)

    def export(self) -> dict[str, dict[int, float]]:
        """Every stored sample, by series (``name{labels}``) and timestamp."""
        urllib3.request("GET", f"{self.url}/internal/force_flush", timeout=10)
        answer = urllib3.request(
            "GET", f"{self.url}/api/v1/export", fields={"match[]": '{__name__=~".+"}'}, timeout=10
        )
        assert answer.status == 200, answer.data
        body = answer.data.decode()
        series: dict[str, dict[int, float]] = {}
        for line in body.splitlines():
            row = json.loads(line)
            labels = dict(row["metric"])
            name = labels.pop("__name__")
            key = name + json.dumps(labels, sort_keys=True)
            samples = series.setdefault(key, {})
            for ts, value in zip(row["timestamps"], row["values"], strict=True):
                assert ts not in samples, f"{key} holds {ts} twice"
                samples[ts] = value
        return series


@pytest.fixture
def victoria_factory(tmp_path: Path) -> Iterator[Callable[..., Victoria]]:
    """Starts VictoriaMetrics on a free (or a given) port, data in the test's directory.
    ``auth`` starts it behind basic authentication, which an InfluxDB token cannot pass."""
    binary = shutil.which(VICTORIA)
    if binary is None:
        _unavailable("victoria-metrics is not installed (apt-get install victoria-metrics)")
    started: list[Victoria] = []

    def start(port: int | None = None, *, auth: bool = False) -> Victoria:
        port = port or _free_port(HOST)
        argv = [
            str(binary),
            f"-httpListenAddr={HOST}:{port}",
            f"-storageDataPath={tmp_path / 'victoria'}",
            "-retentionPeriod=100y",
            "-search.latencyOffset=0s",
            # InfluxDB overwrites a point written twice; this makes VictoriaMetrics keep one.
            "-dedup.minScrapeInterval=1ms",
        ]
        if auth:
            argv += ["-httpAuth.username=warden", "-httpAuth.password=not-a-token"]
        log = (tmp_path / "victoria.log").open("ab")
        process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while not _accepts(HOST, port):
            if process.poll() is not None or time.monotonic() > deadline:
                _stop(process)
                raise RuntimeError(f"victoria-metrics did not start: see {tmp_path}")
            time.sleep(0.05)
        server = Victoria(port, process)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
