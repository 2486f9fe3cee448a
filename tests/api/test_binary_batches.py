"""Binary pixel batches: `application/octet-stream` and `application/x-npy` on `POST /predict`
and `POST /activations`, through the Django test client and the real DRF views.

Good arrays give the same predictions as the same pixels sent as JSON; every malformed body is a
4xx in the envelope naming the body; a pickled `.npy` is refused without being unpickled.
"""

from __future__ import annotations

import io
import pathlib
from typing import Any

import numpy as np
import pytest
import requests
from django.test import Client
from pytest_django.fixtures import Settings
from pytest_django.live_server_helper import LiveServer

from registry.models import RegisteredModel
from tests.api.helpers import assert_error, post_json

pytestmark = pytest.mark.django_db

OCTETS = "application/octet-stream"
NPY = "application/x-npy"


def npy(array: np.ndarray, *, allow_pickle: bool = False) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=allow_pickle)
    return buffer.getvalue()


def images(count: int = 3) -> np.ndarray:
    """`count` random uint8 images, (count, 784)."""
    return np.random.default_rng(7).integers(0, 256, size=(count, 784), dtype=np.uint8)


def post(client: Client, path: str, body: bytes, content_type: str, **extra: Any) -> Any:
    return client.post(path, data=body, content_type=content_type, **extra)


def json_digits(client: Client, pixels: np.ndarray) -> list[list[float]]:
    answer = post_json(client, "/predict", {"batch": pixels.astype(np.float64).tolist()})
    assert answer.status_code == 200
    return [p["probabilities"] for p in answer.json()["predictions"]]


@pytest.mark.parametrize(
    ("label", "body", "content_type"),
    [
        ("octets", images().tobytes(), OCTETS),
        ("npy uint8 (n, 784)", npy(images()), NPY),
        ("npy uint8 (n, 28, 28)", npy(images().reshape(3, 28, 28)), NPY),
        ("npy float32 (n, 784)", npy(images().astype(np.float32) / 255), NPY),
        (
            "npy float32 (n, 28, 28)",
            npy((images().astype(np.float32) / 255).reshape(3, 28, 28)),
            NPY,
        ),
        ("npy float32 big-endian", npy((images().astype(np.float32) / 255).astype(">f4")), NPY),
        ("npy Fortran order", npy(np.asfortranarray(images())), NPY),
    ],
)
def test_good_arrays_predict_like_json(
    client: Client, registered_model: RegisteredModel, label: str, body: bytes, content_type: str
) -> None:
    answer = post(client, "/predict", body, content_type)
    assert answer.status_code == 200, answer.content[:300]
    assert answer["Content-Type"] == "application/json"
    result = answer.json()
    assert result["model"] == registered_model.name
    expected = json_digits(client, images().astype(np.float32) / np.float32(255))
    np.testing.assert_allclose(
        [p["probabilities"] for p in result["predictions"]], expected, rtol=1e-5
    )


def test_the_model_is_named_in_the_query(
    client: Client, two_registered_models: tuple[RegisteredModel, RegisteredModel]
) -> None:
    _, second = two_registered_models
    answer = post(client, f"/predict?model={second.name}", images().tobytes(), OCTETS)
    assert answer.json()["model"] == second.name
    missing = post(client, "/predict?model=nope", images().tobytes(), OCTETS)
    assert_error(missing, 404, "model_not_found")


def test_activations_take_one_binary_image(
    client: Client, registered_model: RegisteredModel
) -> None:
    one = images(1)
    binary = post(client, "/activations", one.tobytes(), OCTETS)
    assert binary.status_code == 200
    as_json = post_json(client, "/activations", {"pixels": (one[0] / 255).tolist()})
    np.testing.assert_allclose(binary.json()["layers"][-1], as_json.json()["layers"][-1], rtol=1e-5)
    as_npy = post(client, "/activations", npy(one.reshape(1, 28, 28)), NPY)
    assert as_npy.status_code == 200
    two = assert_error(post(client, "/activations", images(2).tobytes(), OCTETS), 400)
    assert two["fields"] == {"body": ["expected one image, got 2"]}


class Pickled:
    """Unpickling this would create the file `path`."""

    def __init__(self, path: pathlib.Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[Any, ...]:
        return (pathlib.Path.touch, (self.path,))


@pytest.mark.parametrize("path", ["/predict", "/activations"])
def test_a_pickled_npy_is_refused_unread(
    client: Client, registered_model: RegisteredModel, tmp_path: pathlib.Path, path: str
) -> None:
    marker = tmp_path / "unpickled"
    array = np.empty((1, 784), dtype=object)
    array[0, 0] = Pickled(marker)
    body = npy(array, allow_pickle=True)
    error = assert_error(post(client, path, body, NPY), 400, "invalid_input")
    assert "dtype must be uint8 or float32" in error["fields"]["body"][0]
    assert not marker.exists()


BAD_BODIES: list[tuple[str, bytes, str, str]] = [
    ("octets not a multiple of 784", images().tobytes()[:-1], OCTETS, "expected n x 784 bytes"),
    ("npy float64", npy(images().astype(np.float64) / 255), NPY, "dtype must be uint8 or float32"),
    ("npy int16", npy(images().astype(np.int16)), NPY, "dtype must be uint8 or float32"),
    ("npy bool", npy(images() > 100), NPY, "dtype must be uint8 or float32"),
    ("npy (n, 783)", npy(images()[:, :783]), NPY, "shape must be"),
    ("npy (784,)", npy(images()[0]), NPY, "shape must be"),
    ("npy (n, 28, 27)", npy(images()[:, :756].reshape(3, 28, 27)), NPY, "shape must be"),
    ("npy (n, 1, 784)", npy(images().reshape(3, 1, 784)), NPY, "shape must be"),
    ("npy (0, 784)", npy(images()[:0]), NPY, "at least one image"),
    ("npy truncated", npy(images())[:-10], NPY, "truncated"),
    ("npy trailing bytes", npy(images()) + b"\0", NPY, "trailing bytes"),
    ("npy header cut", npy(images())[:20], NPY, "not a valid .npy file"),
    ("not npy", b"P5 28 28 255\n" + bytes(784), NPY, "not a valid .npy file"),
    ("npz archive", b"PK\x03\x04" + bytes(100), NPY, "not a valid .npy file"),
    ("npy float32 above 1", npy(images().astype(np.float32)), NPY, "must be in 0..1"),
    ("npy float32 NaN", npy(np.full((1, 784), np.nan, dtype=np.float32)), NPY, "must be in 0..1"),
]


@pytest.mark.parametrize("path", ["/predict", "/activations"])
@pytest.mark.parametrize(
    ("label", "body", "content_type", "message"), BAD_BODIES, ids=[c[0] for c in BAD_BODIES]
)
def test_bad_bodies_are_400_naming_the_body(
    client: Client,
    registered_model: RegisteredModel,
    path: str,
    label: str,
    body: bytes,
    content_type: str,
    message: str,
) -> None:
    error = assert_error(post(client, path, body, content_type), 400, "invalid_input")
    assert set(error["fields"]) == {"body"}, error
    assert message in error["fields"]["body"][0], error


def test_a_huge_declared_shape_is_refused_before_reading(
    client: Client, registered_model: RegisteredModel
) -> None:
    header = npy(images(1)).replace(b"(1, 784)", b"(10000000000, 784)")
    error = assert_error(post(client, "/predict", header, NPY), 413, "payload_too_large")
    assert "body" in error["fields"]


@pytest.mark.parametrize("content_type", [OCTETS, NPY])
@pytest.mark.parametrize(
    ("setting", "value", "fields"),
    [
        ("HIPPO_PREDICT_BATCH_LIMIT", 2, {"body": ["The batch holds 3 images; the limit is 2."]}),
        ("DATA_UPLOAD_MAX_MEMORY_SIZE", 2_000, {}),
    ],
)
def test_over_a_limit_is_413(
    client: Client,
    registered_model: RegisteredModel,
    settings: Settings,
    content_type: str,
    setting: str,
    value: int,
    fields: dict[str, list[str]],
) -> None:
    setattr(settings, setting, value)
    body = images(3).tobytes() if content_type == OCTETS else npy(images(3))
    error = assert_error(post(client, "/predict", body, content_type), 413, "payload_too_large")
    assert error["fields"] == fields


def test_other_endpoints_take_no_binary(client: Client, registered_model: RegisteredModel) -> None:
    assert_error(post(client, "/predict/image", images(1).tobytes(), OCTETS), 415)


@pytest.mark.parametrize("path", ["/predict", "/activations"])
@pytest.mark.parametrize("content_type", [OCTETS, NPY])
def test_an_empty_binary_body_is_named_as_empty(
    client: Client, registered_model: RegisteredModel, path: str, content_type: str
) -> None:
    # DRF hands the view `{}` for an empty body; it must not read as a JSON body without pixels.
    # (The test client leaves out the Content-Type of an empty body; HTTP clients send it.)
    response = post(client, path, b"", content_type, CONTENT_TYPE=content_type, CONTENT_LENGTH="0")
    error = assert_error(response, 400, "invalid_input")
    assert list(error["fields"]) == ["body"], error
    (message,) = error["fields"]["body"]
    media_type = content_type.split(";")[0]
    assert message.startswith(f"the {media_type} body is empty; expected "), message
    assert "pixels" not in error["fields"]
    assert "body: the" in error["message"]


@pytest.mark.django_db(transaction=True)
def test_an_empty_binary_body_over_http(
    live_server: LiveServer, registered_model: RegisteredModel
) -> None:
    response = requests.post(
        f"{live_server.url}/predict", data=b"", headers={"Content-Type": OCTETS}, timeout=10
    )
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["body"]
    assert "body is empty" in response.json()["error"]["message"]
