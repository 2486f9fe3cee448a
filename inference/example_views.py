"""`GET /models/{name}/examples`: MNIST images chosen by what a model predicted for them.

Kept apart from `inference.views` (the prediction endpoints) on purpose: this endpoint serves the
demo page's confusion-matrix cells and "mistakes only" gallery, and reads MNIST as well as models.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from api.queries import QuerySerializer
from api.schema import EXAMPLE_PIXELS, error_responses, example
from api.serializers import SampleSerializer
from api.views import ApiView
from inference.examples import find_examples
from inference.openapi import MODEL_PATH_PARAMETER
from inference.openapi_examples import EXAMPLE_MODEL
from nn_core.constants import NUM_CLASSES
from nn_core.mnist import SPLIT_NAMES as DATASETS

MAX_COUNT = 100
"""Images per answer, at most (a page of the demo's gallery is 12)."""

MAX_OFFSET = 50_000
"""The size of the largest split (train): no offset beyond it can match anything."""


class ExamplesQuerySerializer(QuerySerializer):
    """Query of `GET /models/{name}/examples`."""

    true = serializers.IntegerField(
        min_value=0,
        max_value=NUM_CLASSES - 1,
        required=False,
        help_text="Only images with this label.",
    )
    predicted = serializers.IntegerField(
        min_value=0,
        max_value=NUM_CLASSES - 1,
        required=False,
        help_text="Only images the model predicted as this digit.",
    )
    mistakes = serializers.BooleanField(default=False, help_text="Only images the model got wrong.")
    count = serializers.IntegerField(
        min_value=1, max_value=MAX_COUNT, default=12, help_text="At most this many (1..100)."
    )
    offset = serializers.IntegerField(
        min_value=0,
        max_value=MAX_OFFSET,
        default=0,
        help_text="Skip this many matches (in index order); at most 50,000, the largest split.",
    )
    dataset = serializers.ChoiceField(
        choices=DATASETS, default="test", help_text="train, validation or test."
    )


class ExampleSerializer(SampleSerializer):
    """One MNIST image with its label and the model's answer."""

    predicted = serializers.IntegerField(min_value=0, max_value=NUM_CLASSES - 1)
    confidence = serializers.FloatField(help_text="Probability of the predicted digit (0..1).")


class ExamplesResponseSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """`GET /models/{name}/examples`."""

    model = serializers.CharField()
    dataset = serializers.ChoiceField(choices=DATASETS)
    true = serializers.IntegerField(allow_null=True)
    predicted = serializers.IntegerField(allow_null=True)
    mistakes = serializers.BooleanField()
    total = serializers.IntegerField(help_text="How many images match (before count/offset).")
    offset = serializers.IntegerField()
    count = serializers.IntegerField(help_text="How many are returned.")
    examples = ExampleSerializer(many=True)


class ExamplesView(ApiView):
    """`GET /models/{name}/examples?true=3&predicted=5&count=12&dataset=test`."""

    @extend_schema(
        operation_id="models_examples",
        summary="MNIST images by label and by the model's prediction (a confusion-matrix cell)",
        description=(
            "The model's predictions over the whole split are computed on the first call (per "
            "process, model revision and split) and reused. Without filters every image matches."
        ),
        parameters=[
            MODEL_PATH_PARAMETER,
            ExamplesQuerySerializer,
        ],
        responses={
            200: ExamplesResponseSerializer,
            **error_responses(
                "invalid_input", "mnist_unavailable", "model_not_found", "model_unavailable"
            ),
        },
        examples=[
            example(
                "Threes taken for fives",
                {
                    "model": EXAMPLE_MODEL,
                    "dataset": "test",
                    "true": 3,
                    "predicted": 5,
                    "mistakes": False,
                    "total": 9,
                    "offset": 0,
                    "count": 1,
                    "examples": [
                        {
                            "index": 2953,
                            "label": 3,
                            "predicted": 5,
                            "confidence": 0.71,
                            "pixels": EXAMPLE_PIXELS,
                        }
                    ],
                },
            )
        ],
    )
    def get(self, request: Request, name: str) -> Response:
        """Filter the split by label and prediction."""
        query = ExamplesQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params: dict[str, Any] = query.validated_data
        return Response(
            find_examples(
                name,
                dataset=params["dataset"],
                true=params.get("true"),
                predicted=params.get("predicted"),
                mistakes=params["mistakes"],
                count=params["count"],
                offset=params["offset"],
            )
        )
