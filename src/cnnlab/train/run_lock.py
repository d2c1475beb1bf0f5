"""One run folder, one writer: an exclusive lock file holding the writer's process id.

The lock is created with O_CREAT | O_EXCL, which the operating system grants to exactly one process, so a
second `cnnlab train` on the same folder (or a `--resume` of a run that is still training) fails at once.
A lock left behind by a process that no longer runs (killed with SIGKILL, power cut) is taken over with a
message. Locks written on another machine (a shared folder) cannot be checked and are never taken over.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Callable

from cnnlab.errors import CnnlabError
from cnnlab.safe_paths import os_reason

__all__ = ["RunLock", "LOCK_NAME"]

LOCK_NAME = ".cnnlab-lock"


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user
        return True
    return True


class RunLock:
    """`with RunLock(folder):` holds `folder/.cnnlab-lock` for the duration; `release()` frees it early."""

    def __init__(self, folder: Path, log: Callable[[str], None] = print):
        self.path = Path(folder) / LOCK_NAME
        self.log = log
        self.held = False

    def _owner_text(self) -> str:
        return f"{os.getpid()} {socket.gethostname()}\n"

    def _create(self) -> bool:
        try:
            fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            return False
        except OSError as error:
            raise CnnlabError(f"cannot lock run folder {self.path.parent}: {os_reason(error)}") from None
        with os.fdopen(fd, "w") as f:
            f.write(self._owner_text())
        return True

    def acquire(self) -> "RunLock":
        if self._create():
            self.held = True
            return self
        try:
            pid_text, _, host = self.path.read_text().strip().partition(" ")
            pid = int(pid_text)
        except (OSError, ValueError):
            pid, host = None, ""
        folder = self.path.parent
        if pid is not None and host == socket.gethostname() and not _process_alive(pid):
            self.log(f"taking over the lock of {folder}: process {pid} that held it is no longer running")
            self.path.unlink(missing_ok=True)
            if self._create():
                self.held = True
                return self
        elsewhere = f" on {host}" if host and host != socket.gethostname() else ""
        holder = f"process {pid}{elsewhere}" if pid else "another process"
        raise CnnlabError(
            f"run folder {folder} is in use by {holder} (lock file {self.path}); wait for it to finish, "
            f"stop it, or choose another --out"
        )

    def release(self) -> None:
        if self.held:
            self.held = False
            try:
                if self.path.read_text() == self._owner_text():  # never remove a lock another process took over
                    self.path.unlink()
            except OSError:
                pass

    def __enter__(self) -> "RunLock":
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()
