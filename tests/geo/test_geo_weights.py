import numpy as np
import pytest

from cnnlab.errors import CnnlabError
from cnnlab.geo.weights import latitude_weights


@pytest.mark.parametrize("kind", ["cos", "area", "none"])
def test_weights_have_mean_one(kind):
    lat = np.linspace(-90, 90, 73)
    assert latitude_weights(lat, kind).mean() == pytest.approx(1.0, abs=1e-12)


def test_cos_weights_are_the_normalised_cosine():
    lat = np.array([0.0, 60.0])  # cos = 1 and 0.5 -> mean 0.75
    np.testing.assert_allclose(latitude_weights(lat, "cos"), [1 / 0.75, 0.5 / 0.75])


def test_area_weights_are_band_areas_and_close_to_cos_on_fine_grids():
    lat = np.array([0.0, 30.0, 60.0])
    bands = np.sin(np.deg2rad(lat + 15)) - np.sin(np.deg2rad(lat - 15))
    np.testing.assert_allclose(latitude_weights(lat, "area"), bands / bands.mean())
    fine = np.linspace(-89.75, 89.75, 360)
    np.testing.assert_allclose(latitude_weights(fine, "area"), latitude_weights(fine, "cos"), rtol=1e-4)


def test_poles_get_no_negative_weight_and_bad_kind_is_refused():
    assert (latitude_weights(np.array([-90.0, 0.0, 90.0]), "cos") >= 0).all()
    with pytest.raises(CnnlabError, match="choose one of: cos, area, none"):
        latitude_weights([0.0], "gauss")
