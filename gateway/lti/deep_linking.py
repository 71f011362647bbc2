"""Deep Linking 2.0 responses: the activities an instructor picked, as signed content items.

Each item is an ``ltiResourceLink`` back to our launch URL, carrying the activity in a
custom parameter and a ``lineItem`` (label, scoreMaximum, ``resourceId`` = the activity id,
``tag`` = ``harbormaster``), so the LMS makes the gradebook column with the link and AGS
later finds it by ``resourceId`` and ``tag`` instead of making another.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping, Sequence
from typing import Any

import jwt

from gateway.lti.keys import ToolKey
from gateway.lti.launch import CLAIM, DL_CLAIM
from gateway.lti.views import Activity

__all__ = ["ACTIVITY_PARAM", "TAG", "content_item", "response_jwt"]

ACTIVITY_PARAM = "harbor_activity"
TAG = "harbormaster"
LIFETIME = 600


def content_item(activity: Activity, launch_url: str) -> dict[str, Any]:
    return {
        "type": "ltiResourceLink",
        "title": activity.title,
        "text": activity.detail or None,
        "url": launch_url,
        "custom": {ACTIVITY_PARAM: activity.id},
        "lineItem": {"scoreMaximum": activity.score_maximum, "label": activity.title,
                     "resourceId": activity.id, "tag": TAG},
    }


def response_jwt(*, request_claims: Mapping[str, Any], client_id: str,
                 items: Sequence[Mapping[str, Any]], key: ToolKey) -> str:
    """The ``LtiDeepLinkingResponse`` for a deep-linking request's claims, signed with the
    tool's active key (its ``kid`` in the header, so the platform finds it in our JWKS)."""
    settings = request_claims.get(DL_CLAIM + "deep_linking_settings") or {}
    now = int(time.time())
    message: dict[str, Any] = {
        "iss": client_id,
        "aud": [request_claims["iss"]],
        "azp": client_id,
        "iat": now,
        "exp": now + LIFETIME,
        "nonce": secrets.token_urlsafe(24),
        CLAIM + "deployment_id": request_claims[CLAIM + "deployment_id"],
        CLAIM + "message_type": "LtiDeepLinkingResponse",
        CLAIM + "version": "1.3.0",
        DL_CLAIM + "content_items": [{k: v for k, v in item.items() if v is not None}
                                     for item in items],
    }
    # The spec: data sent with the request must come back unchanged; none if none came.
    if "data" in settings:
        message[DL_CLAIM + "data"] = settings["data"]
    return jwt.encode(message, key.private_pem, algorithm="RS256", headers={"kid": key.kid})
