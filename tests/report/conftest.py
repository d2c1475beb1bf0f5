import pytest

from cnnlab.cli import main


@pytest.fixture(scope="session")
def mnist_run(tmp_path_factory, real_data_dir):
    """A small real run: LeNet-5, one epoch on 2,000 MNIST images, trained by `cnnlab train`, which writes
    report.html at its end."""
    pytest.importorskip("sklearn")
    pytest.importorskip("matplotlib")
    run = tmp_path_factory.mktemp("report") / "mnist-lenet5"
    code = main(
        [
            "train",
            "--data",
            "mnist",
            "--model",
            "lenet5",
            "--epochs",
            "1",
            "--train-size",
            "2000",
            "--val-size",
            "500",
            "--data-dir",
            str(real_data_dir),
            "--out",
            str(run),
        ]
    )
    assert code == 0
    return run
