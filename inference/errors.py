"""The inference API's own errors: the model registry's exceptions, and a model's invalid output.

The envelope, `ApiError` and DRF's exceptions live in `api.errors`; `registry_error` is registered
there as a translator (`inference.apps`), so a view that lets a registry exception through answers
with the API's code for it.
"""

from __future__ import annotations

from api.errors import ApiError
from registry.errors import (
    ModelBroken,
    ModelNotFound,
    ModelPending,
    ModelUnavailable,
    NoDefaultModel,
)


def model_output_invalid(model: str, detail: str) -> ApiError:
    """Return a 409 `model_output_invalid` error: the model computed NaN or infinity."""
    message = (
        f"model '{model}' produced an invalid output for this input ({detail}); "
        "its weights may be damaged"
    )
    return ApiError(409, "model_output_invalid", message, {"model": [message]})


def registry_error(exc: Exception) -> ApiError | None:
    """Map an error of the model registry to the API's code for it (None for other errors)."""
    if isinstance(exc, ModelNotFound):
        return ApiError(404, "model_not_found", exc.message, {"model": [exc.message]})
    if isinstance(exc, NoDefaultModel):
        return ApiError(404, "no_default_model", exc.message)
    if isinstance(exc, ModelPending):
        code = "model_downloading" if exc.downloading else "hub_unreachable"
        return ApiError(
            503, code, exc.message, {"model": [exc.message]}, retry_after=exc.retry_after
        )
    if isinstance(exc, ModelUnavailable | ModelBroken):
        return ApiError(409, "model_unavailable", exc.message, {"model": [exc.message]})
    return None
