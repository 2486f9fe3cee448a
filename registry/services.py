"""The registry as other apps use it: one import for everything they need (a facade).

Only other packages (inference, training, the site, tests, benchmarks) import this module; no
module inside `registry` does, so the registry's own files form no import cycle through it. What
the names do lives where they are defined:

- `registry.push`: `push_model` validates a local model, sends it with the regenerated model card
  in one commit, then records what the store holds;
- `registry.sync`: `sync_models` mirrors the store's metadata into the database in one
  transaction;
- `registry.selectors`: which models are servable, the most accurate, the default rule, and
  `resolve_model` / `get_default_model` for the inference API;
- `registry.loading`: `load_network` reads a row's files at its recorded revision and checks them
  (`registry.integrity.check_files`: SHA-256, validation, probe), marking a failing model broken;
- `registry.defaults`: `make_default`, the only way a model becomes the default;
- `registry.downloads`: background downloads of Hub models (requests never wait on the Hub);
- `registry.names`: the rule for model names;
- `registry.stores`: the stores, built in one place.
"""

from __future__ import annotations

from registry.defaults import make_default
from registry.downloads import hub_state
from registry.errors import (
    CommitConflict,
    InvalidModel,
    InvalidModelName,
    ModelBroken,
    ModelNotFound,
    ModelPending,
    ModelUnavailable,
    NoDefaultModel,
    RegistryError,
    StoreError,
    StoreUnreachable,
    TokenMissing,
    TokenRejected,
)
from registry.integrity import non_finite_reason
from registry.layout import MIRRORED_FIELDS
from registry.loading import load_network, model_image_bytes
from registry.models import RegisteredModel, Status, Store
from registry.names import MAX_MODEL_NAME_LENGTH, MODEL_NAME_PATTERN, check_model_name
from registry.push import push_model
from registry.selectors import (
    check_servable,
    default_candidate,
    get_default_model,
    list_enabled_models,
    most_accurate,
    resolve_model,
    servable,
)
from registry.stores import HubStore, LocalStore, ModelStore, get_store, store_for
from registry.sync import SyncReport, sync_models

__all__ = [
    "MAX_MODEL_NAME_LENGTH",
    "MIRRORED_FIELDS",
    "MODEL_NAME_PATTERN",
    "CommitConflict",
    "HubStore",
    "InvalidModel",
    "InvalidModelName",
    "LocalStore",
    "ModelBroken",
    "ModelNotFound",
    "ModelPending",
    "ModelStore",
    "ModelUnavailable",
    "NoDefaultModel",
    "RegisteredModel",
    "RegistryError",
    "Status",
    "Store",
    "StoreError",
    "StoreUnreachable",
    "SyncReport",
    "TokenMissing",
    "TokenRejected",
    "check_model_name",
    "check_servable",
    "default_candidate",
    "get_default_model",
    "get_store",
    "hub_state",
    "list_enabled_models",
    "load_network",
    "make_default",
    "model_image_bytes",
    "most_accurate",
    "non_finite_reason",
    "push_model",
    "resolve_model",
    "servable",
    "store_for",
    "sync_models",
]
