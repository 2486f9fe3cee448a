"""Serializers of `GET /mnist/samples`: the query, and the response (for the schema)."""

from __future__ import annotations

from rest_framework import serializers

from api.queries import QuerySerializer
from api.serializers import SampleSerializer
from nn_core.mnist import SPLIT_NAMES

DATASETS = SPLIT_NAMES
MAX_COUNT = 100


class SamplesQuerySerializer(QuerySerializer):
    """Query of `GET /mnist/samples` (an empty value, `?dataset=`, is a 400)."""

    count = serializers.IntegerField(
        min_value=1, max_value=MAX_COUNT, default=10, help_text="How many samples (1..100)."
    )
    dataset = serializers.ChoiceField(
        choices=DATASETS,
        default="test",
        help_text="train (first 50,000 training images), validation (last 10,000) or test.",
    )
    seed = serializers.IntegerField(
        min_value=0,
        max_value=2**63 - 1,
        required=False,
        help_text="Same seed, same samples. Without it, a random choice on every call.",
    )


class SamplesResponseSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """`GET /mnist/samples`."""

    samples = SampleSerializer(many=True)
    dataset = serializers.ChoiceField(choices=DATASETS)
    count = serializers.IntegerField()


__all__ = [
    "DATASETS",
    "MAX_COUNT",
    "SampleSerializer",
    "SamplesQuerySerializer",
    "SamplesResponseSerializer",
]
