import dataclasses

import numpy as np
import pytest
import torch

from cnnlab.data import datasets as ds
from cnnlab.data import load_dataset
from cnnlab.data.sources import Resource
from cnnlab.errors import CnnlabError
from fakes import md5, write_fake_cifar_dir, write_fake_cifar_tar, write_fake_mnist


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    # checksum stamps go to a private cache, never the user's
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def _with_md5s(monkeypatch, name, md5s: dict):
    """Point a dataset's declared checksums at the fake files (the official ones would reject them)."""
    spec = ds._SPECS[name]
    resources = {
        split: tuple(Resource(r.filename, md5s.get(r.filename, r.md5), ()) for r in res)
        for split, res in spec.resources.items()
    }
    monkeypatch.setitem(ds._SPECS, name, dataclasses.replace(spec, resources=resources))


@pytest.mark.parametrize("layout", ["mnist", "MNIST/raw"])
def test_mnist_reads_cnnlab_and_torchvision_layouts(tmp_path, monkeypatch, layout):
    md5s = write_fake_mnist(tmp_path / layout)
    _with_md5s(monkeypatch, "mnist", md5s)
    train = load_dataset("mnist", "train", tmp_path, download=False)
    test = load_dataset("mnist", "test", tmp_path, download=False)
    assert train.images.shape == (60, 1, 28, 28) and train.images.dtype == torch.uint8
    assert test.labels.shape == (20,) and test.labels.dtype == torch.int64


def test_official_checksums_reject_fake_mnist_naming_file_and_both_md5s(tmp_path):
    md5s = write_fake_mnist(tmp_path / "mnist")
    with pytest.raises(CnnlabError) as error:
        load_dataset("mnist", "train", tmp_path, download=False)
    message = str(error.value)
    assert "train-images-idx3-ubyte.gz" in message and "f68b3c2dcbeaaa9fbdd348bbdeb94873" in message
    assert md5s["train-images-idx3-ubyte.gz"] in message


def test_corruption_after_a_verified_load_is_caught(tmp_path, monkeypatch):
    md5s = write_fake_mnist(tmp_path / "mnist")
    _with_md5s(monkeypatch, "mnist", md5s)
    load_dataset("mnist", "test", tmp_path, download=False)
    path = tmp_path / "mnist" / "t10k-labels-idx1-ubyte.gz"
    path.write_bytes(path.read_bytes()[:-5])  # truncated: size (and mtime) change, so the stamp no longer holds
    with pytest.raises(CnnlabError, match="corrupted or truncated"):
        load_dataset("mnist", "test", tmp_path, download=False)


def test_missing_files_offline_say_where_they_were_looked_for(tmp_path):
    with pytest.raises(CnnlabError) as error:
        load_dataset("fashion-mnist", "train", tmp_path, download=False)
    assert str(tmp_path / "fashion-mnist") in str(error.value) and "FashionMNIST/raw" in str(error.value)


def test_cifar10_from_official_tar_layout(tmp_path, monkeypatch):
    archive = write_fake_cifar_tar(tmp_path / "cifar10", n_per_batch=8)
    monkeypatch.setattr(ds, "CIFAR10_ARCHIVE", Resource(archive.name, md5(archive), ()))
    train = load_dataset("cifar10", "train", tmp_path, download=False)
    test = load_dataset("cifar10", "test", tmp_path, download=False)
    assert train.images.shape == (40, 3, 32, 32) and test.images.shape == (8, 3, 32, 32)
    assert train.classes[0] == "airplane"


def test_cifar10_tar_with_wrong_checksum_is_rejected(tmp_path):
    write_fake_cifar_tar(tmp_path / "cifar10")
    with pytest.raises(CnnlabError, match="c58f30108f718f92721af3b95e74349a"):
        load_dataset("cifar10", "train", tmp_path, download=False)


def test_cifar10_from_extracted_folder_checks_every_batch(tmp_path, monkeypatch):
    md5s = write_fake_cifar_dir(tmp_path / "cifar10")
    # the official per-file checksums reject the fakes ...
    with pytest.raises(CnnlabError, match="corrupted or truncated"):
        load_dataset("cifar10", "test", tmp_path, download=False)
    # ... and with their own checksums declared they load, pixel for pixel as written
    monkeypatch.setattr(ds, "CIFAR10_BATCH_MD5", md5s)
    test = load_dataset("cifar10", "test", tmp_path, download=False)
    from cnnlab.data.cifar import load_cifar_pickle

    raw = load_cifar_pickle((tmp_path / "cifar10" / "cifar-10-batches-py" / "test_batch").read_bytes(), "t")
    np.testing.assert_array_equal(test.images.numpy(), raw["data"].reshape(-1, 3, 32, 32))


def test_unknown_dataset_lists_the_valid_names():
    with pytest.raises(CnnlabError, match="choose one of: mnist, fashion-mnist, cifar10"):
        load_dataset("imagenet")


def test_synthetic_data_is_seeded_and_balanced():
    a = load_dataset("synthetic-cifar", "train")
    b = load_dataset("synthetic-cifar", "train")
    assert torch.equal(a.images, b.images) and a.images.shape == (10_000, 3, 32, 32)
    counts = torch.bincount(a.labels, minlength=10)
    assert counts.min() > 900 and counts.max() < 1100
    assert not torch.equal(load_dataset("synthetic-cifar", "test").images[:5], a.images[:5])


def test_real_mnist_and_fashion_mnist(real_data_dir):
    for name, first_labels in (("mnist", [5, 0, 4, 1, 9]), ("fashion-mnist", [9, 0, 0, 3, 0])):
        train = load_dataset(name, "train", real_data_dir, download=False)
        test = load_dataset(name, "test", real_data_dir, download=False)
        assert len(train) == 60_000 and len(test) == 10_000
        assert train.labels[:5].tolist() == first_labels
        # the published per-channel mean of the training pixels
        mean = train.images.double().mean().item() / 255
        assert abs(mean - ds.dataset_spec(name).mean[0]) < 5e-4
