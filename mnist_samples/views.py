"""`GET /mnist/samples`: labelled MNIST images for frontends to try the models on."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from drf_spectacular.utils import extend_schema
from rest_framework.parsers import BaseParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from inference.parsers import JSONParser
from inference.schema import EXAMPLE_PIXELS, error_responses, example
from mnist_samples import services
from mnist_samples.serializers import SamplesQuerySerializer, SamplesResponseSerializer

PIXEL_DECIMALS = 6
"""float32 holds about 7 significant digits; 6 decimals keep the JSON short and lose nothing."""


def samples_payload(dataset: str, count: int, seed: int | None) -> dict[str, Any]:
    """Draw `count` samples of `dataset` and shape them as the API's JSON."""
    drawn = services.sample(dataset, count, seed)
    return {
        "samples": [
            {
                "index": int(item.index),
                "label": int(item.label),
                "pixels": np.round(
                    np.asarray(item.pixels, dtype=np.float64), PIXEL_DECIMALS
                ).tolist(),
            }
            for item in drawn
        ],
        "dataset": dataset,
        "count": len(drawn),
    }


class SamplesView(APIView):
    """`GET /mnist/samples?count=10&dataset=test[&seed=int]`."""

    parser_classes: Sequence[type[BaseParser]] = [JSONParser]

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
