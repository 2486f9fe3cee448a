"""The registry: one row per model of the store, mirrored from its metadata."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from nn_core.layers import describe_architecture
from registry.names import MAX_MODEL_NAME_LENGTH

HUB_DEFAULT_ENDPOINT = "https://huggingface.co"

DISPLAY_NAME_LENGTH = 200
"""The most characters of a display name (the name as the user wrote it, before slugifying)."""


class Store(models.TextChoices):
    """Where a model's files live."""

    HUB = "hub", "Hugging Face Hub"
    LOCAL = "local", "Local directory"


class Status(models.TextChoices):
    """Whether a model can be served."""

    AVAILABLE = "available", "Available"
    UNAVAILABLE = "unavailable", "Unavailable"
    BROKEN = "broken", "Broken"


class RegisteredModel(models.Model):
    """A model of the store, as last seen by `push_model` or `sync_models`.

    The store's fields (files, checksum, architecture, metrics, training) are a mirror and are
    read-only in the admin; `display_name`, `description`, `enabled` and `is_default` are local.
    A database constraint allows at most one row with `is_default`.
    """

    name = models.SlugField(max_length=MAX_MODEL_NAME_LENGTH, unique=True)
    display_name = models.CharField(max_length=DISPLAY_NAME_LENGTH, blank=True)
    description = models.TextField(blank=True)

    store = models.CharField(max_length=8, choices=Store.choices)
    repo = models.CharField(max_length=500, help_text="Hub repo id, or the local store's folder.")
    revision = models.CharField(
        max_length=64, help_text="Commit of the store the files are read at."
    )
    filename = models.CharField(max_length=255)
    metadata_filename = models.CharField(max_length=255)
    image_filename = models.CharField(max_length=255, blank=True)
    sha256 = models.CharField("SHA-256", max_length=64, blank=True)
    size_bytes = models.PositiveBigIntegerField("size (bytes)", null=True, blank=True)
    metadata_sha256 = models.CharField(
        "metadata SHA-256",
        max_length=64,
        blank=True,
        help_text="SHA-256 of the metadata file as pushed (empty: pushed before it was recorded, "
        "not verified).",
    )

    sizes = models.JSONField(default=list)
    layers = models.JSONField(
        default=list, blank=True, help_text="The architecture as layer specs (format version 2)."
    )
    input_shape = models.JSONField(default=list, blank=True)
    activation = models.CharField(max_length=32)
    output = models.CharField(max_length=32)
    cost = models.CharField(max_length=32)
    test_accuracy = models.FloatField(null=True, blank=True, help_text="Percent.")
    metrics = models.JSONField(default=dict, blank=True)
    training = models.JSONField(default=dict, blank=True)

    created_at = models.DateTimeField(
        null=True, blank=True, help_text="When the model was trained."
    )
    synced_at = models.DateTimeField(null=True, blank=True)

    enabled = models.BooleanField(default=True)
    is_default = models.BooleanField("default", default=False)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.AVAILABLE)
    status_reason = models.TextField(blank=True)

    class Meta:
        """One default at most, enforced by the database."""

        ordering = ["name"]
        verbose_name = "model"
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=Q(is_default=True),
                name="registry_one_default_model",
                violation_error_message="Only one model can be the default.",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def architecture(self) -> str:
        """E.g. 784-100-10 for an MLP, 1x28x28-conv3x3x16-pool2-...-dense10 for other networks."""
        return describe_architecture(self.sizes, self.activation, self.layers, self.input_shape)

    @property
    def hub_url(self) -> str:
        """The repository's page on the Hub (empty for the local store)."""
        if self.store != Store.HUB:
            return ""
        endpoint = (settings.HF_ENDPOINT or HUB_DEFAULT_ENDPOINT).rstrip("/")
        return f"{endpoint}/{self.repo}"

    @property
    def label(self) -> str:
        """The display name, or the name when none is set."""
        return self.display_name or self.name
