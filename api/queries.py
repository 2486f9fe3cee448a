"""Query-string serializers that treat an empty value as an error, as the schema says.

DRF reads `?dataset=` (an empty value) of an optional field as if the parameter were absent, so
the default would answer, while the OpenAPI schema (an enum, an integer) says an empty string is
not a valid value. Query serializers of the API derive from `QuerySerializer`, which refuses empty
values with a 400 naming the parameter: omit a parameter to get its default.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

EMPTY_MESSAGE = "must not be empty; leave the parameter out for its default"


class QuerySerializer(serializers.Serializer):  # type: ignore[type-arg]
    """A serializer of query parameters that refuses empty values of its declared fields."""

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        """Refuse `?name=` for every declared field `name`.

        Raises:
            ValidationError: One message per empty parameter.
        """
        data = self.initial_data
        empty = {
            name: [EMPTY_MESSAGE]
            for name in self.fields.keys()  # noqa: SIM118 - the stubs iterate fields, not names
            if hasattr(data, "getlist") and "" in data.getlist(name)
        }
        if empty:
            raise serializers.ValidationError(empty)
        return attrs
