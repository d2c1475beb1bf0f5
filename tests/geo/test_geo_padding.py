import numpy as np
import pytest

from cnnlab.errors import CnnlabError
from cnnlab.geo.padding import detect_padding, grid_padding_mode, is_global_longitude


def test_global_grids_are_detected_from_their_longitudes():
    assert is_global_longitude(np.arange(0, 360, 2.5))  # 144 columns close the circle
    assert is_global_longitude(np.arange(-180, 180, 0.75))  # the ERA-Interim sample's grid
    assert detect_padding(np.arange(0, 360, 2.5)) == "circular"


def test_regional_and_uneven_grids_replicate():
    assert detect_padding(200 + 2.5 * np.arange(53)) == "replicate"  # air_temperature: 200..330 E
    assert not is_global_longitude(np.array([0.0, 1.0, 5.0, 6.0]))
    assert not is_global_longitude(np.arange(0, 357.5, 2.5))  # one column short of the circle


def test_override_and_refusal():
    assert grid_padding_mode("zeros", np.arange(0, 360, 2.5)) == "zeros"
    assert grid_padding_mode("auto", np.arange(0, 360, 2.5)) == "circular"
    with pytest.raises(CnnlabError, match="choose auto or one of"):
        grid_padding_mode("wrap", np.arange(3.0))


@pytest.mark.data
def test_the_real_files_get_the_padding_their_grids_need(real_data_dir):
    from cnnlab.geo.gridded import open_gridded

    assert detect_padding(open_gridded("air_temperature", real_data_dir)["lon"].values) == "replicate"
    era = open_gridded(f"netcdf:{real_data_dir / 'xarray-data' / 'eraint_uvz.nc'}")
    assert detect_padding(era["lon"].values) == "circular"
