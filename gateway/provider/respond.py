"""One provider request from credentials to access log, the same for reads and writes.

The caller is authenticated (an OAuth 2 token; on the 1.1 routes an OAuth 1.0a signature
too), the operation's scopes required, the answer produced, every failure
turned into an ``imsx_StatusInfo`` (a 500 only for our own faults, logged), and the
request written to the access log whatever happened, once the caller is known.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Set

from fastapi import Request, Response

from gateway.provider.accesslog import AccessLog
from gateway.provider.auth import Authenticator, Caller
from gateway.provider.errors import SPEC_CODE_MINOR, ProviderError
from gateway.provider.query import QueryError

__all__ = ["answer"]

log = logging.getLogger("harbormaster.provider")

Serve = Callable[[Caller], Awaitable[tuple[Response, int]]]
"""Produces the response and the number of records it carried (or wrote)."""


async def answer(request: Request, tokens: Authenticator, access: AccessLog,
                 scopes: Set[str], operation: str, serve: Serve, *,
                 vocabulary: Mapping[str, str] = SPEC_CODE_MINOR) -> Response:
    """``serve`` the request for the caller ``tokens`` finds, if it holds one of ``scopes``;
    query errors are answered in ``vocabulary``'s codeMinor values (default: 1.2)."""
    caller: Caller | None = None
    status, records = 500, 0
    try:
        caller = await tokens.authenticate(request)
        if not caller.scopes & scopes:
            raise ProviderError(403, "forbidden", f"this client's scopes do not allow "
                                f"{operation}; it needs one of: {' '.join(sorted(scopes))}")
        response, records = await serve(caller)
        status = response.status_code
        return response
    except QueryError as exc:
        status = exc.status
        return ProviderError(exc.status, exc.code_minor, exc.message,
                             vocabulary=vocabulary).response()
    except ProviderError as exc:
        status = exc.status
        return exc.response()
    except Exception:
        log.exception("OneRoster %s %s failed", request.method, request.url.path)
        return ProviderError(500, "internal_server_error",
                             "the server failed to answer; the error is logged").response()
    finally:
        if caller is not None:
            try:
                access.record(caller.client, request.method, request.url.path,
                              request.url.query or None, status, records)
            except Exception:
                log.exception("could not write the access log")
