"""A (time, channel, lat, lon) array that stays on disk: indexing reads only the time steps asked for.

Forecast samples are gathered by time index (`fields[index - k]`), so a dask-backed DataArray can serve
them batch by batch: each batch reads the chunks holding its time steps and nothing else. This is how a
dataset larger than memory streams through training (`--stream`, or automatically above STREAM_BYTES).
"""

from __future__ import annotations

import numpy as np

__all__ = ["LazyFields", "STREAM_BYTES"]

STREAM_BYTES = 2 << 30  # selections above 2 GiB (as float32) are streamed rather than loaded


class LazyFields:
    """Numpy-style read access by time index to a DataArray (time, channel, lat, lon), as float32."""

    def __init__(self, da):
        self.da = da
        self.shape = tuple(int(s) for s in da.shape)
        self.ndim = 4
        self.dtype = np.dtype(np.float32)

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, key):
        rest = ()
        if isinstance(key, tuple):
            key, rest = key[0], key[1:]
        if isinstance(key, slice):
            values, lead_dims = np.asarray(self.da.isel(time=key).values, np.float32), 1
        else:
            index = np.asarray(key)
            if index.dtype == bool:
                index = np.flatnonzero(index)
            flat = index.reshape(-1)
            order = np.argsort(flat, kind="stable")  # read in time order (contiguous chunks), then restore
            read = np.asarray(self.da.isel(time=flat[order]).values, np.float32)
            values = np.empty_like(read)
            values[order] = read
            values, lead_dims = values.reshape(index.shape + self.shape[1:]), index.ndim
        return values[(slice(None),) * lead_dims + rest] if rest else values
