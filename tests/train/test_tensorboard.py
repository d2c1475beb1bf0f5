"""--tensorboard: the event files in RUN_DIR/tb/ read back with TensorBoard's own EventAccumulator."""

import pytest

from cnnlab.errors import CnnlabError
from cnnlab.train import TrainConfig, train

event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")


def test_tensorboard_event_files_hold_scalars_filters_and_hparams(tmp_path):
    config = TrainConfig(
        data="synthetic-mnist",
        model="lenet5",
        epochs=2,
        train_size=512,
        val_size=256,
        batch_size=64,
        out=str(tmp_path / "run"),
        tensorboard=True,
    )
    result = train(config, log=lambda line: None, progress=False)
    accumulator = event_accumulator.EventAccumulator(
        str(result.run_dir / "tb"), size_guidance={"images": 0, "scalars": 0}
    )
    accumulator.Reload()
    tags = accumulator.Tags()
    assert {"loss/train", "loss/val", "accuracy/train", "accuracy/val", "lr", "speed/images_per_s"} <= set(
        tags["scalars"]
    )
    train_loss = accumulator.Scalars("loss/train")
    assert [e.step for e in train_loss] == [1, 2]
    assert [e.value for e in train_loss] == pytest.approx([row["train_loss"] for row in result.history], rel=1e-6)
    assert accumulator.Scalars("hparam/test_accuracy")[0].value == pytest.approx(result.results["test"]["accuracy"])
    filters = accumulator.Images("filters/first_layer")
    assert len(filters) == 2 and filters[0].width > 0  # lenet5's first convolution, once per epoch
    plugins = accumulator.PluginTagToContent("hparams")
    assert "_hparams_/experiment" in plugins and "_hparams_/session_start_info" in plugins
    assert b"lenet5" in plugins["_hparams_/session_start_info"]


def test_tensorboard_is_a_switch_of_the_torch_engine():
    with pytest.raises(CnnlabError, match="--tensorboard is a switch of the torch engine, not of --engine numpy"):
        TrainConfig(engine="numpy", model="simple-convnet", precision="fp32", tensorboard=True).validate()
