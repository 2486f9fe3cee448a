"""drf-spectacular post-processing hooks of the inference API (wired in SPECTACULAR_SETTINGS).

They state in the schema what the request serializers cannot express, so clients, Swagger UI and
schema-driven fuzzers (schemathesis) know it.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

STRICT_REQUEST_COMPONENTS = ("PredictRequest", "PixelsRequest", "ImageJSONRequest")
"""JSON request bodies whose unknown fields are refused (`StrictRequestSerializer`)."""


def forbid_unknown_fields(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: say `additionalProperties: false` where it holds."""
    schemas = result.get("components", {}).get("schemas", {})
    for name in STRICT_REQUEST_COMPONENTS:
        if name in schemas:
            schemas[name]["additionalProperties"] = False
    return result


def state_request_constraints(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """drf-spectacular post-processing hook: the request constraints serializers cannot express.

    `POST /predict` takes exactly one of `pixels` and `batch` (both or neither is a 400), and a
    batch holds at most HIPPO_PREDICT_BATCH_LIMIT images (a 413 beyond): both are stated in the
    JSON Schema itself, so clients, Swagger UI and schema-driven fuzzers (schemathesis) know them.
    """
    schemas = result.get("components", {}).get("schemas", {})
    predict = schemas.get("PredictRequest")
    if predict is not None:
        predict["oneOf"] = [{"required": ["pixels"]}, {"required": ["batch"]}]
        predict["properties"]["batch"]["maxItems"] = int(settings.HIPPO_PREDICT_BATCH_LIMIT)
    # No field of the body is required on its own, so drf-spectacular leaves the body optional;
    # without one the answer is a 400 like any body lacking both fields.
    operation = result.get("paths", {}).get("/predict", {}).get("post")
    if operation is not None and "requestBody" in operation:
        operation["requestBody"]["required"] = True
    return result
