"""One provider request from token to access log, the same for reads and writes.

The token is checked, the operation's scopes required, the answer produced, every failure
turned into an ``imsx_StatusInfo`` (a 500 only for our own faults, logged), and the
request written to the access log whatever happened, once the caller is known.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Set

from fastapi import Request, Response

from gateway.provider.accesslog import AccessLog
from gateway.provider.auth import Caller, ProviderTokens
from gateway.provider.errors import ProviderError
from gateway.provider.query import QueryError

__all__ = ["answer"]

log = logging.getLogger("harbormaster.provider")

Serve = Callable[[Caller], Awaitable[tuple[Response, int]]]
"""Produces the response and the number of records it carried (or wrote)."""


async def answer(request: Request, tokens: ProviderTokens, access: AccessLog,
                 scopes: Set[str], operation: str, serve: Serve) -> Response:
    caller: Caller | None = None
    status, records = 500, 0
    try:
        caller = tokens.caller(request.headers.get("authorization"))
        if not caller.scopes & scopes:
            raise ProviderError(403, "forbidden", f"this token's scopes do not allow "
                                f"{operation}; it needs one of: {' '.join(sorted(scopes))}")
        response, records = await serve(caller)
        status = response.status_code
        return response
    except QueryError as exc:
        status = exc.status
        return ProviderError(exc.status, exc.code_minor, exc.message).response()
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
