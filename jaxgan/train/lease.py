"""One writer per workdir: the lease the writing process holds in `<workdir>/lease.json`.

The lease names its holder (host, pid, start, a random token) and its last heartbeat, renewed
by the holder at each log and checkpoint (a small file written from the host: no device sync).
A launch refuses a workdir whose lease is fresh; it takes over a stale one with a one-line
notice: on the same host a lease whose process has ended is stale at once, elsewhere a lease
without a heartbeat for `config.lease_timeout` seconds. The lease is a file written whole
through `etils.epath`, so it works on a local disk and on an object store alike; two launches
that take a stale lease at the same moment are told apart at the holder's next renewal (the
lease then names the other one, and the run that lost it stops).
"""

from __future__ import annotations

import datetime
import json
import os
import socket
import sys
import time
import uuid

from etils import epath

from jaxgan.train import storage

LEASE_FILE = "lease.json"
DEFAULT_TIMEOUT = 600.0  # seconds; config.lease_timeout


class LeaseHeld(ValueError):
    """Another live launch writes to this workdir."""


class LeaseLost(ValueError):
    """This launch's lease was taken over by another launch."""


def _path(workdir: str) -> epath.Path:
    return epath.Path(storage.absolute(workdir)) / LEASE_FILE


def read(workdir: str) -> dict | None:
    """The workdir's lease, or None (none, or one that cannot be read: a torn write holds no one)."""
    path = _path(workdir)
    try:
        values = json.loads(path.read_text())
    except (FileNotFoundError, NotADirectoryError, ValueError):
        return None
    return values if isinstance(values, dict) and {"host", "pid", "heartbeat", "token"} <= set(values) else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def stale_because(holder: dict, timeout: float, now: float | None = None) -> str | None:
    """Why the lease of `holder` is stale, or None while it is fresh."""
    now = time.time() if now is None else now
    if holder["host"] == socket.gethostname():
        pid = int(holder["pid"])
        if pid == os.getpid():  # a relaunch given the pid of the run it replaces (a container's pid 1)
            return f"its process {pid} on this host has ended (this launch has its pid)"
        if not _alive(pid):
            return f"its process {pid} on this host has ended"
    age = now - float(holder["heartbeat"])
    if holder["host"] != socket.gethostname() and age > timeout:
        return f"its last heartbeat was {age:.0f} s ago, more than config.lease_timeout={timeout:g} s"
    return None


def _describe(holder: dict, now: float) -> str:
    started = datetime.datetime.fromtimestamp(float(holder.get("start", holder["heartbeat"]))).strftime(
        "%Y-%m-%d %H:%M:%S"
    )
    return (
        f"host {holder['host']}, pid {holder['pid']}, started {started}, last heartbeat "
        f"{max(now - float(holder['heartbeat']), 0):.0f} s ago"
    )


def check_timeout(timeout) -> float:
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
        raise ValueError(f"config.lease_timeout must be a positive number of seconds; got {timeout!r}.")
    return float(timeout)


def check(workdir: str, timeout: float, *, overwrite: bool = False) -> None:
    """Refuse, in one sentence, a workdir whose lease another live launch holds; write nothing."""
    timeout = check_timeout(timeout)
    holder = read(workdir)
    if holder is None or stale_because(holder, timeout) is not None:
        return
    now = time.time()
    path = _path(workdir)
    held = f"{_describe(holder, now)}; its lease {path} is fresh"
    if overwrite:
        first = f"--config.overwrite=True would move aside the run in --workdir {workdir}, which another launch is still writing ({held})"
    else:
        first = f"--workdir {workdir} is in use by another launch ({held})"
    raise LeaseHeld(
        f"{first}; wait for that run to end, or stop it (kill {holder['pid']} on {holder['host']}) and launch "
        "again to take over its lease (from another host: once its heartbeat is older than "
        f"config.lease_timeout={timeout:g} s)."
    )


def _notify(message: str) -> None:
    print(f"jaxgan: {message}", file=sys.stderr, flush=True)


class Lease:
    """The lease this launch holds on its workdir: `acquire`, `renew` at each log and checkpoint, `release`."""

    def __init__(self, workdir: str, timeout: float, *, notify=_notify):
        self.workdir = workdir
        self.timeout = check_timeout(timeout)
        self._notify = notify
        self._path = _path(workdir)
        now = time.time()
        self._record = {
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "start": now,
            "heartbeat": now,
            "token": uuid.uuid4().hex,
        }

    def acquire(self) -> Lease:
        """Take the workdir's lease: refused while another launch holds it fresh; a stale one taken
        over with a one-line notice."""
        holder = read(self.workdir)
        if holder is not None and holder.get("token") != self._record["token"]:
            why = stale_because(holder, self.timeout)
            if why is None:
                check(self.workdir, self.timeout)  # raises LeaseHeld
            self._notify(
                f"took over the lease of --workdir {self.workdir} from an earlier launch "
                f"({_describe(holder, time.time())}): {why}."
            )
        self._path.parent.mkdir(parents=True, exist_ok=True)
        self._write()
        return self

    def _write(self) -> None:
        self._record["heartbeat"] = time.time()
        storage.write_text_atomically(self._path, json.dumps(self._record, indent=2, sort_keys=True))

    def renew(self) -> None:
        """A heartbeat; LeaseLost when another launch has taken the lease meanwhile."""
        holder = read(self.workdir)
        if holder is not None and holder.get("token") != self._record["token"]:
            raise LeaseLost(
                f"another launch ({_describe(holder, time.time())}) took over the lease of --workdir "
                f"{self.workdir} while this one ran; this launch stops so that one writer remains."
            )
        self._write()

    def release(self) -> None:
        """Give the lease up (remove the file), unless another launch holds it now."""
        holder = read(self.workdir)
        if holder is not None and holder.get("token") == self._record["token"]:
            self._path.unlink(missing_ok=True)
