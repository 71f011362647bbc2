"""A connector with secret settings, registered for the API tests as a real plugin (an
entry point in a ``.dist-info`` on ``sys.path``), like a vendor package would be."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping, Sequence
from typing import Any, ClassVar

from pydantic import SecretStr

from gateway.abc import CheckResult, Connector, ConnectorConfig, ConnectorKind, PullItem

NAME = "test-vendor"


class VendorConfig(ConnectorConfig):
    url: str
    client_id: str
    client_secret: SecretStr
    api_token: SecretStr | None = None
    page_size: int = 100


class VendorConnector(Connector[VendorConfig]):
    name: ClassVar[str] = NAME
    title: ClassVar[str] = "A vendor API (tests)"
    kind: ClassVar[ConnectorKind] = ConnectorKind.SIS
    config_model: ClassVar[type[ConnectorConfig]] = VendorConfig

    def streams(self) -> Sequence[str]:
        return ("orgs",)

    async def check(self) -> CheckResult:
        if not self.config.url.startswith("https://"):
            return CheckResult(False, f"{self.config.url} is not an https URL")
        return CheckResult(True, f"signed in to {self.config.url} as {self.config.client_id}",
                           {"page_size": self.config.page_size})

    async def pull(self, state: Mapping[str, Any] | None) -> AsyncGenerator[PullItem, bool | None]:
        return
        yield
