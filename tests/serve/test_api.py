"""The JSON API of `cnnlab serve` over a real uvicorn server and a real LeNet-5 trained on MNIST."""

from __future__ import annotations

import io
import json
import struct
import threading
import time
import zlib
from base64 import b64decode

import httpx
import numpy as np
import pytest
import torch
import torch.nn.functional as F

from cnnlab.conv import correlate, kernels
from cnnlab.data import Normalise, dataset_spec
from cnnlab.serve import MAX_CONCURRENT_PREDICTIONS, RunCatalogue, create_app, find_run_dirs
from cnnlab.serve.inference import Predictor
from cnnlab.serve.playground import sample_image
from cnnlab.train.classify import load_run_model
from serve_testing import running_server

pytestmark = pytest.mark.data
Image = pytest.importorskip("PIL.Image")


def png_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, "PNG")
    return buffer.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A valid PNG header claiming width x height grey pixels, with an empty pixel stream."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
    return b"\x89PNG\r\n\x1a\n" + header + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")


@pytest.fixture(scope="module")
def catalogue(mnist_run):
    return RunCatalogue(find_run_dirs([mnist_run]))


@pytest.fixture(scope="module")
def server(catalogue):
    with running_server(create_app(catalogue)) as url:
        yield url


@pytest.fixture(scope="module")
def run_id(catalogue):
    return next(iter(catalogue.entries))


def assert_one_line_error(response, status, *words):
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    message = response.json()["error"]
    assert "\n" not in response.text and "Traceback" not in response.text
    for word in words:
        assert word in message, message


def test_runs_lists_the_run(server, run_id, mnist_run):
    runs = httpx.get(f"{server}/api/runs").json()["runs"]
    assert [r["id"] for r in runs] == [run_id]
    assert runs[0]["model"] == "lenet5" and runs[0]["data"] == "mnist" and runs[0]["can_predict"]
    assert runs[0]["test_accuracy"] == json.loads((mnist_run / "results.json").read_text())["test"]["accuracy"]


def test_predict_real_mnist_pngs_as_the_model_does(server, run_id, mnist_run, mnist_test):
    """100 real MNIST test images sent as PNG: the API's top class and probability are the model's own."""
    model, config = load_run_model(mnist_run)
    spec = dataset_spec("mnist")
    images = mnist_test.images[:100]
    with torch.no_grad():
        expected = torch.softmax(model(Normalise(spec.mean, spec.std)(images)), dim=1)
    correct = 0
    with httpx.Client() as client:
        for i in range(len(images)):
            answer = client.post(f"{server}/api/runs/{run_id}/predict", content=png_bytes(images[i, 0].numpy())).json()
            best = answer["top"][0]
            assert best["class"] == spec.classes[int(expected[i].argmax())]
            assert best["probability"] == pytest.approx(float(expected[i].max()), abs=1e-5)
            assert len(answer["top"]) == 5 and sum(t["probability"] for t in answer["top"]) <= 1 + 1e-5
            correct += best["class"] == mnist_test.classes[int(mnist_test.labels[i])]
    assert correct >= 90
    assert answer["layers"] == [
        {"name": "features.0", "kind": "Conv2d", "shape": [6, 28, 28]},
        {"name": "features.2", "kind": "MaxPool2d", "shape": [6, 14, 14]},
        {"name": "features.3", "kind": "Conv2d", "shape": [16, 10, 10]},
        {"name": "features.5", "kind": "MaxPool2d", "shape": [16, 5, 5]},
    ]


def test_json_pixels_give_the_same_answer_as_png(server, run_id, mnist_test):
    digit = mnist_test.images[3, 0].numpy()
    url = f"{server}/api/runs/{run_id}/predict"
    from_png = httpx.post(url, content=png_bytes(digit)).json()
    from_ints = httpx.post(url, content=json.dumps(digit.tolist())).json()
    from_floats = httpx.post(url, json={"pixels": (digit / 255.0).tolist()}).json()
    assert from_png["top"] == from_ints["top"] == from_floats["top"]


def test_maps_hold_the_model_input_and_the_first_conv_output(server, run_id, mnist_run, mnist_test):
    """What the stepper shows: the input and first-layer filters sent, convolved by torch, give the map sent."""
    digit = mnist_test.images[5, 0].numpy()
    answer = httpx.post(f"{server}/api/runs/{run_id}/predict?maps=1", content=png_bytes(digit)).json()
    x = np.frombuffer(b64decode(answer["input"]["data"]), "<f4").reshape(answer["input"]["shape"])
    pixels = np.frombuffer(b64decode(answer["input"]["pixels"]), np.uint8).reshape(28, 28)
    assert np.array_equal(pixels, digit)
    layer = httpx.get(f"{server}/api/runs/{run_id}/first-layer").json()["layer"]
    assert layer["name"] == "features.0" and layer["padding"] == [2, 2] and layer["stride"] == [1, 1]
    expected = F.conv2d(torch.tensor(x)[None], torch.tensor(layer["weight"]), torch.tensor(layer["bias"]), padding=2)[0]
    first = answer["layers"][0]
    sent = np.frombuffer(b64decode(first["data"]), "<f4").reshape(first["channels"], 28, 28)
    np.testing.assert_allclose(sent, expected.numpy(), atol=1e-4)


def test_centre_moves_a_small_corner_digit_to_mnist_form(server, run_id, mnist_test):
    """A digit drawn small in the corner of a big white page in dark ink is classified once centred."""
    page = np.full((280, 280), 255, np.uint8)
    digit = F.interpolate(mnist_test.images[0:1].float(), size=(70, 70), mode="bilinear")[0, 0]
    page[200:270, 10:80] = 255 - digit.clamp(0, 255).byte().numpy()
    label = mnist_test.classes[int(mnist_test.labels[0])]
    answer = httpx.post(f"{server}/api/runs/{run_id}/predict?centre=1&maps=1", content=png_bytes(page)).json()
    assert answer["top"][0]["class"] == label


def test_body_over_5_mb_is_413(server, run_id):
    url = f"{server}/api/runs/{run_id}/predict"
    assert_one_line_error(httpx.post(url, content=b"\x89PNG" + bytes(5 * 2**20)), 413, "5 MB")

    def chunks():  # no Content-Length: the server must count the bytes as they come
        for _ in range(6):
            yield bytes(2**20)

    assert_one_line_error(httpx.post(url, content=chunks()), 413, "5 MB")


def test_pictures_past_4096_pixels_are_refused_from_their_header(server, run_id):
    url = f"{server}/api/runs/{run_id}/predict"
    # 100000 x 100000 grey pixels would be 10 GB decoded, 5000 x 5000 25 MB: both refused from the header alone
    assert_one_line_error(httpx.post(url, content=png_header_only(100_000, 100_000)), 400, "10000000000 pixels", "4096")
    assert_one_line_error(httpx.post(url, content=png_header_only(5000, 5000)), 400, "5000x5000", "4096")
    # a real, valid 4100 x 10 PNG (small file) is refused too
    assert_one_line_error(httpx.post(url, content=png_bytes(np.zeros((10, 4100), np.uint8))), 400, "4100x10")


@pytest.mark.parametrize(
    "body, words",
    [
        (b"hello, not a picture", ["neither a PNG or JPEG"]),
        (b"", ["empty request body"]),
        (b"\x89PNG\r\n\x1a\ngarbage", ["cannot decode"]),
        (b"[[1, 2], [3]]", ["not a rectangular array"]),
        (b'[["a", "b"]]', ["give numbers"]),
        (b'{"pixels": 3}', ["array of pixel rows"]),
        (b"[[1, 2", ["not valid JSON"]),
    ],
)
def test_bad_bodies_are_400_with_one_line(server, run_id, body, words):
    assert_one_line_error(httpx.post(f"{server}/api/runs/{run_id}/predict", content=body), 400, *words)


def test_unknown_run_is_404(server):
    assert_one_line_error(httpx.post(f"{server}/api/runs/nope/predict", content=b"[[0]]"), 404, "no run 'nope'")


def test_a_server_failure_shows_no_traceback(catalogue, run_id, monkeypatch):
    def broken(self, *args, **kwargs):
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(Predictor, "predict", broken)
    with running_server(create_app(catalogue)) as url:
        response = httpx.post(f"{url}/api/runs/{run_id}/predict", content=b"[[0, 255], [255, 0]]")
    assert_one_line_error(response, 500, "internal server error")
    assert "secret" not in response.text and "RuntimeError" not in response.text


def test_at_most_two_predictions_run_at_once(catalogue, run_id, monkeypatch):
    running, most = [0], [0]
    lock = threading.Lock()
    original = Predictor.predict

    def counted(self, *args, **kwargs):
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        time.sleep(0.3)
        with lock:
            running[0] -= 1
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Predictor, "predict", counted)
    answers = []
    with running_server(create_app(catalogue)) as url:

        def ask():
            answers.append(
                httpx.post(f"{url}/api/runs/{run_id}/predict", content=b"[[0, 255], [255, 0]]", timeout=30).status_code
            )

        threads = [threading.Thread(target=ask) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert answers == [200] * 6
    assert most[0] == MAX_CONCURRENT_PREDICTIONS == 2


def test_kernel_playground_is_cnnlab_conv_correlate(server):
    answer = httpx.post(
        f"{server}/api/filter", json={"sample": "camera", "kernel": "gaussian", "size": 5, "sigma": 1.5}
    ).json()
    image = sample_image("camera")
    expected = correlate(image, kernels.gaussian(5, 1.5), "same")
    output = np.frombuffer(b64decode(answer["output"]["data"]), "<f4").reshape(expected.shape)
    np.testing.assert_allclose(output, expected, atol=1e-6)
    assert answer["kernel"] == kernels.gaussian(5, 1.5).tolist() and answer["kernel_name"] == "gaussian"
    typed = httpx.post(
        f"{server}/api/filter",
        json={"pixels": [[0, 0, 0], [0, 255, 0], [0, 0, 0]], "kernel": [[0, -1, 0], [-1, 4, -1], [0, -1, 0]]},
    ).json()
    out = np.frombuffer(b64decode(typed["output"]["data"]), "<f4").reshape(3, 3)
    np.testing.assert_allclose(out, [[0, -1, 0], [-1, 4, -1], [0, -1, 0]])


@pytest.mark.parametrize(
    "spec, words",
    [
        ({"sample": "camera", "kernel": "nope"}, ["unknown kernel 'nope'"]),
        ({"sample": "nope", "kernel": "box"}, ["unknown sample image 'nope'"]),
        ({"sample": "camera", "kernel": "box", "size": 999}, ["up to 31"]),
        ({"sample": "camera", "kernel": [[1, 2], [3]]}, ["rows of numbers"]),
        ({"sample": "camera"}, ['"kernel"']),
    ],
)
def test_bad_playground_requests_are_400(server, spec, words):
    assert_one_line_error(httpx.post(f"{server}/api/filter", json=spec), 400, *words)


def test_concurrent_predictions_keep_their_own_activations(server, run_id, mnist_test):
    """Two predictions run at once on one model: each answer carries the activations of its own picture."""
    url = f"{server}/api/runs/{run_id}/predict?maps=1"
    bodies = [png_bytes(mnist_test.images[i, 0].numpy()) for i in (0, 1)]
    alone = [httpx.post(url, content=body).json()["layers"] for body in bodies]
    mixed = []

    def ask(k):
        mixed.append((k % 2, httpx.post(url, content=bodies[k % 2], timeout=60).json()["layers"]))

    threads = [threading.Thread(target=ask, args=(k,)) for k in range(24)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(mixed) == 24
    for which, layers in mixed:
        assert [layer["data"] for layer in layers] == [layer["data"] for layer in alone[which]]
