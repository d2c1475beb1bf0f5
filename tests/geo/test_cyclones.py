import numpy as np
import pytest

from cnnlab.geo.cyclones import CORE_RADII, holland_profile, make_cyclone_scenes


def test_holland_wind_peaks_at_rmax_with_the_analytic_speed():
    """Without Coriolis (f = 0 at the equator) V^2 = B dp/rho x e^-x, x = (Rmax/r)^B, peaks at x = 1: r = Rmax."""
    r = np.linspace(1, 300, 29_901)  # 0.01 km steps
    for b, dp, rmax in ((1.0, 40.0, 40.0), (1.8, 70.0, 60.0)):
        deficit, speed = holland_profile(r, rmax, b, dp, lat_deg=0.0)
        assert r[speed.argmax()] == pytest.approx(rmax, abs=0.02)
        assert speed.max() == pytest.approx(np.sqrt(b * dp * 100 / 1.15 / np.e), rel=1e-6)
        assert deficit[0] == pytest.approx(-dp, rel=1e-3) and deficit[-1] > -dp / 2


def test_coriolis_lowers_the_gradient_wind():
    r = np.array([50.0, 200.0])
    assert (holland_profile(r, 40, 1.5, 50, 20.0)[1] < holland_profile(r, 40, 1.5, 50, 0.0)[1]).all()


def test_scenes_are_seeded_and_labels_agree_with_the_fields():
    a, b = make_cyclone_scenes(40, seed=5), make_cyclone_scenes(40, seed=5)
    np.testing.assert_array_equal(a.fields, b.fields)
    assert not np.array_equal(a.fields, make_cyclone_scenes(40, seed=6).fields)
    assert a.fields.shape == (40, 3, 48, 48) and a.presence.any() and (~a.presence).any()
    for s in range(40):
        centres = a.centres[s]
        assert a.presence[s] == (len(centres) > 0) == bool(a.core[s].any()) == bool(a.centre_region[s].any())
        for (lat, lon, row, col), (dp, vmax) in zip(centres, a.intensity[s]):
            r, c = int(round(row)), int(round(col))
            assert a.core[s, r, c] == 1 and a.centre_region[s, r, c] == 1
            assert lat == pytest.approx(a.lat[0] + row * 0.25) and lon == pytest.approx(a.lon[0] + col * 0.25)
            # the pressure minimum lies near the centre, and the winds there turn anticlockwise
            window = a.fields[s, 0, max(r - 3, 0) : r + 4, max(c - 3, 0) : c + 4]
            assert window.min() < 1005 and 15 <= dp <= 80 and vmax > 15
    assert CORE_RADII == 2.5


def test_northern_hemisphere_storms_turn_anticlockwise():
    scenes = make_cyclone_scenes(30, seed=2, noise=0.0)
    s = next(i for i in range(30) if len(scenes.centres[i]) == 1)
    _, _, row, col = scenes.centres[s][0]
    r, c = int(round(row)), int(round(col))
    u, v = scenes.fields[s, 1], scenes.fields[s, 2]
    assert v[r, min(c + 2, 47)] > v[r, max(c - 2, 0)]  # northward east of the centre, southward west of it
    assert u[min(r + 2, 47), c] < u[max(r - 2, 0), c]  # westward north of the centre
