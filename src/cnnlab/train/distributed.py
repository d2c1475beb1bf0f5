"""Scale-out with PyTorch's own engine: DistributedDataParallel over the processes torchrun starts.

    torchrun --nproc_per_node=4 -m cnnlab train --data cifar10 --model resnet20 --distributed

torchrun sets RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR and MASTER_PORT; `setup` joins the process
group (NCCL on GPUs, gloo on CPUs), each rank trains on its shard of every global batch
(cnnlab.data.Batches shard=(rank, world)), gradients are averaged by DDP, metric sums are all-reduced,
and only rank 0 writes the run folder. `--batch-size` stays the global batch: each rank gets
batch_size / world images per step, so the run matches a one-process run with the same batch.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import nn

from cnnlab.errors import CnnlabError

__all__ = ["Distributed", "setup", "SINGLE"]


@dataclass(frozen=True)
class Distributed:
    rank: int = 0
    world: int = 1
    local_rank: int = 0
    owns_group: bool = False  # whether setup() created the process group (and teardown ends it)

    @property
    def enabled(self) -> bool:
        return self.world > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def all_reduce_sum(self, tensor: torch.Tensor) -> torch.Tensor:
        if self.enabled:
            dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
        return tensor

    def broadcast(self, value):
        """Rank 0's value of a picklable object, on every rank."""
        if not self.enabled:
            return value
        box = [value]
        dist.broadcast_object_list(box, src=0)
        return box[0]

    def barrier(self) -> None:
        if self.enabled:
            dist.barrier()

    def wrap(self, model: nn.Module, device: torch.device, sync_bn: bool) -> nn.Module:
        if not self.enabled:
            return model
        if sync_bn:  # setup() refused it on CPU
            model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
        ids = [device.index] if device.type == "cuda" else None
        return nn.parallel.DistributedDataParallel(model, device_ids=ids)

    def teardown(self) -> None:
        if self.owns_group and dist.is_initialized():
            dist.destroy_process_group()


SINGLE = Distributed()


def setup(asked: bool, device: torch.device, sync_bn: bool = False) -> tuple[Distributed, torch.device]:
    """Join the process group when asked for (or when torchrun started several processes); refuses what
    cannot run here before the trainer touches the run folder."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if not asked and world == 1:
        return SINGLE, device
    if "RANK" not in os.environ or "MASTER_ADDR" not in os.environ:
        raise CnnlabError(
            "--distributed needs the processes torchrun starts: "
            "torchrun --nproc_per_node=2 -m cnnlab train ... --distributed"
        )
    if sync_bn and device.type == "cpu":
        raise CnnlabError("--sync-bn needs GPUs: torch's SyncBatchNorm has no CPU kernel; leave it off on CPU")
    rank, local_rank = int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", "0"))
    if device.type == "cuda":
        device = torch.device("cuda", local_rank)
        torch.cuda.set_device(device)
    owns = not dist.is_initialized()
    if owns:
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo", rank=rank, world_size=world)
    return Distributed(rank, world, local_rank, owns), device
