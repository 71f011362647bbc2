"""OneRoster errors: ``imsx_StatusInfo`` bodies with the code minor the spec names.

The 1.2 OpenAPI files enumerate the codeMinor values a provider may answer with; the
rostering and gradebook files have no ``invalid_blank_selection_field`` (a OneRoster 1.1
code) and no ``invalid_sort_field``, which the query module reports. They are answered
as ``invalid_selection_field`` (a ``fields`` or ``sort`` value naming no usable field),
so every body fits the file's ``imsx_CodeMinorFieldDType``. OneRoster 1.1 has
``invalid_blank_selection_field`` in its vocabulary, so its routes answer with
:data:`V1P1_CODE_MINOR` instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi.responses import JSONResponse

__all__ = ["SPEC_CODE_MINOR", "V1P1_CODE_MINOR", "ProviderError", "spec_code_minor",
           "status_info", "unknown_object"]

SPEC_CODE_MINOR: dict[str, str] = {
    "invalid_blank_selection_field": "invalid_selection_field",
    "invalid_sort_field": "invalid_selection_field",
}
"""codeMinor values outside the 1.2 rostering vocabulary, and the 1.2 value answered."""

V1P1_CODE_MINOR: dict[str, str] = {"invalid_sort_field": "invalid_selection_field"}
"""The same for OneRoster 1.1, whose vocabulary keeps ``invalid_blank_selection_field``."""


def spec_code_minor(code_minor: str,
                    vocabulary: Mapping[str, str] = SPEC_CODE_MINOR) -> str:
    """The codeMinor ``vocabulary`` answers for ``code_minor`` (default: 1.2 rostering)."""
    return vocabulary.get(code_minor, code_minor)


class ProviderError(Exception):
    """A failed request, as OneRoster reports it."""

    def __init__(self, status: int, code_minor: str, description: str,
                 headers: dict[str, str] | None = None, *,
                 vocabulary: Mapping[str, str] = SPEC_CODE_MINOR) -> None:
        super().__init__(description)
        self.status = status
        self.code_minor = spec_code_minor(code_minor, vocabulary)
        self.description = description
        self.headers = headers or {}

    def response(self) -> JSONResponse:
        return JSONResponse(status_info(self.code_minor, self.description, vocabulary={}),
                            status_code=self.status, headers=self.headers)


def status_info(code_minor: str, description: str, *,
                vocabulary: Mapping[str, str] = SPEC_CODE_MINOR) -> dict[str, Any]:
    return {
        "imsx_codeMajor": "failure",
        "imsx_severity": "error",
        "imsx_description": description,
        "imsx_CodeMinor": {"imsx_codeMinorField": [
            {"imsx_codeMinorFieldName": "TargetEndSystem",
             "imsx_codeMinorFieldValue": spec_code_minor(code_minor, vocabulary)}]},
    }


def unknown_object(what: str) -> ProviderError:
    return ProviderError(404, "unknownobject", f"Unknown Object: {what}")
