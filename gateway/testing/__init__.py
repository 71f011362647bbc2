"""Test kits shipped with Harbormaster so vendors can check their own plugins."""

from gateway.testing.contract import ConnectorContract, ContractSource

__all__ = ["ConnectorContract", "ContractSource"]
