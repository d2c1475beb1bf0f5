import numpy as np
import pytest

from cnnlab.geo.cyclones import make_cyclone_scenes
from cnnlab.geo.detection_metrics import detection_scores, find_storms, great_circle_km


def test_great_circle_distances():
    assert great_circle_km(0, 0, 1, 0) == pytest.approx(np.pi * 6371 / 180)  # one degree of latitude
    assert great_circle_km(0, 0, 0, 180) == pytest.approx(np.pi * 6371)
    assert great_circle_km(60, 10, 60, 11) == pytest.approx(great_circle_km(0, 10, 0, 11) * 0.5, rel=1e-3)


def test_the_true_masks_score_perfectly():
    scenes = make_cyclone_scenes(30, seed=3)
    scores, centres = detection_scores(
        scenes.centre_region.astype(float), scenes.centre_region, scenes.centres, scenes.lat, scenes.lon
    )
    assert scores["f1"] == 1.0 and scores["accuracy"] == 1.0 and scores["iou"] == 1.0
    assert scores["center_error_cells"] < 0.5  # the centroid of a disc around a fractional centre
    assert scores["storms_matched"] == scores["storms_true"] and scores["storms_false_alarms"] == 0


def test_a_mask_shifted_by_one_cell_moves_the_centre_one_cell():
    probability = np.zeros((1, 20, 20))
    probability[0, 8:13, 8:13] = 1.0  # centroid (10, 10)
    true = [np.array([[2.5, 2.25, 10.0, 9.0]])]  # lat, lon, row, col: one cell to the west
    lat, lon = np.arange(20) * 0.25, np.arange(20) * 0.25
    scores, centres = detection_scores(probability, probability.astype(np.uint8), true, lat, lon)
    assert scores["center_error_cells"] == pytest.approx(1.0)
    assert scores["center_error_km"] == pytest.approx(great_circle_km(2.5, 2.25, 2.5, 2.5))
    np.testing.assert_allclose(centres[0], [[2.5, 2.5]])


def test_presence_f1_counts_missed_and_false_scenes():
    empty, storm = np.zeros((10, 10)), np.zeros((10, 10))
    storm[4:7, 4:7] = 0.9
    probability = np.stack([storm, empty, storm, empty])
    true_centres = [np.array([[0, 0, 5.0, 5.0]]), np.array([[0, 0, 5.0, 5.0]]), np.zeros((0, 4)), np.zeros((0, 4))]
    scores, _ = detection_scores(probability, np.zeros((4, 10, 10)), true_centres, np.arange(10.0), np.arange(10.0))
    assert scores["accuracy"] == 0.5 and scores["f1"] == pytest.approx(2 * 1 / (2 * 1 + 1 + 1))
    assert find_storms(np.pad(np.ones((1, 2)), 2)).shape == (0, 2)  # two cells: below min_cells
