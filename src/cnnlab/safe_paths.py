"""Where cnnlab may write and what it may replace: checks made before any work starts, with NumPy-free imports.

Rules (every writer follows them):
- a folder cnnlab would empty or replace is never the current directory, one of its parents, the home folder
  or the filesystem root, whatever it holds, and never a symbolic link;
- an output file the user named is replaced (atomically) only when it is a plain file and not also one of the
  command's inputs; a folder where a file is expected, or the reverse, is refused;
- the folder an output goes into must exist (cnnlab creates run folders, not their parents' typos) and be
  writable, which is checked before minutes of work, not after.
"""

from __future__ import annotations

import os
from pathlib import Path

from cnnlab.errors import CnnlabError

__all__ = ["refuse_protected_folder", "check_output_file", "check_writable_folder", "os_reason"]


def os_reason(error: OSError) -> str:
    """The operating system's words for an error ('Permission denied'), without the errno and path noise."""
    return error.strerror or type(error).__name__


def _protected_folders() -> set[Path]:
    cwd = Path.cwd().resolve()
    protected = {cwd, *cwd.parents, Path(cwd.anchor)}
    try:
        protected.add(Path.home().resolve())
    except (RuntimeError, KeyError):  # no home folder known (some service accounts)
        pass
    return protected


def refuse_protected_folder(path: Path, flag: str = "--out") -> None:
    """Raise unless `path` is a folder cnnlab may empty: not a link, not the working directory or one of its
    parents, not the home folder, not the root."""
    path = Path(path)
    if path.is_symlink():
        raise CnnlabError(
            f"{flag} {path} is a symbolic link; cnnlab does not replace links: give the real folder or a new one"
        )
    if path.resolve() in _protected_folders():
        raise CnnlabError(
            f"{flag} {path} is the current folder, one of its parents, the home folder or the root; "
            f"cnnlab never empties those: give a new folder such as {flag} runs/my-run"
        )


def check_writable_folder(folder: Path, what: str) -> None:
    """Raise with the OS reason unless `folder` exists, is a folder and can be written into."""
    folder = Path(folder)
    if not folder.exists():
        raise CnnlabError(f"{what}: folder {folder} does not exist; create it first or give another path")
    if not folder.is_dir():
        raise CnnlabError(f"{what}: {folder} is a file, not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise CnnlabError(f"{what}: cannot write into {folder} (Permission denied); choose a folder you can write to")


def check_output_file(path: Path, flag: str, inputs: tuple[Path, ...] = (), create_parents: bool = False) -> Path:
    """Check before the work that `path` can be written as an output file: its folder exists and is writable
    (with `create_parents`: its nearest existing folder), it is not a folder, and it is not one of `inputs`
    (writing the result over its own input loses the input)."""
    path = Path(path)
    if path.is_dir():
        raise CnnlabError(f"{flag} {path} is a folder; give a file name inside it, e.g. {flag} {path / 'out'}")
    if path.exists() and not path.is_file():
        raise CnnlabError(f"{flag} {path} exists and is not a plain file; give another name")
    for source in inputs:
        try:
            same = path.exists() and Path(source).exists() and os.path.samefile(path, source)
        except OSError:
            same = False
        if same:
            raise CnnlabError(
                f"{flag} {path} is also the input; writing over it would lose the input: give another name"
            )
    folder = path.parent
    while create_parents and not folder.exists() and folder != folder.parent:
        folder = folder.parent
    check_writable_folder(folder, f"{flag} {path}")
    if path.exists() and not os.access(path, os.W_OK):
        raise CnnlabError(f"{flag} {path}: the file is read-only (Permission denied); give another name")
    return path
