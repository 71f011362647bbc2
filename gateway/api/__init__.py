"""The admin API (FastAPI): tenants, connections, schedules and runs, behind API keys and
OAuth2 client-credentials tokens."""

from gateway.api.app import create_app

__all__ = ["create_app"]
