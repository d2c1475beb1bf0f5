import hashlib
import http.server
import threading
from functools import partial

import pytest

from cnnlab.data.sources import Resource, data_root, fetch
from cnnlab.errors import CnnlabError


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


@pytest.fixture
def mirror(tmp_path):
    """A local HTTP server on loopback serving tmp_path/served, like an official mirror."""
    served = tmp_path / "served"
    served.mkdir()
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    handler.log_message = lambda *a, **k: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield served, f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


def test_data_root_precedence(monkeypatch, tmp_path):
    monkeypatch.setenv("CNNLAB_DATA", str(tmp_path / "env"))
    with pytest.raises(CnnlabError, match="does not exist"):  # a mistyped --data-dir is reported, not created
        data_root(tmp_path / "flag")
    (tmp_path / "flag").mkdir()
    assert data_root(tmp_path / "flag") == tmp_path / "flag"
    assert data_root() == tmp_path / "env"
    monkeypatch.delenv("CNNLAB_DATA")
    assert data_root().name == "cnnlab"


def test_download_tries_mirrors_in_turn_and_verifies(tmp_path, mirror):
    served, url = mirror
    payload = b"official bytes" * 1000
    (served / "file.bin").write_bytes(payload)
    resource = Resource("file.bin", hashlib.md5(payload).hexdigest(), ("http://127.0.0.1:9/dead/", url))
    path = fetch(resource, [tmp_path / "data"], download=True, dataset="test")
    assert path.read_bytes() == payload
    assert not list((tmp_path / "data").glob("*.part"))


def test_download_with_wrong_checksum_leaves_nothing_behind(tmp_path, mirror):
    served, url = mirror
    (served / "file.bin").write_bytes(b"tampered")
    resource = Resource("file.bin", "0" * 32, (url,))
    with pytest.raises(CnnlabError, match="could not be downloaded"):
        fetch(resource, [tmp_path / "data"], download=True, dataset="test")
    assert list((tmp_path / "data").iterdir()) == []


def test_partial_download_is_resumed(tmp_path, mirror):
    served, url = mirror
    payload = bytes(range(256)) * 400
    (served / "file.bin").write_bytes(payload)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "file.bin.part").write_bytes(payload[:1000])
    path = fetch(Resource("file.bin", hashlib.md5(payload).hexdigest(), (url,)), [tmp_path / "data"], dataset="test")
    assert path.read_bytes() == payload
