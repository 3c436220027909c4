"""Input no row can match answers 404 or 422 with a message, never 500 (issue 15 item 16):
integer ids beyond a 64-bit row id, a device registered with an id that is not one."""

from __future__ import annotations

from tests.web.conftest import url

TOO_BIG = 2**63
ROUTES = [
    ("get", "/findings/{}"),
    ("get", "/findings/{}/explained"),
    ("post", "/findings/{}/ack"),
    ("post", "/findings/{}/resolve"),
    ("post", "/findings/{}/notes"),
    ("get", "/intents/{}"),
    ("post", "/intents/{}/revoke"),
    ("get", "/actions/{}"),
    ("post", "/actions/{}/approve"),
    ("post", "/actions/{}/reject"),
    ("post", "/maintenance/{}/end"),
]


def test_an_id_beyond_any_row_is_a_validation_error(client, admin):
    answers = {}
    for method, path in ROUTES:
        for row_id in (TOO_BIG, 2**64 + 7, 10**30):
            answer = client.request(method.upper(), url(path.format(row_id)), headers=admin)
            error = answer.json()["error"]
            answers[method, path, row_id] = (
                answer.status_code,
                error["code"],
                "less than or equal to 9223372036854775807" in error["message"],
            )
    assert set(answers.values()) == {(422, "validation_error", True)}, answers


def test_the_largest_row_id_is_simply_not_found(client, admin):
    answer = client.get(url(f"/findings/{TOO_BIG - 1}"), headers=admin)
    assert answer.status_code == 404


def test_a_huge_finding_filter_on_actions_is_a_validation_error(client, admin):
    answer = client.get(url("/actions"), params={"finding": TOO_BIG}, headers=admin)
    assert answer.status_code == 422


def test_registering_a_device_with_an_invalid_id_is_a_validation_error(client, admin):
    for device_id in ("has space", "slash/in/it", "ünïcode", "x" * 65, ""):
        answer = client.post(url("/devices"), json={"id": device_id}, headers=admin)
        assert answer.status_code == 422, answer.text
        assert answer.json()["error"]["code"] == "validation_error"
        assert answer.json()["error"]["message"].startswith("id:")
    assert (
        client.post(url("/devices"), json={"id": "ok-id.1:a_b"}, headers=admin).status_code == 201
    )
