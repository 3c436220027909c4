"""The fleet read without the ORM answers exactly as ``list_devices`` does, and steps aside
(None) whenever the database is not a plain, current SQLite file."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlmodel import Session

from core.models import Device, DeviceFilter, DevicePublic, DeviceStatus
from core.runtime import Core
from core.services import apikeys, fleet_read
from core.services import devices as device_service
from warden.cli import devices_cmd
from warden.cli.main import cli

QUERIES = [
    fleet_read.FleetQuery(),
    fleet_read.FleetQuery(status="online"),
    fleet_read.FleetQuery(type="camera"),
    fleet_read.FleetQuery(type="cam"),
    fleet_read.FleetQuery(tag="door"),
    fleet_read.FleetQuery(location="hall"),
    fleet_read.FleetQuery(enabled=False),
    fleet_read.FleetQuery(text="CAM"),
    fleet_read.FleetQuery(text="10.0"),
    fleet_read.FleetQuery(text="a_b"),
    fleet_read.FleetQuery(text="%"),
    fleet_read.FleetQuery(status="offline", type="camera", text="x"),
]


def _fill(session: Session) -> None:
    """Devices that use every column and every filter's edge (subtypes, LIKE characters)."""
    seen = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)  # no microseconds: pydantic drops them
    session.add_all(
        [
            Device(
                id="cam-1",
                name="Hall camera",
                type="camera",
                tags=["door", "north"],
                location="hall",
                firmware="1.2",
                ip="10.0.0.1",
                mac="aa:bb:cc:dd:ee:ff",
                status=DeviceStatus.ONLINE,
                last_seen=seen,
                uptime_s=99,
                buf_usage_pct=12.5,
                temp_internal=41.0,
                broker_connections=2,
                send_interval_s=30,
                hello_interval_s=300,
                attributes={"model": "X1", "ünï": "códe"},
                settings=[{"name": "gain", "type": "int", "min": 0, "max": 10}],
            ),
            Device(id="cam-2", name="camera_ptz", type="camera_ptz", status=DeviceStatus.OFFLINE),
            Device(id="a_b", name="100%", type="cameras", enabled=False, ip="192.168.0.10"),
            Device(
                id="axb",
                name="x",
                type="sensor",
                tags=["doors"],
                last_seen=datetime(2026, 1, 2, 3, 4, 5, 600, tzinfo=UTC),
            ),
        ]
    )
    session.commit()


def _through_orm(session: Session, query: fleet_read.FleetQuery) -> list[dict[str, object]]:
    filters = DeviceFilter(
        status=DeviceStatus(query.status) if query.status else None,
        type=query.type,
        tag=query.tag,
        location=query.location,
        enabled=query.enabled,
        text=query.text,
    )
    found = device_service.list_devices(session=session, filters=filters).items
    return [d.model_dump(mode="json") for d in found]


@pytest.mark.parametrize("query", QUERIES, ids=repr)
def test_the_sqlite_read_answers_as_the_orm_does(core: Core, query: fleet_read.FleetQuery) -> None:
    with core.db.writer() as session:
        _fill(session)
    with core.db.reader() as session:
        expected = _through_orm(session, query)

    found = fleet_read.read_fleet(core.db.url, query)

    assert found is not None
    assert [fleet_read.as_json(d) for d in found] == expected
    assert json.dumps([fleet_read.as_json(d) for d in found]) == json.dumps(expected)


def test_the_python_values_are_those_of_the_public_model(core: Core) -> None:
    with core.db.writer() as session:
        _fill(session)
    with core.db.reader() as session:
        expected = [d.model_dump() for d in device_service.list_devices(session=session).items]

    assert fleet_read.read_fleet(core.db.url, fleet_read.FleetQuery()) == expected


def test_the_fields_and_choices_are_the_models() -> None:
    assert tuple(DevicePublic.model_fields) == fleet_read.FIELDS
    assert tuple(s.value for s in DeviceStatus) == fleet_read.DEVICE_STATUSES
    assert devices_cmd.KEY_SCOPES == apikeys.SCOPES
    assert device_service.FLEET_LIMIT == fleet_read.FLEET_LIMIT


def test_only_a_plain_sqlite_file_url_is_read_directly(tmp_path: Path) -> None:
    assert fleet_read.sqlite_file(f"sqlite:///{tmp_path}/w.db") == tmp_path / "w.db"
    assert fleet_read.sqlite_file("sqlite:///relative.db") == Path("relative.db")
    for url in (
        "postgresql+psycopg://u@h/db",
        "sqlite://",
        "sqlite:///:memory:",
        "sqlite+pysqlite:///w.db",
        "sqlite:///w.db?timeout=5",
    ):
        assert fleet_read.sqlite_file(url) is None, url


def test_a_missing_file_is_left_to_the_full_path_and_not_created(tmp_path: Path) -> None:
    missing = tmp_path / "none.db"

    assert fleet_read.read_fleet(f"sqlite:///{missing}", fleet_read.FleetQuery()) is None
    assert not missing.exists()


def test_an_older_or_newer_schema_is_left_to_the_full_path(core: Core, data_dir: Path) -> None:
    path = data_dir / "warden.db"
    for revision in ("0001", "9999_from_a_newer_warden"):
        with sqlite3.connect(path) as connection:
            connection.execute("UPDATE alembic_version SET version_num = ?", (revision,))
        assert fleet_read.read_fleet(core.db.url, fleet_read.FleetQuery()) is None


def test_a_file_that_is_no_database_is_left_to_the_full_path(tmp_path: Path) -> None:
    path = tmp_path / "warden.db"
    path.write_bytes(b"not a database at all" * 100)

    assert fleet_read.read_fleet(f"sqlite:///{path}", fleet_read.FleetQuery()) is None
    assert path.read_bytes() == b"not a database at all" * 100


@pytest.mark.postgres
def test_devices_list_on_postgresql_takes_the_full_path(pg_url: str, data_dir: Path) -> None:
    env = {"WARDEN_DATA_DIR": str(data_dir), "WARDEN_DATABASE_URL": pg_url}
    added = CliRunner().invoke(cli, ["devices", "add", "cam-1", "--type", "camera"], env=env)
    assert added.exit_code == 0, added.output

    listed = CliRunner().invoke(cli, ["devices", "list", "--json", "--type", "camera"], env=env)

    assert fleet_read.read_fleet(pg_url, fleet_read.FleetQuery()) is None
    assert listed.exit_code == 0, listed.output
    assert [(d["id"], d["type"], d["status"]) for d in json.loads(listed.stdout)] == [
        ("cam-1", "camera", "unknown")
    ]
