"""The registry's facade exports the very objects its defining modules hold.

That no registry module imports the facade, and that the registry's files import each other
without cycles, is the import-linter contract's job (pyproject.toml, `make lint`).
"""

from __future__ import annotations

from registry import services


def test_the_facade_exports_the_defining_objects() -> None:
    from registry import downloads, errors, integrity, models

    for name in services.__all__:
        assert hasattr(services, name), name
    # What other apps import today from the defining modules is the same object here.
    assert services.hub_state is downloads.hub_state
    assert services.non_finite_reason is integrity.non_finite_reason
    assert services.RegisteredModel is models.RegisteredModel
    assert services.Status is models.Status
    for name in ("ModelBroken", "ModelNotFound", "ModelPending", "ModelUnavailable"):
        assert getattr(services, name) is getattr(errors, name)
