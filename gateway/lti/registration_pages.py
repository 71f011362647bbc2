"""The pages Dynamic Registration answers inside the LMS's dialog: what was registered (and
the message that closes the dialog), or what went wrong and what to do about it.

Every value is HTML-escaped: the platform's answers are not ours to trust.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import Any

from gateway.lti.pages import page
from gateway.lti.registrations import Registration

__all__ = ["failure_page", "success_page"]

# LTI Dynamic Registration: the tool tells the platform the registration is over, and the platform
# closes its dialog. The message carries nothing secret, so any origin may read it.
_CLOSE = "(window.opener || window.parent).postMessage({subject: 'org.imsglobal.lti.close'}, '*');"


def success_page(registration: Registration, platform: Mapping[str, Any]) -> str:
    product = " ".join(str(platform[k]) for k in ("product_family_code", "version")
                       if platform.get(k)) or "The LMS"
    deployments = (", ".join(registration.deployment_ids) if registration.deployment_ids
                   else "none sent yet: add the deployment id the LMS shows for the tool to "
                        "this registration before the first launch")
    rows = [("Tenant", registration.tenant), ("Registration", registration.name),
            ("Issuer", registration.issuer), ("Client id", registration.client_id),
            ("Deployment", deployments)]
    details = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in rows)
    body = (f"<h1>Harbormaster is registered</h1>"
            f"<p>{escape(product)} at {escape(registration.issuer)} can now launch "
            f"Harbormaster for tenant {escape(registration.tenant)}.</p><dl>{details}</dl>"
            f"<p>Finish in the LMS: most ask you to review the new tool and turn it on "
            f"(activate, enable or deploy it) before teachers can add it to a course. You "
            f"can close this window.</p>")
    return page("Harbormaster is registered", body, script=_CLOSE)


def failure_page(message: str) -> str:
    body = (f'<h1>Harbormaster was not registered</h1><div class="error" role="alert"><p>'
            f"{escape(message)}</p></div>"
            f"<p>Nothing was saved in Harbormaster. Close this window and start again from "
            f"the LMS once the problem is fixed.</p>")
    return page("Harbormaster was not registered", body)
