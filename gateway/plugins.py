"""Finding connectors: the ``harbormaster.connectors`` entry point group, and config parsing."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from importlib.metadata import entry_points
from typing import Any

from pydantic import ValidationError

from gateway.abc import Connector, ConnectorConfig
from gateway.errors import ConfigError, UnknownConnectorError

__all__ = ["available_connectors", "connector_class", "parse_config"]

GROUP = "harbormaster.connectors"


@cache
def available_connectors() -> dict[str, str]:
    """Registered connector names and the object each entry point names."""
    return {ep.name: ep.value for ep in entry_points(group=GROUP)}


def connector_class(name: str) -> type[Connector[Any]]:
    """The connector class registered as ``name``; a typed error listing the choices if none."""
    for ep in entry_points(group=GROUP):
        if ep.name == name:
            cls = ep.load()
            if not (isinstance(cls, type) and issubclass(cls, Connector)):
                raise ConfigError(f"entry point {name!r} ({ep.value}) is not a Connector class")
            return cls
    known = ", ".join(sorted(available_connectors())) or "none installed"
    raise UnknownConnectorError(
        f"no connector named {name!r} (installed: {known}); check the spelling, or install "
        f"the package that provides it"
    )


def parse_config(cls: type[Connector[Any]], config: Mapping[str, Any]) -> ConnectorConfig:
    """Validate ``config`` against the connector's model; errors name each bad field."""
    try:
        return cls.config_model.model_validate(dict(config))
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"]) or "(config)"
            lines.append(f"{where}: {err['msg']}")
        raise ConfigError(
            f"connector {cls.name!r} config is invalid: " + "; ".join(lines)
        ) from None
