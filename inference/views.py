"""Views of the inference API: thin HTTP adapters over `inference.services`.

Every request goes through Django's middleware and these DRF views (`api.views.ApiView`):
parsers, content negotiation, permissions and throttles apply to all of them. Views parse JSON
with `api.parsers.JSONParser` (orjson, size-limited, strict numbers; `POST /predict` and
`POST /activations` also take binary pixel batches, `inference.parsers`), render with
`api.renderers.JSONRenderer` (orjson) and report errors through `api.errors.api_exception_handler`.
Their OpenAPI documentation (examples, every error response) is `inference.openapi`.
"""

from __future__ import annotations

from collections.abc import Sequence

from rest_framework import parsers
from rest_framework.parsers import BaseParser
from rest_framework.request import Request
from rest_framework.response import Response

from api.clients import client_address
from api.errors import invalid_input, payload_too_large
from api.parsers import JSONParser
from api.views import ApiView
from inference import openapi, services
from inference.binary import PixelBatch
from inference.images import (
    decode_data_url,
    max_image_bytes,
    multipart_model,
    refuse_busy_client,
)
from inference.parsers import NpyParser, OctetStreamParser
from inference.request_bodies import pixels_input, predict_input
from inference.request_serializers import (
    BinaryQuerySerializer,
    ImageJSONRequestSerializer,
    WeightsQuerySerializer,
)

BINARY_PARSERS: Sequence[type[BaseParser]] = [OctetStreamParser, NpyParser]


def _binary_model(request: Request) -> str | None:
    """The `model` query parameter of a binary request, checked like the JSON body's field."""
    query = BinaryQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    model: str | None = query.validated_data.get("model")
    return model


def _client_address(request: Request) -> str:
    """The client's address, by the one rule every per-client limit uses (`api.clients`)."""
    return client_address(request.META)


class PredictView(ApiView):
    """`POST /predict`: one image (`pixels`) or many (`batch`), as JSON or as a binary batch."""

    parser_classes: Sequence[type[BaseParser]] = [JSONParser, *BINARY_PARSERS]

    @openapi.predict
    def post(self, request: Request) -> Response:
        """Predict; `batch` and binary bodies answer `{"predictions": [...], "model"}`."""
        if isinstance(request.data, PixelBatch):
            return Response(services.predict_batch(request.data.pixels, _binary_model(request)))
        checked = predict_input(request.data)
        if checked.batch:
            return Response(services.predict_batch(checked.pixels, checked.model))
        return Response(services.predict(checked.pixels, checked.model))


class PredictImageView(ApiView):
    """`POST /predict/image`: a PNG/JPEG of any size and polarity, as a file or a data: URL."""

    parser_classes: Sequence[type[BaseParser]] = [JSONParser, parsers.MultiPartParser]

    @openapi.predict_image
    def post(self, request: Request) -> Response:
        """Decode, normalise and predict."""
        client = _client_address(request)
        refuse_busy_client(client)  # before the body is read: a flood's excess costs little
        declared = request.META.get("CONTENT_LENGTH") or ""
        # A data: URL is 4/3 of the image, plus some room for the JSON or multipart framing.
        if declared.isdigit() and int(declared) > max_image_bytes() * 4 // 3 + 64 * 1024:
            raise payload_too_large(f"The image is larger than {max_image_bytes()} bytes.", "image")
        if request.content_type.startswith("multipart/"):
            upload = request.FILES.get("image")
            if upload is None:
                raise invalid_input({"image": ["this field is required (a PNG or JPEG file)"]})
            if upload.size is not None and upload.size > max_image_bytes():
                raise payload_too_large(
                    f"The image is larger than {max_image_bytes()} bytes.", "image"
                )
            data = upload.read(max_image_bytes() + 1)
            model = multipart_model(request.data)
        else:
            serializer = ImageJSONRequestSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            data = decode_data_url(serializer.validated_data["image"])
            model = serializer.validated_data.get("model")
        return Response(services.predict_image(data, model, client))


class ActivationsView(ApiView):
    """`POST /activations`: every layer's values for one image (JSON, or a binary image)."""

    parser_classes: Sequence[type[BaseParser]] = [JSONParser, *BINARY_PARSERS]

    @openapi.activations
    def post(self, request: Request) -> Response:
        """Run the network layer by layer."""
        if isinstance(request.data, PixelBatch):
            batch = request.data.pixels
            if len(batch) != 1:
                raise invalid_input({"body": [f"expected one image, got {len(batch)}"]})
            return Response(services.activations(batch[0], _binary_model(request)))
        pixels, model = pixels_input(request.data)
        return Response(services.activations(pixels, model))


class ModelListView(ApiView):
    """`GET /models`."""

    @openapi.models_list
    def get(self, request: Request) -> Response:
        """List the enabled models."""
        return Response(services.list_models())


class ModelDetailView(ApiView):
    """`GET /models/{name}`."""

    @openapi.models_retrieve
    def get(self, request: Request, name: str) -> Response:
        """Describe one model."""
        return Response(services.model_detail(name))


class WeightsView(ApiView):
    """`GET /models/{name}/weights?layer=l[&neuron=k]`."""

    @openapi.models_weights
    def get(self, request: Request, name: str) -> Response:
        """Return the weights asked for."""
        query = WeightsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return Response(
            services.layer_weights(
                name, query.validated_data["layer"], query.validated_data.get("neuron")
            )
        )


class HealthView(ApiView):
    """`GET /healthz`: the process answers."""

    uses_throttles = False  # probes must never be throttled

    @openapi.healthz
    def get(self, request: Request) -> Response:
        """Say that the process is alive."""
        return Response({"status": "ok"})


class ReadyView(ApiView):
    """`GET /readyz`: the database answers and the default model loads."""

    uses_throttles = False

    @openapi.readyz
    def get(self, request: Request) -> Response:
        """Run the readiness checks."""
        report = services.readiness()
        return Response(report, status=200 if report["status"] == "ready" else 503)
