"""``core.forwarded.client_address``: X-Forwarded-For counts only from a trusted proxy,
and then only up to the rightmost hop that is not one."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.config import load_settings
from core.errors import ConfigError
from core.forwarded import client_address, parse_address, parse_networks

PROXIES = parse_networks(["10.0.0.1", "192.168.7.0/24", "fd00::/8"])


def test_without_trusted_proxies_the_peer_is_the_client():
    assert client_address("203.0.113.9", "198.51.100.1", ()) == "203.0.113.9"
    assert client_address(None, "198.51.100.1", PROXIES) is None


def test_a_spoofed_header_from_an_untrusted_peer_is_ignored():
    assert client_address("203.0.113.9", "10.0.0.1, 198.51.100.1", PROXIES) == "203.0.113.9"


def test_a_trusted_proxy_names_the_client():
    assert client_address("10.0.0.1", "198.51.100.1", PROXIES) == "198.51.100.1"


def test_the_rightmost_untrusted_hop_wins_over_what_the_client_wrote():
    # The client wrote "1.2.3.4" itself; 198.51.100.1 is whom the proxies saw.
    forwarded = "1.2.3.4, 198.51.100.1, 192.168.7.20"
    assert client_address("10.0.0.1", forwarded, PROXIES) == "198.51.100.1"


def test_a_chain_of_trusted_proxies_ends_at_its_leftmost_hop():
    assert client_address("10.0.0.1", "192.168.7.3, 192.168.7.20", PROXIES) == "192.168.7.3"


def test_a_missing_or_malformed_header_leaves_the_nearest_trusted_address():
    assert client_address("10.0.0.1", None, PROXIES) == "10.0.0.1"
    assert client_address("10.0.0.1", "", PROXIES) == "10.0.0.1"
    assert client_address("10.0.0.1", "unknown, 192.168.7.20", PROXIES) == "192.168.7.20"
    assert client_address("10.0.0.1", "<script>", PROXIES) == "10.0.0.1"


def test_ports_brackets_and_mapped_addresses_are_read():
    assert client_address("10.0.0.1", "198.51.100.1:5555", PROXIES) == "198.51.100.1"
    assert client_address("10.0.0.1", "[2001:db8::1]:443", PROXIES) == "2001:db8::1"
    assert client_address("::ffff:10.0.0.1", "198.51.100.1", PROXIES) == "198.51.100.1"
    assert client_address("fd00::5", "2001:db8::1", PROXIES) == "2001:db8::1"
    assert parse_address("testclient") is None


def test_a_peer_that_is_not_an_address_is_answered_as_it_is():
    assert client_address("testclient", "198.51.100.1", PROXIES) == "testclient"


@given(
    spoofed=st.lists(st.ip_addresses().map(str), max_size=4),
    client=st.ip_addresses(v=4).filter(lambda a: not a.is_private).map(str),
)
def test_nothing_left_of_the_client_changes_the_answer(spoofed, client):
    forwarded = ", ".join([*spoofed, client, "192.168.7.9"])
    assert client_address("10.0.0.1", forwarded, PROXIES) == client


def test_the_trusted_proxies_setting(data_dir, monkeypatch):
    assert load_settings(data_dir=data_dir).trusted_proxy_networks == ()
    listed = load_settings(data_dir=data_dir, trusted_proxies=["127.0.0.1", "10.0.0.0/8"])
    assert [str(n) for n in listed.trusted_proxy_networks] == ["127.0.0.1/32", "10.0.0.0/8"]
    with pytest.raises(ConfigError, match=r"WARDEN_TRUSTED_PROXIES.*'proxy\.lan' is not"):
        load_settings(data_dir=data_dir, trusted_proxies="10.0.0.1,proxy.lan")
    monkeypatch.setenv("WARDEN_TRUSTED_PROXIES", "fd00::/8")
    assert [str(n) for n in load_settings(data_dir=data_dir).trusted_proxy_networks] == ["fd00::/8"]
