"""`warden webhooks add|list|remove`."""


def test_add_list_remove(warden):
    added = warden.json(
        "webhooks", "add", "https://alerts.example.invalid/warden", "--min-severity", "medium"
    )
    assert added["min_severity"] == "medium"
    assert [t["id"] for t in warden.json("webhooks", "list")] == [added["id"]]
    assert warden("webhooks", "add", "ftp://x/y").exit_code == 2
    assert warden("webhooks", "remove", str(added["id"])).exit_code == 0
    assert warden.json("webhooks", "list") == []
    assert warden("webhooks", "remove", str(added["id"])).exit_code == 2
