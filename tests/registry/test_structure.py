"""The registry's files import each other without cycles, and only other apps use the facade.

Until the project-wide import-linter contract exists, this keeps the registry's own layering
from regressing (grimp is the graph library import-linter is built on).
"""

from __future__ import annotations

import itertools

import grimp
import pytest

from registry import services


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("registry", include_external_packages=False)


def test_no_two_registry_modules_import_each_other(graph: grimp.ImportGraph) -> None:
    modules = sorted(graph.modules)
    cycles = [
        (a, b)
        for a, b in itertools.combinations(modules, 2)
        if graph.chain_exists(a, b) and graph.chain_exists(b, a)
    ]
    assert cycles == []


def test_no_registry_module_imports_the_facade(graph: grimp.ImportGraph) -> None:
    assert graph.find_modules_that_directly_import("registry.services") == set()


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
