"""Where dataset files come from: the data root, official mirrors, downloads and checksums.

Data root: `--data-dir`, else `$CNNLAB_DATA`, else `~/.cache/cnnlab`. Each dataset declares its files
with MD5 checksums and a list of mirrors. A file is looked for in the dataset's folders under the root
(cnnlab's own layout and torchvision's cache layout), downloaded when missing (mirrors in turn, resumable,
atomic rename), and its checksum is verified on every load; a stamp keyed by path, size and mtime in
the user's cache avoids re-hashing unchanged files.
"""

from __future__ import annotations

import hashlib
import json
import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from cnnlab.errors import CnnlabError
from cnnlab.files import publish, write_json_atomic

__all__ = ["Resource", "data_root", "find_file", "fetch", "md5sum", "verify"]

_CHUNK = 1 << 20


@dataclass(frozen=True)
class Resource:
    """One official file of a dataset: its name, MD5 and the mirrors (base URLs) that serve it."""

    filename: str
    md5: str
    mirrors: tuple[str, ...]


def data_root(data_dir: str | os.PathLike | None = None) -> Path:
    """`data_dir`, else $CNNLAB_DATA, else ~/.cache/cnnlab."""
    if data_dir:
        root = Path(data_dir).expanduser()
        if not root.is_dir():  # a mistyped path is reported, not created and filled with downloads
            what = "is a file, not a folder" if root.exists() else "does not exist"
            raise CnnlabError(
                f"--data-dir {data_dir} {what}; give the folder that holds the datasets (create it "
                f"first to download into it)"
            )
        return root
    if os.environ.get("CNNLAB_DATA"):
        return Path(os.environ["CNNLAB_DATA"]).expanduser()
    return Path.home() / ".cache" / "cnnlab"


def _stamp_file() -> Path:
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return cache / "cnnlab" / "verified.json"


def _read_stamps() -> dict:
    try:
        return json.loads(_stamp_file().read_text())
    except (OSError, ValueError):
        return {}


def _write_stamp(path: Path, md5: str) -> None:
    stamps = _read_stamps()
    st = path.stat()
    stamps[str(path.resolve())] = [st.st_size, st.st_mtime_ns, md5]
    target = _stamp_file()
    try:
        write_json_atomic(target, stamps)
    except OSError:
        pass  # a read-only home only costs a re-hash next time


def md5sum(path: Path) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify(path: Path, md5: str) -> None:
    """Raise CnnlabError unless `path` has checksum `md5` (skips hashing if a stamp says it did)."""
    try:
        st = path.stat()
        if _read_stamps().get(str(path.resolve())) == [st.st_size, st.st_mtime_ns, md5]:
            return
        actual = md5sum(path)
    except OSError as error:  # unreadable (permissions), or a folder where the file should be
        raise CnnlabError(
            f"cannot read {path}: {error.strerror or error}; check the file (and its permissions) "
            f"or point --data-dir/$CNNLAB_DATA at another copy"
        ) from None
    if actual != md5:
        raise CnnlabError(
            f"{path} is corrupted or truncated: md5 {actual}, expected {md5} ({st.st_size} bytes); "
            f"delete it to download it again"
        )
    _write_stamp(path, md5)


def find_file(filename: str, folders: list[Path]) -> Path | None:
    for folder in folders:
        candidate = folder / filename
        if candidate.is_file():
            return candidate
        if candidate.is_dir():
            raise CnnlabError(
                f"{candidate} is a folder where the file {filename} should be; move it away and put the file there"
            )
    return None


def _download(url: str, target: Path) -> None:
    """Download into `target.part` (resuming a previous partial download), then rename atomically."""
    part = target.with_name(target.name + ".part")
    done = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(url, headers={"User-Agent": "cnnlab"})
    if done:
        request.add_header("Range", f"bytes={done}-")
    with urllib.request.urlopen(request, timeout=30) as response:
        mode = "ab" if done and response.status == 206 else "wb"
        with open(part, mode) as f:
            for chunk in iter(lambda: response.read(_CHUNK), b""):
                f.write(chunk)
    publish(part, target)


def fetch(resource: Resource, folders: list[Path], download: bool = True, dataset: str = "") -> Path:
    """Return the verified path of `resource`, looking in `folders` and downloading into folders[0]."""
    found = find_file(resource.filename, folders)
    if found is None and download:
        target = folders[0] / resource.filename
        errors = []
        for mirror in resource.mirrors:
            url = mirror.rstrip("/") + "/" + resource.filename
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                print(f"downloading {url}", flush=True)
                _download(url, target)
                verify(target, resource.md5)
                found = target
                break
            except CnnlabError as error:  # a bad download: drop it and try the next mirror
                target.unlink(missing_ok=True)
                errors.append(str(error))
            except (urllib.error.URLError, OSError, TimeoutError) as error:
                errors.append(f"{url}: {getattr(error, 'reason', error)}")
        if found is None:
            looked = ", ".join(str(f) for f in folders)
            raise CnnlabError(
                f"{dataset} file {resource.filename} is not in {looked} and could not be downloaded "
                f"({'; '.join(errors)}); copy the official file there "
                "or point --data-dir/$CNNLAB_DATA at a folder holding it"
            )
        return found
    if found is None:
        looked = ", ".join(str(f) for f in folders)
        raise CnnlabError(
            f"{dataset} file {resource.filename} is not in {looked}; copy the official file there, "
            f"point --data-dir/$CNNLAB_DATA at a folder holding it, or allow downloads"
        )
    verify(found, resource.md5)
    return found
