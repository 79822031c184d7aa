"""One atomic write: every file ``srcore`` writes goes through :func:`atomic_write`;
and :func:`file_sha256`, the hash that checks a written file later.

The bytes go to a temporary file in the target's folder, renamed over the target
(atomic on one file system), so a crash never leaves a truncated file that a later
run would read as data; the file gets the user's usual permissions.

Example:
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "sub" / "x.txt"
    >>> atomic_write(target, lambda fh: fh.write(b"hello")).read_bytes()
    b'hello'
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write(path: str | os.PathLike, write: Callable[[IO[bytes]], Any]) -> Path:
    """Create ``path`` (and its folders) with what ``write(binary_file)`` writes.

    Either the whole new file is there afterwards or the old one (if any) is
    untouched; the temporary file is removed when ``write`` raises.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def file_sha256(path: str | os.PathLike) -> str:
    """The hex sha256 of a file's bytes, read in 1 MiB blocks.

    Example:
        >>> import tempfile, pathlib
        >>> f = pathlib.Path(tempfile.mkdtemp()) / "x"
        >>> file_sha256(atomic_write(f, lambda fh: fh.write(b"abc")))[:12]
        'ba7816bf8f01'
    """
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
