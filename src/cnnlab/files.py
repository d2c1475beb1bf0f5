"""Writing files so that no reader, and no crash, ever sees half of one.

Every file cnnlab writes goes through here: the bytes go into a temporary file in the target's folder,
are flushed to disk (fsync), and the temporary file is renamed over the target (`os.replace`, atomic on
one file system). A run killed at any moment therefore leaves either the old file or the new one, and a
failed write leaves the old file and no temporary file behind.

The temporary file is created with mode 0666 filtered by the user's umask, like `open(path, "w")` would
(`tempfile.mkstemp` makes 0600, which hides run folders from the group that shares them), and it gets
that mode back before the rename if the library that wrote it changed it (safetensors writes 0600).

Only the standard library is imported: this module sits below every other layer.
"""

from __future__ import annotations

import json
import os
import secrets
import stat
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

__all__ = ["atomic_path", "atomic_write", "write_bytes_atomic", "write_text_atomic", "write_json_atomic", "publish"]


def _create_temp(path: Path) -> Path:
    """An empty new file beside `path`; its name keeps the suffix, for libraries that pick a format by it."""
    for _ in range(100):
        tmp = path.with_name(f".{path.stem}.{secrets.token_hex(4)}.tmp{path.suffix}")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # the kernel applies the umask
        except FileExistsError:
            continue
        os.close(fd)
        return tmp
    raise FileExistsError(f"could not create a temporary file beside {path}")


def _fsync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # some file systems cannot open a folder; the rename itself is still atomic
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def publish(tmp: Path, path: Path) -> None:
    """Flush the finished file `tmp` to disk and rename it over `path` (same folder), then flush the folder."""
    fd = os.open(tmp, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    _fsync_folder(Path(path).parent)


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside `path` to write to; on success it replaces `path`, on error it is removed.

    For libraries that write a file themselves, given its name:

        with atomic_path(run_dir / "plot.png") as tmp:
            fig.savefig(tmp, format="png")
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _create_temp(path)
    try:
        umask_mode = stat.S_IMODE(os.stat(tmp).st_mode)
        yield tmp
        if stat.S_IMODE(os.stat(tmp).st_mode) != umask_mode:
            os.chmod(tmp, umask_mode)
        publish(tmp, path)
    except BaseException as error:
        tmp.unlink(missing_ok=True)
        if isinstance(error, OSError):  # disk full, read-only folder: the previous file is untouched
            from cnnlab.errors import CnnlabError

            kept = "the previous version is unchanged" if path.exists() else "nothing was written"
            raise CnnlabError(
                f"cannot write {path}: {error.strerror or error}; {kept}; free space or make the folder "
                f"writable, then run again"
            ) from None
        raise


def atomic_write(path: str | os.PathLike, write: Callable[[Path], object]) -> None:
    """Call write(temp_path), then put the result at `path` atomically (the callback form of atomic_path)."""
    with atomic_path(path) as tmp:
        write(tmp)


def write_bytes_atomic(path: str | os.PathLike, data: bytes) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def write_text_atomic(path: str | os.PathLike, text: str) -> None:
    """Write `text` as UTF-8 (whatever the locale says), atomically."""
    write_bytes_atomic(path, text.encode("utf-8"))


def write_json_atomic(path: str | os.PathLike, obj) -> None:
    """`obj` as indented JSON with a final newline, atomically."""
    write_text_atomic(path, json.dumps(obj, indent=2) + "\n")
