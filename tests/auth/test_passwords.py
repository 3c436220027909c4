"""The password policy and bcrypt hashing."""

from __future__ import annotations

import bcrypt
import pytest

from core.errors import InvalidInput
from core.passwords import (
    BCRYPT_COST,
    DUMMY_HASH,
    MIN_LENGTH,
    check_policy,
    common_passwords,
    hash_password,
    verify_password,
)


def test_a_long_uncommon_password_passes():
    check_policy("violet-harbour-29-kettle", name="alice")


def test_eleven_characters_are_too_short_twelve_are_enough():
    assert MIN_LENGTH == 12
    with pytest.raises(InvalidInput, match="at least 12"):
        check_policy("x7#kq9!mz2p")
    check_policy("x7#kq9!mz2pw")


def test_more_than_72_utf8_bytes_is_refused_not_truncated():
    check_policy("a" * 72)
    with pytest.raises(InvalidInput, match="72 bytes"):
        check_policy("a" * 73)
    # 25 characters but 75 bytes: the limit is bytes, as bcrypt counts them
    with pytest.raises(InvalidInput, match="72 bytes"):
        check_policy("€" * 25)
    with pytest.raises(InvalidInput):
        hash_password("a" * 73)


def test_common_passwords_are_refused_whatever_their_case():
    assert "password1234" in common_passwords()
    for word in ("password1234", "PassWord1234", "QWERTYUIOP123"):
        with pytest.raises(InvalidInput, match="common"):
            check_policy(word)


def test_the_user_name_is_refused_as_password():
    with pytest.raises(InvalidInput, match="user name"):
        check_policy("Maintenance.bot", name="maintenance.bot")


def test_hashes_are_bcrypt_cost_12_and_verify():
    assert BCRYPT_COST == 12
    hashed = hash_password("violet-harbour-29-kettle")
    assert hashed.startswith("$2b$12$")
    assert verify_password("violet-harbour-29-kettle", hashed)
    assert not verify_password("violet-harbour-29-kettlf", hashed)
    assert hash_password("violet-harbour-29-kettle") != hashed  # salted


def test_verify_is_false_not_an_error_for_overlong_or_malformed_input():
    hashed = bcrypt.hashpw(b"a" * 72, bcrypt.gensalt(4)).decode()
    assert not verify_password("a" * 73, hashed)  # old bcrypt would have said yes
    assert not verify_password("anything-at-all", "not a hash")


def test_the_dummy_hash_is_a_cost_12_hash_nothing_matches():
    assert DUMMY_HASH.startswith("$2b$12$")
    assert not verify_password("", DUMMY_HASH)
    assert not verify_password("password1234", DUMMY_HASH)
