"""Serializers of `GET /mnist/samples`: the query, and the response (for the schema)."""

from __future__ import annotations

from rest_framework import serializers

from inference.queries import QuerySerializer

DATASETS = ("train", "validation", "test")
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


class SampleSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """One MNIST image with its label."""

    index = serializers.IntegerField(help_text="Position in the dataset.")
    # The API field is called "label"; it shadows Field.label (a display name) only in the stubs.
    label = serializers.IntegerField(min_value=0, max_value=9)  # type: ignore[assignment]
    pixels = serializers.ListField(
        child=serializers.FloatField(min_value=0, max_value=1),
        min_length=784,
        max_length=784,
        help_text="28x28 pixels row by row, 0 = background, 1 = ink.",
    )


class SamplesResponseSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """`GET /mnist/samples`."""

    samples = SampleSerializer(many=True)
    dataset = serializers.ChoiceField(choices=DATASETS)
    count = serializers.IntegerField()
