"""`GET /mnist/samples`: labelled MNIST images for frontends to try the models on."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from api.schema import EXAMPLE_PIXELS, error_responses, example
from api.values import pixels_json
from api.views import ApiView
from mnist_samples import services
from mnist_samples.serializers import SamplesQuerySerializer, SamplesResponseSerializer


def samples_payload(dataset: str, count: int, seed: int | None) -> dict[str, Any]:
    """Draw `count` samples of `dataset` and shape them as the API's JSON."""
    drawn = services.sample(dataset, count, seed)
    return {
        "samples": [
            {
                "index": int(item.index),
                "label": int(item.label),
                "pixels": pixels_json(item.pixels),
            }
            for item in drawn
        ],
        "dataset": dataset,
        "count": len(drawn),
    }


class SamplesView(ApiView):
    """`GET /mnist/samples?count=10&dataset=test[&seed=int]`."""

    @extend_schema(
        operation_id="mnist_samples",
        summary="Labelled MNIST images",
        parameters=[SamplesQuerySerializer],
        responses={
            200: SamplesResponseSerializer,
            **error_responses("invalid_input", "mnist_unavailable"),
        },
        examples=[
            example(
                "Two test samples",
                {
                    "samples": [
                        {"index": 2, "label": 1, "pixels": EXAMPLE_PIXELS},
                        {"index": 5, "label": 1, "pixels": EXAMPLE_PIXELS},
                    ],
                    "dataset": "test",
                    "count": 2,
                },
            )
        ],
    )
    def get(self, request: Request) -> Response:
        """Return random (or seeded) samples; 503 `mnist_unavailable` without the MNIST files."""
        query = SamplesQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        return Response(samples_payload(params["dataset"], params["count"], params.get("seed")))
