"""A real LTI 1.3 platform (a stand-in LMS) that the end-to-end tests launch Harbormaster
from: OIDC launches, deep linking, AGS, NRPS, the token endpoint and dynamic registration,
built on lti1p3platform and served over HTTP on loopback by ``running_platform``.

``_model`` holds what the LMS knows (users, its tool, courses) and the LTI names;
``_platform`` its state and what tests do as the LMS; ``_launch``, ``_services`` and
``_registration`` its endpoints, on ``_library`` (lti1p3platform filled in) and ``_http``;
``_app`` puts them together and serves them.
"""

from __future__ import annotations

from ._app import platform_app, running_platform
from ._http import auto_post_form
from ._model import (
    ADMIN,
    DEEP_LINKING,
    INSTRUCTOR,
    LEARNER,
    PRODUCT,
    RESOURCE_LINK,
    SCOPE_LINEITEM,
    SCOPE_LINEITEM_READONLY,
    SCOPE_NRPS,
    SCOPE_RESULT_READONLY,
    SCOPE_SCORE,
    Context,
    Tool,
    User,
)
from ._platform import Platform

__all__ = ["ADMIN", "DEEP_LINKING", "INSTRUCTOR", "LEARNER", "PRODUCT", "RESOURCE_LINK",
           "SCOPE_LINEITEM", "SCOPE_LINEITEM_READONLY", "SCOPE_NRPS", "SCOPE_RESULT_READONLY",
           "SCOPE_SCORE", "Context", "Platform", "Tool", "User", "auto_post_form",
           "platform_app", "running_platform"]
