"""Harbormaster as an LTI 1.3 platform: it launches vendor tools registered by a district
(``tools``), signs their id_tokens with the tool keys published at
``/.well-known/jwks.json``, grants them AGS tokens (``tokens``), and keeps the scores they
post to their line items as evidence of mastery (``line_items``, ``scores``).

The routes are ``platform_router(store, settings)`` (mounted by ``lti_router``); how a
district registers a tool and launches it: docs/lti.md ("LTI tools launched by
Harbormaster").
"""

from __future__ import annotations

from gateway.lti.platform_side.platform import AUTHORIZE_PATH, PREFIX, TOKEN_PATH, launch_link
from gateway.lti.platform_side.routes import platform_router
from gateway.lti.platform_side.tickets import LaunchTicket, LaunchTickets, Subjects
from gateway.lti.platform_side.tools import ToolExists, ToolInput, VendorTool, VendorTools

__all__ = ["AUTHORIZE_PATH", "PREFIX", "TOKEN_PATH", "LaunchTicket", "LaunchTickets",
           "Subjects", "ToolExists", "ToolInput", "VendorTool", "VendorTools", "launch_link",
           "platform_router"]
