"""The data dir is private to the user Warden runs as (ASVS 5.0 V13.3 and V14.2).

It holds the database (bcrypt hashes, token digests, device keys), the token secret,
NiceGUI's session files and the logs. Entry points set the process umask to ``PRIVATE_UMASK``
so whatever Warden creates is 0600 (directories 0700); ``make_private_dir`` also tightens
what an older version, or another program with a looser umask, left there. SQLite gives its
``-wal`` and ``-shm`` files the mode of the database file, so ``create_private_file`` on the
database before SQLite opens it is enough for those.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

log = logging.getLogger(__name__)

PRIVATE_UMASK = 0o077
DIR_MODE = 0o700
FILE_MODE = 0o600


def restrict_umask() -> int:
    """Make every file this process creates private; returns the previous umask."""
    return os.umask(PRIVATE_UMASK)


SECRETS_LEFT_AS_FOUND = frozenset({"jwt-secret"})
"""Files of the data dir ``make_private_dir`` leaves alone: a secret that was readable is
refused by ``load_secret`` and must be replaced, not quietly made private."""


def make_private_dir(path: Path, *, leave: frozenset[str] = frozenset()) -> None:
    """Create ``path`` (and missing parents) with mode 0700, then take group and other
    access away from it and from everything under it that this user owns, but the files
    named in ``leave`` (a secret that was readable must be replaced, not quietly kept).
    Symbolic links are neither followed nor changed; what cannot be changed is logged,
    not raised."""
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    _tighten(path, DIR_MODE)
    for root, dirs, files in os.walk(path, followlinks=False):
        for name in dirs:
            _tighten(Path(root) / name, DIR_MODE)
        for name in files:
            if name not in leave:
                _tighten(Path(root) / name, None)


def create_private_file(path: Path) -> None:
    """Create ``path`` empty with mode 0600 unless it exists; tighten it if it does."""
    path.parent.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, FILE_MODE)
    except FileExistsError:
        _tighten(path, None)
        return
    os.close(fd)


def _tighten(path: Path, mode: int | None) -> None:
    """Set ``mode`` (None: the file's own mode without group and other bits)."""
    try:
        info = path.lstat()
    except FileNotFoundError:
        return  # removed meanwhile (a -journal, a temporary file)
    if stat.S_ISLNK(info.st_mode) or info.st_uid != os.geteuid():
        return
    current = stat.S_IMODE(info.st_mode)
    wanted = mode if mode is not None else current & ~PRIVATE_UMASK & 0o7777
    if current == wanted:
        return
    try:
        path.chmod(wanted)
    except OSError as exc:
        log.warning("cannot make %s private (mode %04o): %s", path, current, exc.strerror)
