import pytest

from cnnlab.cli import main


@pytest.fixture(scope="session")
def mnist_run(tmp_path_factory, real_data_dir):
    """A real LeNet-5 trained for one epoch on 12,000 MNIST images (about 96% test accuracy, ~30 s)."""
    run = tmp_path_factory.mktemp("serve") / "lenet5-mnist"
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
            "12000",
            "--val-size",
            "1000",
            "--data-dir",
            str(real_data_dir),
            "--out",
            str(run),
        ]
    )
    assert code == 0
    return run


@pytest.fixture(scope="session")
def mnist_test(real_data_dir):
    from cnnlab.data import load_dataset

    return load_dataset("mnist", "test", data_dir=real_data_dir, download=False)
