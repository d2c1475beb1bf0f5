"""cnnlab.data: datasets from their official files (verified), in memory, with batch-wise augmentation."""

from cnnlab.data.batches import Batches, Normalise
from cnnlab.data.datasets import ImageDataset, dataset_label, dataset_spec, dataset_status, list_datasets, load_dataset
from cnnlab.data.sources import data_root

__all__ = [
    "load_dataset",
    "list_datasets",
    "dataset_spec",
    "dataset_status",
    "ImageDataset",
    "Batches",
    "Normalise",
    "data_root",
    "dataset_label",
]
