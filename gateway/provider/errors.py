"""OneRoster errors: ``imsx_StatusInfo`` bodies with the code minor the spec names."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse

__all__ = ["ProviderError", "status_info", "unknown_object"]


class ProviderError(Exception):
    """A failed request, as OneRoster reports it."""

    def __init__(self, status: int, code_minor: str, description: str,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.code_minor = code_minor
        self.description = description
        self.headers = headers or {}

    def response(self) -> JSONResponse:
        return JSONResponse(status_info(self.code_minor, self.description),
                            status_code=self.status, headers=self.headers)


def status_info(code_minor: str, description: str) -> dict[str, Any]:
    return {
        "imsx_codeMajor": "failure",
        "imsx_severity": "error",
        "imsx_description": description,
        "imsx_CodeMinor": {"imsx_codeMinorField": [
            {"imsx_codeMinorFieldName": "TargetEndSystem",
             "imsx_codeMinorFieldValue": code_minor}]},
    }


def unknown_object(what: str) -> ProviderError:
    return ProviderError(404, "unknownobject", f"Unknown Object: {what}")
