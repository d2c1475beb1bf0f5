import os
from pathlib import Path

import pytest
import torch

# Two cores: keep torch from oversubscribing them when tests run.
torch.set_num_threads(min(2, os.cpu_count() or 1))


@pytest.fixture(scope="session")
def real_data_dir() -> Path:
    """The folder of real datasets ($CNNLAB_DATA); tests that need it skip with a visible reason."""
    root = os.environ.get("CNNLAB_DATA")
    if not root or not Path(root).is_dir():
        pytest.skip("real datasets not available: set CNNLAB_DATA to a folder holding mnist/, fashion-mnist/ ...")
    return Path(root)
