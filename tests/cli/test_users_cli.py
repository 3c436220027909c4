"""`warden users` and `warden audit`: the first admin, passwords from a hidden prompt or
stdin (never an argument), role and state changes, and the audit trail they leave."""

from __future__ import annotations

import pytest

from core import passwords
from tests.cli.conftest import warden  # noqa: F401 - the fixture

PASSWORD = "violet-harbour-29-kettle"


@pytest.fixture(autouse=True)
def _fast_bcrypt(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(passwords, "BCRYPT_COST", 4)


def add(warden, name="alice", role="admin", password=PASSWORD):  # noqa: F811
    return warden("users", "add", name, "--role", role, "--password-stdin", input=password + "\n")


def test_the_first_admin_from_stdin_then_listed(warden):  # noqa: F811
    assert "no users" in warden("users", "list").output
    done = add(warden)
    assert done.exit_code == 0, done.output
    assert "user alice added as admin" in done.output
    assert PASSWORD not in done.output
    (listed,) = warden.json("users", "list")
    assert (listed["name"], listed["role"], listed["disabled"]) == ("alice", "admin", False)
    assert "password_hash" not in listed
    table = warden("users", "list").output
    assert "alice" in table and "enabled" in table


def test_the_prompt_asks_twice_and_hides_the_password(warden):  # noqa: F811
    done = warden("users", "add", "bob", "--role", "viewer", input=f"{PASSWORD}\n{PASSWORD}\n")
    assert done.exit_code == 0, done.output
    assert PASSWORD not in done.output  # hidden input is not echoed
    assert done.output.count("Password") >= 1 and "Repeat" in done.output
    mismatch = warden(
        "users",
        "add",
        "carl",
        "--role",
        "viewer",
        input=f"{PASSWORD}\nother-passphrase-1\n{PASSWORD}\n{PASSWORD}\n",
    )
    assert mismatch.exit_code == 0, mismatch.output
    assert "do not match" in mismatch.output.lower()


def test_a_weak_password_or_bad_name_is_one_line_and_exit_2(warden):  # noqa: F811
    weak = add(warden, password="short")
    assert weak.exit_code == 2
    assert "at least 12 characters" in weak.output
    common = add(warden, password="Password1234")
    assert common.exit_code == 2 and "common" in common.output
    bad = add(warden, name="Bad Name")
    assert bad.exit_code == 2 and "not a user name" in bad.output
    assert add(warden, role="root").exit_code == 2


def test_passwd_role_disable_enable(warden):  # noqa: F811
    add(warden)
    add(warden, "olga", "operator")
    done = warden("users", "passwd", "olga", "--password-stdin", input="new-long-passphrase-7\n")
    assert done.exit_code == 0, done.output
    assert warden("users", "role", "olga", "viewer").exit_code == 0
    assert warden("users", "disable", "olga").exit_code == 0
    users = {u["name"]: u for u in warden.json("users", "list")}
    assert (users["olga"]["role"], users["olga"]["disabled"]) == ("viewer", True)
    assert warden("users", "enable", "olga").exit_code == 0
    assert not {u["name"]: u for u in warden.json("users", "list")}["olga"]["disabled"]
    last = warden("users", "disable", "alice")
    assert last.exit_code == 2 and "last enabled admin" in last.output
    missing = warden("users", "role", "nobody", "viewer")
    assert missing.exit_code == 2 and "no user 'nobody'" in missing.output


def test_audit_list_shows_what_the_cli_did(warden):  # noqa: F811
    add(warden)
    add(warden, "olga", "operator")
    warden("users", "role", "olga", "viewer")
    entries = warden.json("audit", "list", "--origin", "cli")
    assert [e["kind"] for e in entries] == ["user.role_changed", "user.added", "user.added"]
    assert all(e["outcome"] == "ok" for e in entries)
    assert warden.json("audit", "list", "--outcome", "denied") == []
    assert len(warden.json("audit", "list", "--limit", "1")) == 1
    table = warden("audit", "list").output
    assert "user.role_changed" in table and "olga: role operator -> viewer" in table
    assert warden("audit", "list", "--outcome", "maybe").exit_code == 2
