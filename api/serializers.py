"""Serializers shared by every API app: the error envelope, and a labelled MNIST image.

They describe JSON for the OpenAPI schema (drf-spectacular names each component after its class:
`ErrorResponse`, `Sample`), so the apps that answer with these shapes document them alike.
"""

from __future__ import annotations

from rest_framework import serializers

from nn_core.constants import INPUT_SIZE, NUM_CLASSES


class ErrorDetailSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """The inside of every error response."""

    code = serializers.CharField(help_text="Stable machine-readable code, e.g. invalid_input.")
    message = serializers.CharField()
    # DRF pops declared fields off the class, so this does not shadow `Serializer.fields`.
    fields = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Messages per request field; empty when the error is not about a field.",
    )


class ErrorResponseSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """Every error: `{"error": {"code", "message", "fields"}}`."""

    error = ErrorDetailSerializer()


class SampleSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """One MNIST image with its label."""

    index = serializers.IntegerField(help_text="Position in the dataset.")
    # The API field is called "label"; it shadows Field.label (a display name) only in the stubs.
    label = serializers.IntegerField(min_value=0, max_value=NUM_CLASSES - 1)  # type: ignore[assignment]
    pixels = serializers.ListField(
        child=serializers.FloatField(min_value=0, max_value=1),
        min_length=INPUT_SIZE,
        max_length=INPUT_SIZE,
        help_text="28x28 pixels row by row, 0 = background, 1 = ink.",
    )
