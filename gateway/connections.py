"""A connection's settings as people give them: plain values and secrets in one mapping,
validated by the connector's config model and split for the store (secrets are sealed)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gateway.abc import Connector
from gateway.errors import ConfigError
from gateway.plugins import connector_class

__all__ = ["merge_settings", "secret_fields", "split_settings"]


def secret_fields(connector: str) -> frozenset[str]:
    """The secret field names of ``connector``'s config (empty if it is not installed)."""
    try:
        return connector_class(connector).config_model.secret_fields()
    except ConfigError:
        return frozenset()


def split_settings(cls: type[Connector[Any]],
                   settings: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Validate ``settings`` (plain and secret values mixed) against ``cls``'s config model
    and split them: ``(config, secrets)``. A ConfigError names each bad field."""
    cls.from_mapping(settings)
    names = cls.config_model.secret_fields()
    config = {k: v for k, v in settings.items() if k not in names}
    secrets = {k: str(v) for k, v in settings.items() if k in names and v is not None}
    return config, secrets


def merge_settings(cls: type[Connector[Any]], config: Mapping[str, Any],
                   secrets: Mapping[str, str],
                   changes: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Apply a partial update to stored settings and validate the result: ``(config, new
    secrets)``. A None value removes a plain setting (back to its default); secrets are
    write-only, so only new values come back, to be merged with the stored ones."""
    names = cls.config_model.secret_fields()
    cleared = sorted(k for k, v in changes.items() if v is None and k in names)
    if cleared:
        raise ConfigError(f"{', '.join(cleared)} is a secret: it can be replaced with a new "
                          f"value but not cleared")
    merged = {k: v for k, v in {**config, **changes}.items()
              if k not in names and v is not None}
    new_config, new_secrets = split_settings(
        cls, {**merged, **secrets, **{k: v for k, v in changes.items() if k in names}})
    return new_config, {k: v for k, v in new_secrets.items() if k in changes}
