"""Password policy and hashing (ASVS 5.0 V6): bcrypt at cost 12, the ``bcrypt`` package
directly.

The 72-byte rule: bcrypt only ever reads the first 72 bytes of a password. Older ``bcrypt``
releases silently dropped the rest, so two long passphrases sharing a 72-byte prefix were
the same password; ``bcrypt`` 5 raises instead. Warden *refuses* such passwords in the
policy rather than truncating (silent loss of what the user typed) or pre-hashing with
SHA-256 (a non-standard hash that other tools cannot check, with its own pitfalls such as
NUL bytes in a raw digest). 72 bytes is still room for a passphrase of ten words; a person
told "at most 72 bytes" can act on it, a truncation they never learn about they cannot.
"""

from __future__ import annotations

import unicodedata
from functools import cache
from pathlib import Path

import bcrypt

from core.errors import InvalidInput

MIN_LENGTH = 12
MAX_BYTES = 72
"""bcrypt's input limit, in UTF-8 bytes."""
BCRYPT_COST = 12

DUMMY_HASH = "$2b$12$Q1NvkSqig5hixO4a5tesQOr5UFCiA95vAc84uldStRTQUs.yhxcZq"
"""A cost-12 hash of a random value nobody knows. Logins for unknown users are checked
against it, so they take as long as a wrong password for a real user and the time a login
takes does not reveal which names exist."""

_LIST_NAME = "common-passwords.txt"


def _list_path() -> Path:
    """``data/`` in a source checkout, ``warden/_data`` in an installed wheel (found by path:
    ``core`` never imports ``warden``)."""
    root = Path(__file__).resolve().parents[1]
    packaged = root / "warden" / "_data" / _LIST_NAME
    return packaged if packaged.is_file() else root / "data" / _LIST_NAME


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords, lower-cased (``#`` starts a comment)."""
    lines = _list_path().read_text(encoding="utf-8").splitlines()
    return frozenset(
        line.strip().casefold() for line in lines if line.strip() and not line.startswith("#")
    )


def check_policy(password: str, *, name: str | None = None) -> None:
    """Raise ``InvalidInput`` saying what is wrong unless ``password`` may be used."""
    if len(password) < MIN_LENGTH:
        raise InvalidInput(f"a password needs at least {MIN_LENGTH} characters")
    if len(password.encode("utf-8")) > MAX_BYTES:
        raise InvalidInput(
            f"a password may be at most {MAX_BYTES} bytes in UTF-8 (bcrypt ignores the rest)"
        )
    folded = unicodedata.normalize("NFKC", password).casefold()
    if folded in common_passwords():
        raise InvalidInput("this password is on the list of common passwords; choose another")
    if name is not None and folded == name.casefold():
        raise InvalidInput("a password must not be the user name")


def hash_password(password: str) -> str:
    """A bcrypt hash (``$2b$12$...``) with a fresh salt. Check the policy first: a
    password over 72 bytes raises ``InvalidInput`` here too."""
    encoded = password.encode("utf-8")
    if len(encoded) > MAX_BYTES:
        raise InvalidInput(f"a password may be at most {MAX_BYTES} bytes in UTF-8")
    return bcrypt.hashpw(encoded, bcrypt.gensalt(rounds=BCRYPT_COST)).decode("ascii")


def verify_password(password: str, hashed: str) -> bool:
    """True when ``password`` matches ``hashed``; False for a mismatch, a password over
    72 bytes (none can have been stored) or a malformed hash."""
    try:
        return bcrypt.checkpw(password.encode("utf-8"), hashed.encode("ascii"))
    except ValueError:
        return False
