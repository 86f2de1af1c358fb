"""Paths of a workdir that may be a local folder or an object store (`gs://bucket/run`).

Every file jaxgan reads or writes in a workdir goes through `etils.epath`, which takes both
(a `gs://` path through gcsfs, `pip install jaxgan[gcs]`); orbax takes the same paths.
"""

from __future__ import annotations

import errno
import os
import shutil

from etils import epath


def is_remote(path: str | os.PathLike) -> bool:
    """Whether `path` names an object store (`gs://`, `s3://`, ...) rather than a local folder."""
    return "://" in os.fspath(path)


def absolute(path: str | os.PathLike) -> str:
    """`path` made absolute (a local one); an object-store path as given, without a trailing slash."""
    path = os.fspath(path)
    return path.rstrip("/") if is_remote(path) else os.path.abspath(path)


def exists(path: str | os.PathLike) -> bool:
    """Whether `path` exists (locally: also a dangling link, which is in the way of a write)."""
    return epath.Path(path).exists() if is_remote(path) else os.path.lexists(path)


def join(*parts: str | os.PathLike) -> str:
    return os.fspath(epath.Path(*[os.fspath(p) for p in parts]))


def move(source: str | os.PathLike, target: str | os.PathLike) -> None:
    """Move a file or folder (on an object store, where a folder is a name prefix: fsspec's copy, then
    removal of the original)."""
    source, target = os.fspath(source), os.fspath(target)
    if not is_remote(source):
        epath.Path(source).rename(target)
        return
    import fsspec

    fsspec.filesystem(source.split("://", 1)[0]).mv(source, target, recursive=True)


def write_text_atomically(path: str | os.PathLike, text: str) -> None:
    """`text` at `path` so that a reader sees the old file or the new one, never a part: on a
    local disk a temporary file renamed over it; an object store writes a whole object at once."""
    path = os.fspath(path)
    if is_remote(path):
        epath.Path(path).write_text(text)
        return
    import uuid

    temporary = os.path.join(
        os.path.dirname(path), f".{os.path.basename(path)}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp"
    )
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # the umask applies, as for open()
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise


def free_space(path: str | os.PathLike) -> str | None:
    """The free space of the local file system holding `path` (e.g. "12.0 MB"), None for an object store."""
    path = os.fspath(path)
    if is_remote(path):
        return None
    existing = os.path.abspath(path)
    while not os.path.exists(existing) and os.path.dirname(existing) != existing:
        existing = os.path.dirname(existing)
    try:
        free = shutil.disk_usage(existing).free
    except OSError:
        return None
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if free < 1000 or unit == "TB":
            return f"{free:.0f} {unit}" if unit == "B" else f"{free:.1f} {unit}"
        free /= 1000
    return None


# What a failed write means, and what to do, for the errors a machine gives.
_WRITE_FAILURES = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is used up",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "this user may not write there",
    errno.EPERM: "this user may not write there",
    errno.ENOENT: "the workdir has vanished (deleted or unmounted)",
    errno.ESTALE: "the workdir has vanished (a stale network mount)",
    errno.EIO: "the disk reported an I/O error",
}
# The same failures as TensorStore and orbax word them (a checkpoint's write).
_WRITE_FAILURE_TEXTS = (
    ("RESOURCE_EXHAUSTED", errno.ENOSPC),
    ("No space left", errno.ENOSPC),
    ("Disk quota exceeded", errno.EDQUOT),
    ("Read-only file system", errno.EROFS),
    ("Permission denied", errno.EACCES),
    ("PERMISSION_DENIED", errno.EACCES),
)


def write_failure(error: BaseException) -> int | None:
    """The errno of a failed write in `error` (an OSError, or TensorStore's words for one), else None."""
    if isinstance(error, OSError) and error.errno in _WRITE_FAILURES:
        return error.errno
    text = str(error)
    for words, number in _WRITE_FAILURE_TEXTS:
        if words in text:
            return number
    return None


class WriteFailed(OSError):
    """A file of the run could not be written; the message is one sentence saying what to do."""

    def __init__(self, number: int, message: str):
        super().__init__(number, message)
        self.message = message

    def __str__(self) -> str:
        return self.message


def write_failed(error: BaseException, path: str | os.PathLike, *, kept: str) -> WriteFailed | None:
    """One sentence for a write to `path` that failed with `error` (None when it is no such failure):
    which file, why, the free space, what is kept and what to do."""
    number = write_failure(error)
    if number is None:
        return None
    path = os.fspath(path)
    why = _WRITE_FAILURES[number]
    free = free_space(path)
    space = f" ({free} free there)" if free is not None else ""
    if number in (errno.ENOSPC, errno.EDQUOT):
        todo = "free some space (or pass another --workdir)"
    elif number == errno.ENOENT or number == errno.ESTALE:
        todo = "mount or recreate the workdir (or pass another --workdir)"
    else:
        todo = "make the workdir writable (or pass another --workdir)"
    return WriteFailed(
        number,
        f"writing {path} failed: {why}{space}; {kept}; {todo}, then run the same command again to continue "
        "from the last checkpoint.",
    )
