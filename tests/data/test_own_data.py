"""Own data: image folders (ImageFolder layout) and Kaggle-style CSV tables, made from real MNIST images."""

import json
import os
import time
import warnings

import numpy as np
import pytest
from PIL import Image

from cnnlab.cli import main
from cnnlab.data import dataset_spec, load_dataset
from cnnlab.data.idx import write_idx
from cnnlab.data.own_data import forget_own_data, load_own_data, own_data_cache_dir
from cnnlab.errors import CnnlabError, CnnlabWarning

TRAIN_IMAGES = 2000  # the first MNIST training images, written out as PNG files
TEST_IMAGES = 1000  # the first MNIST test images


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    forget_own_data()


def write_png_folder(root, images, labels, classes):
    for i, (image, label) in enumerate(zip(images, labels)):
        path = root / classes[int(label)] / f"{i:05d}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(image[0].numpy() if hasattr(image, "numpy") else image[0]).save(path)


@pytest.fixture(scope="module")
def mnist_png(real_data_dir, tmp_path_factory):
    """MNIST as an ImageFolder: train/<digit>/*.png (first TRAIN_IMAGES) and test/<digit>/*.png (all 10,000)."""
    root = tmp_path_factory.mktemp("mnist-png")
    for split, n in (("train", TRAIN_IMAGES), ("test", TEST_IMAGES)):
        data = load_dataset("mnist", split, real_data_dir)
        write_png_folder(root / split, data.images[:n], data.labels[:n], data.classes)
    return root


def test_png_folder_decodes_to_the_same_pixels_as_the_idx_files(mnist_png, real_data_dir):
    own = load_own_data(f"folder:{mnist_png}")
    mnist = load_dataset("mnist", "train", real_data_dir)
    assert own.train_images.shape == (TRAIN_IMAGES, 1, 28, 28) and own.test_images.shape == (TEST_IMAGES, 1, 28, 28)
    assert own.classes == [str(d) for d in range(10)]
    # The loader orders files class by class; file names are the MNIST indices, so both orders can be compared.
    order = np.lexsort((np.arange(TRAIN_IMAGES), mnist.labels[:TRAIN_IMAGES].numpy()))
    np.testing.assert_array_equal(own.train_images, mnist.images[:TRAIN_IMAGES].numpy()[order])
    np.testing.assert_array_equal(own.train_labels, mnist.labels[:TRAIN_IMAGES].numpy()[order])
    expected_mean = mnist.images[:TRAIN_IMAGES].double().mean().item() / 255
    assert own.mean[0] == pytest.approx(expected_mean, abs=1e-5)
    assert not own.skipped and own.resized == 0


def test_training_on_the_png_folder_matches_the_built_in_loader(mnist_png, tmp_path):
    # The built-in loader reads the same images from IDX files (uncompressed, as torchvision keeps them), in
    # the folder loader's order (class by class), so both runs see the same batches; only the normalisation
    # differs (the folder's own mean/std against MNIST's published 0.1307/0.3081).
    own = load_own_data(f"folder:{mnist_png}")
    idx_root = tmp_path / "idx"
    (idx_root / "mnist").mkdir(parents=True)
    for prefix, images, labels in (
        ("train", own.train_images, own.train_labels),
        ("t10k", own.test_images, own.test_labels),
    ):
        write_idx(idx_root / "mnist" / f"{prefix}-images-idx3-ubyte", images[:, 0])
        write_idx(idx_root / "mnist" / f"{prefix}-labels-idx1-ubyte", labels.astype(np.uint8))
    common = ["--model", "lenet5", "--epochs", "2", "--val-size", "0", "--precision", "fp32", "--seed", "0", "--json"]
    assert main(["train", "--data", f"folder:{mnist_png}", "--out", str(tmp_path / "own"), *common]) == 0
    assert (
        main(["train", "--data", "mnist", "--data-dir", str(idx_root), "--out", str(tmp_path / "builtin"), *common])
        == 0
    )
    own_accuracy = json.loads((tmp_path / "own" / "results.json").read_text())["test"]["accuracy"]
    builtin = json.loads((tmp_path / "builtin" / "results.json").read_text())["test"]["accuracy"]
    assert own_accuracy > 0.7 and abs(own_accuracy - builtin) <= 0.003, (own_accuracy, builtin)
    confusion = (tmp_path / "own" / "confusion.csv").read_text().splitlines()
    assert confusion[0] == "true\\predicted," + ",".join(str(d) for d in range(10))


def test_second_load_comes_from_the_cache(mnist_png):
    load_own_data(f"folder:{mnist_png}")  # fills this test's private cache
    assert len(list(own_data_cache_dir().glob("folder-*.npz"))) == 1
    forget_own_data()  # as in a new process: the in-memory copy is gone, the cache on disk is not
    start = time.perf_counter()
    again = load_own_data(f"folder:{mnist_png}")
    assert time.perf_counter() - start < 3.0
    assert again.train_images.shape == (TRAIN_IMAGES, 1, 28, 28)


def make_small_folder(root, sizes=((28, 28),) * 6, mode="L", classes=("cat", "dog")):
    rng = np.random.default_rng(0)
    for name in classes:
        for i, (h, w) in enumerate(sizes):
            shape = (h, w) if mode == "L" else (h, w, 3)
            path = root / name / f"{i}.png"
            path.parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(rng.integers(0, 256, shape, dtype=np.uint8), mode=mode).save(path)
    return root


def test_seeded_split_mixed_sizes_and_colour(tmp_path):
    root = make_small_folder(tmp_path / "pets", sizes=[(20, 30)] * 4 + [(10, 10)])
    Image.fromarray(np.zeros((20, 30, 3), np.uint8)).save(root / "dog" / "rgb.jpg")
    np.save(root / "cat" / "array.npy", np.full((20, 30), 7, np.uint8))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        spec = dataset_spec(f"folder:{root}")
    assert spec.in_shape == (3, 20, 30)  # one colour file makes the set RGB; the most common size wins
    assert spec.classes == ("cat", "dog") and len(spec.mean) == 3
    assert any("2 of 12 images were resized to 20x30" in str(w.message) for w in caught if w.category is CnnlabWarning)
    train, test = load_dataset(f"folder:{root}", "train"), load_dataset(f"folder:{root}", "test")
    assert len(train) + len(test) == 12 and len(test) == round(0.2 * 12)


def test_image_size_option_resizes_everything(tmp_path):
    root = make_small_folder(tmp_path / "pets")
    with pytest.warns(CnnlabWarning, match="12 of 12 images were resized to 16x12"):
        assert dataset_spec(f"folder:{root}?size=16x12").in_shape == (1, 16, 12)


def test_undecodable_files_are_skipped_with_a_count_or_refused_with_strict(tmp_path, capsys):
    root = make_small_folder(tmp_path / "pets")
    (root / "cat" / "broken.png").write_bytes(b"not a png at all")
    with pytest.warns(CnnlabWarning, match=r"1 file\(s\) could not be decoded.*broken.png"):
        data = load_own_data(f"folder:{root}")
    assert len(data.train_labels) + len(data.test_labels) == 12
    code = main(["train", "--data", f"folder:{root}", "--strict", "--epochs", "1", "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "--strict" in err and "broken.png" in err and len(err.splitlines()) == 1
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize(
    "damage, fragment",
    [
        (lambda root: (root / "bird").mkdir(), "holds no images"),
        (lambda root: os.rename(root / "dog", root / ".dog"), "at least two class folders"),
    ],
)
def test_bad_folders_are_one_line_errors(tmp_path, capsys, damage, fragment):
    root = make_small_folder(tmp_path / "pets")
    damage(root)
    code = main(["train", "--data", f"folder:{root}", "--epochs", "1", "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and fragment in err and len(err.splitlines()) == 1 and err.startswith("cnnlab train: error:")
    assert not (tmp_path / "run").exists()


def write_kaggle_csv(path, images, labels):
    """The layout of Kaggle's 'Digit Recognizer' train.csv: label,pixel0,...,pixel783."""
    flat = images.reshape(len(images), -1)
    header = "label," + ",".join(f"pixel{i}" for i in range(flat.shape[1]))
    rows = [f"{label}," + ",".join(map(str, row)) for label, row in zip(labels, flat)]
    path.write_text(header + "\n" + "\n".join(rows) + "\n")


@pytest.fixture(scope="module")
def mnist_csv(real_data_dir, tmp_path_factory):
    data = load_dataset("mnist", "test", real_data_dir)
    path = tmp_path_factory.mktemp("kaggle") / "train.csv"
    write_kaggle_csv(path, data.images[:1500].numpy(), data.labels[:1500].numpy())
    return path, data


def test_kaggle_csv_reads_the_real_images_and_trains(mnist_csv, tmp_path):
    path, mnist = mnist_csv
    own = load_own_data(f"csv:{path}")
    assert own.classes == [str(d) for d in range(10)]
    assert len(own.train_labels) == 1200 and len(own.test_labels) == 300
    both = np.concatenate([own.train_images, own.test_images])
    assert sorted(map(bytes, both)) == sorted(map(bytes, mnist.images[:1500].numpy()))  # the same images, split
    assert (
        main(
            [
                "train",
                "--data",
                f"csv:{path}",
                "--image-shape",
                "1x28x28",
                "--model",
                "lenet5",
                "--epochs",
                "2",
                "--val-size",
                "0",
                "--out",
                str(tmp_path / "run"),
                "--json",
            ]
        )
        == 0
    )
    results = json.loads((tmp_path / "run" / "results.json").read_text())
    assert results["test"]["accuracy"] > 0.6
    assert json.loads((tmp_path / "run" / "config.json").read_text())["data"] == f"csv:{path}?shape=1x28x28"


@pytest.mark.parametrize(
    "rows, shape, fragment",
    [
        (
            ["label,p0,p1,p2,p3", "1,0,0,0,0", "2,0,,0,0"],
            None,
            "could not convert cell '' to float32 at line 3, column 'p1'",
        ),
        (["label,p0,p1,p2,p3", "1,0,0,0,0", "2,0,x,0,0"], None, "cell 'x' to float32 at line 3, column 'p1'"),
        (["label,p0,p1,p2,p3", "1,0,0,0,0", "2,0,0,0"], None, "line 3 has 4 cells but the header names 5 columns"),
        (["label,p0,p1,p2,p3", "1,0,0,0,0", "2,0,0,0,0,0"], None, "line 3 has 6 cells"),
        (["label,p0,p1,p2,p3", "1,0,0,0,0", "2,0,nan,0,0"], None, "missing or non-numeric cell at line 3, column 'p1'"),
        (["label,p0,p1,p2,p3", "1,0,0,0,0", "2,0,0,0,0"], "1x3x3", "do not make images of --image-shape 1x3x3"),
        (["label,p0,p1,p2", "1,0,0,0", "2,0,0,0"], None, "not a square image"),
        (["p0,p1,p2,p3", "0,0,0,0"], None, "no `label` column"),
        (["label,p0,p1,p2,p3", "1,0,0,0,300", "2,0,0,0,0"], None, "expected 0..255"),
        (["label,p0,p1,p2,p3", "1,0,0,0,0", "1,0,0,0,0"], None, "at least two classes"),
    ],
)
def test_bad_csv_is_a_one_line_error(tmp_path, capsys, rows, shape, fragment):
    path = tmp_path / "bad.csv"
    path.write_text("\n".join(rows) + "\n")
    argv = ["train", "--data", f"csv:{path}", "--epochs", "1", "--out", str(tmp_path / "run")]
    code = main(argv + (["--image-shape", shape] if shape else []))
    err = capsys.readouterr().err.strip()
    assert code == 2 and fragment in err and len(err.splitlines()) == 1, err
    assert not (tmp_path / "run").exists()


def test_own_data_flags_need_own_data(capsys):
    assert main(["train", "--data", "mnist", "--image-size", "32x32"]) == 2
    assert "--image-size is for your own data" in capsys.readouterr().err


def test_unknown_dataset_suggests_the_closest_name():
    with pytest.raises(CnnlabError, match="did you mean 'fashion-mnist'"):
        dataset_spec("fashion-mnst")


def test_the_cache_keeps_the_split_and_statistics_and_memory_notices_new_files(tmp_path):
    root = make_small_folder(tmp_path / "pets")
    first = load_own_data(f"folder:{root}")
    with np.load(next(own_data_cache_dir().glob("folder-*.npz"))) as stored:
        assert stored["mean"].tolist() == list(first.mean) and stored["is_test"].sum() == len(first.test_labels)
    forget_own_data()
    again = load_own_data(f"folder:{root}")
    assert again.mean == first.mean and np.array_equal(again.test_images, first.test_images)
    assert load_own_data(f"folder:{root}") is again  # nothing changed: the copy in memory
    Image.fromarray(np.zeros((28, 28), np.uint8)).save(root / "dog" / "new.png")
    grown = load_own_data(f"folder:{root}")
    assert len(grown.train_labels) + len(grown.test_labels) == 13


def test_a_run_keeps_the_data_as_trained_whatever_becomes_of_the_folder(tmp_path):
    from cnnlab.train.runs import DATA_FACTS_NAME, trained_data, write_data_facts

    root = make_small_folder(tmp_path / "pets")
    name = f"folder:{root}"
    trained = dataset_spec(name)
    run = tmp_path / "run"
    run.mkdir()
    write_data_facts(run, name)
    write_data_facts(run / "none", "mnist")  # named datasets are described by cnnlab: no file, no folder needed
    assert not (run / "none").exists()
    make_small_folder(root, classes=("owl",))  # a class added after training
    forget_own_data()
    assert dataset_spec(name).classes == ("cat", "dog", "owl")
    with trained_data(run):
        spec = dataset_spec(name)
        assert (spec.classes, spec.mean, spec.std, spec.in_shape) == (
            trained.classes,
            trained.mean,
            trained.std,
            trained.in_shape,
        )
        with pytest.raises(CnnlabError, match="now has the classes cat, dog, owl; the run was trained on cat, dog"):
            load_dataset(name, "test")
    assert dataset_spec(name).classes == ("cat", "dog", "owl")  # outside the block: the data as it is
    (run / DATA_FACTS_NAME).write_text("{")
    with pytest.raises(CnnlabError, match=r"data.json: .*restore it, or delete it"):
        with trained_data(run):
            pass
