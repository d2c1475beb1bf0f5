"""cnnlab.geo: CNNs on weather and satellite grids (gridded data, padding, latitude weights, tasks, baselines)."""

from cnnlab.geo.gridded import GridSelection, open_gridded, select
from cnnlab.geo.metrics import forecast_scores
from cnnlab.geo.padding import GridPad, detect_padding, grid_conv
from cnnlab.geo.weights import latitude_weights

__all__ = ["open_gridded", "select", "GridSelection", "forecast_scores", "latitude_weights", "GridPad", "grid_conv", "detect_padding"]
