"""`warden maintenance add|list|end`."""

import json


def test_add_list_end(warden):
    assert warden("maintenance", "add").exit_code == 2  # covers nothing: refused
    added = warden.json(
        "maintenance", "add", "--type", "camera", "--for", "2h", "--reason", "cabling"
    )
    assert added["selector"] == {"type": "camera"}
    listed = warden.json("maintenance", "list")
    assert [w["id"] for w in listed] == [added["id"]]
    assert warden("maintenance", "end", str(added["id"])).exit_code == 0
    assert warden.json("maintenance", "list") == []
    assert len(warden.json("maintenance", "list", "--all")) == 1
    assert warden("maintenance", "end", str(added["id"])).exit_code == 2
    assert warden("maintenance", "add", "--all", "--for", "soon").exit_code == 2


def test_a_recurring_window_is_added_and_listed_through_the_entry_point(warden):
    added = warden.process(
        "maintenance", "add", "--all", "--from", "2020-01-01T02:00:00Z", "--for", "2h",
        "--every", "day", "--repeat-until", "2099-01-01T00:00:00Z", "--reason", "backup",
        "--json",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    window = json.loads(added.stdout)
    assert (window["every"], window["repeat_until"]) == ("day", "2099-01-01T00:00:00Z")
    listed = warden.process("maintenance", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    assert [(w["id"], w["every"]) for w in json.loads(listed.stdout)] == [(window["id"], "day")]
    table = warden("maintenance", "list").output.splitlines()
    assert table[0].split()[:4] == ["ID", "COVERS", "EVERY", "FROM"]
    # the next (or current) occurrence, not the first one in 2020
    row = table[1]
    assert "day to 2099-01-01 00:00" in row
    assert "2020-01-01" not in row
    assert " 02:00:00" in row
    assert " 04:00:00" in row


def test_a_recurring_window_with_no_occurrence_left_is_past(warden):
    over = warden.json(
        "maintenance", "add", "--device", "meter-1", "--from", "2020-01-01T02:00:00Z",
        "--until", "2020-01-01T03:00:00Z", "--every", "week",
        "--repeat-until", "2020-01-20T00:00:00Z",
    )  # fmt: skip
    assert over["every"] == "week"
    assert warden.json("maintenance", "list") == []
    assert [w["id"] for w in warden.json("maintenance", "list", "--all")] == [over["id"]]
    assert warden("maintenance", "end", str(over["id"])).exit_code == 2


def test_impossible_recurrences_are_refused(warden):
    for args in (
        ("--every", "day", "--for", "1d"),  # an occurrence a period long
        ("--every", "week", "--for", "7d"),
        ("--every", "month"),
        ("--repeat-until", "2099-01-01"),  # without --every
        ("--every", "day", "--from", "2020-01-01", "--repeat-until", "2019-01-01"),
    ):
        assert warden("maintenance", "add", "--all", *args).exit_code == 2, args
    assert warden.json("maintenance", "list", "--all") == []
