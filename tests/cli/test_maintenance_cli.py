"""`warden maintenance add|list|end`."""


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
