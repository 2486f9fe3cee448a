"""Model names: what a name may be, the default name of a run, and never overwriting a model.

A model's name is its file stem and its registry slug. ``train_mnist`` without ``--name`` names
a run ``mnist-<architecture>-<activation>[-aug]-<floor of test accuracy %>``; when that name is
taken — model files of that name in the output directory, or a registered model — the first
free ``-2``, ``-3``, … is used instead, so a new run never replaces another model.
"""

from __future__ import annotations

import math
from pathlib import Path

from django.db import DatabaseError

from registry.errors import InvalidModelName
from registry.models import RegisteredModel
from registry.names import MAX_MODEL_NAME_LENGTH as MAX_NAME_LENGTH
from registry.names import MODEL_NAME_PATTERN as NAME_PATTERN
from registry.names import check_model_name as check_registry_name
from training.config import ConfigError

FILE_SUFFIXES = (".safetensors", ".json", ".png", "-confusion.png")
"""The files a run writes per model, ``<name><suffix>``."""


class NameTaken(ValueError):  # noqa: N818 - reads as a sentence: "raise NameTaken"
    """An explicit model name that already names a model (files or a registered model)."""


def check_model_name(name: str) -> str:
    """Return ``name`` if it can be a file stem and a registry slug (`registry.names`' rule).

    Raises:
        ConfigError: for anything but letters, digits, ``-`` and ``_`` (1 to 100 characters),
            with the registry's message (the same as `push_model` gives).
    """
    try:
        return check_registry_name(name)
    except InvalidModelName as exc:
        raise ConfigError("--name", f"must be a name the registry can hold: {exc}") from exc


def default_model_name(
    sizes: tuple[int, ...] | list[int],
    activation: str,
    accuracy: float,
    architecture: str | None = None,
    augmented: bool = False,
) -> str:
    """The original Hippo's scheme: ``mnist-<sizes>-<activation>-<floor of test accuracy %>``.

    Other architectures are named by their layers (dots become ``p``, names are slugs), and
    ``-aug`` marks a network trained with augmentation.

    >>> default_model_name((784, 100, 10), "relu", 97.93)
    'mnist-784-100-10-relu-97'
    >>> default_model_name((), "relu", 99.45, "conv3x3x16-pool2-dense100-dropout0.3-dense10", True)
    'mnist-conv3x3x16-pool2-dense100-dropout0p3-dense10-relu-aug-99'
    """
    shape = architecture.replace(".", "p") if architecture else "-".join(str(s) for s in sizes)
    suffix = "-aug" if augmented else ""
    return f"mnist-{shape}-{activation}{suffix}-{math.floor(accuracy)}"


def name_is_taken(name: str, output_dir: Path) -> bool:
    """Whether ``name`` already names model files in ``output_dir`` or a registered model.

    Without a registry database (a bare ``train_mnist`` run) only the files count.
    """
    if any((output_dir / f"{name}{suffix}").exists() for suffix in FILE_SUFFIXES):
        return True
    try:
        return RegisteredModel.objects.filter(name=name).exists()
    except DatabaseError:
        return False


def free_name(name: str, output_dir: Path) -> str:
    """``name`` if it is free, else the first free one of ``name-2``, ``name-3`` and so on."""
    candidate, number = name, 1
    while name_is_taken(candidate, output_dir):
        number += 1
        suffix = f"-{number}"
        candidate = name[: MAX_NAME_LENGTH - len(suffix)] + suffix
    return candidate


def check_name_is_free(name: str, output_dir: Path) -> None:
    """Refuse an explicit name that is taken (the caller may allow overwriting instead).

    Raises:
        NameTaken: naming what holds the name and how to overwrite it.
    """
    if name_is_taken(name, output_dir):
        raise NameTaken(
            f"a model named {name!r} already exists (files in {output_dir} or a registered "
            "model); choose another --name, or give --overwrite to replace its files"
        )


__all__ = [
    "FILE_SUFFIXES",
    "NAME_PATTERN",
    "NameTaken",
    "check_model_name",
    "check_name_is_free",
    "default_model_name",
    "free_name",
    "name_is_taken",
]
