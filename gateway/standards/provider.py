"""CASE frameworks from a CASE provider (a CASE Network or OpenSALT server): the package of a
CFDocument over the CASE 1.0/1.1 REST binding (``GET {base}/ims/case/v1p0/CFPackages/{id}``,
``CFDocuments`` to list them), through the one HTTP policy, and from package files.

A URL may be the provider's base (``https://case.example.org``), its service root
(``…/ims/case/v1p1``), a ``CFDocuments/{id}`` or a ``CFPackages/{id}`` address.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from gateway.errors import ConfigError, Problem, SourceDataError
from gateway.net.policy import HttpClient, HttpPolicy
from gateway.standards.store import ImportReport, Transactional, import_package

__all__ = ["fetch_package", "import_file", "import_from_provider", "list_documents",
           "read_package_file"]

_SERVICE = re.compile(r"^(?P<root>.*?/ims/case/v1p[01])(?:/(?P<rest>.*))?$")
_VERSIONS = ("v1p0", "v1p1")  # v1p0 is what CASE Network and OpenSALT serve everywhere
_PAGE = 100


def read_package_file(path: Path) -> Any:
    """The JSON of a CFPackage file; :class:`SourceDataError` naming the file when it is
    missing or not JSON."""
    try:
        text = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read the CASE package {path}: {exc.strerror or exc}") from None
    try:
        return json.loads(text)
    except ValueError as exc:
        raise SourceDataError(f"{path} is not JSON", [Problem(
            path.name, getattr(exc, "lineno", None), None,
            f"not valid JSON ({exc}); export the framework again as a CASE JSON package")],
        ) from None


def import_file(conn_or_engine: Transactional, tenant_id: int, path: Path) -> ImportReport:
    return import_package(conn_or_engine, tenant_id, read_package_file(path), str(path))


def _json(response: httpx.Response, url: str) -> Any:
    try:
        return response.json()
    except ValueError:
        raise SourceDataError(f"{url} did not answer with JSON", [Problem(
            url, None, None, f"expected a CASE JSON body, got "
                             f"{response.headers.get('content-type', 'no content type')}: "
                             f"{response.text[:80]!r}")]) from None


def _split(url: str) -> tuple[list[str], str | None]:
    """The service roots to try and the document the URL names (if it names one)."""
    url = url.rstrip("/")
    match = _SERVICE.match(url)
    if match is None:
        return [f"{url}/ims/case/{v}" for v in _VERSIONS], None
    rest = match.group("rest") or ""
    named = re.match(r"^(?:CFPackages|CFDocuments)/([^/?#]+)$", rest)
    return [match.group("root")], named.group(1) if named else None


async def list_documents(url: str, *, transport: httpx.AsyncBaseTransport | None = None,
                         policy: HttpPolicy | None = None) -> list[dict[str, Any]]:
    """The CFDocuments the provider at ``url`` offers (``identifier``, ``title``, ...)."""
    roots, _ = _split(url)
    return (await _documents(roots, transport, policy))[1]


async def _documents(roots: list[str], transport: httpx.AsyncBaseTransport | None,
                     policy: HttpPolicy | None) -> tuple[str, list[dict[str, Any]]]:
    for root in roots:
        async with HttpClient(root, policy=policy, transport=transport,
                              name="CASE provider") as http:
            documents: list[dict[str, Any]] = []
            while True:
                response = await http.request("GET", "CFDocuments", allow=(404,), params={
                    "limit": str(_PAGE), "offset": str(len(documents))})
                if response.status_code == 404:
                    break
                body = _json(response, f"{root}/CFDocuments")
                page = body.get("CFDocuments") if isinstance(body, dict) else None
                if not isinstance(page, list):
                    raise SourceDataError(f"{root}/CFDocuments is not a CASE document list", [
                        Problem(f"{root}/CFDocuments", None, "CFDocuments",
                                'expected {"CFDocuments": [...]}; is this a CASE provider?')])
                seen = {d.get("identifier") for d in documents}
                fresh = [d for d in page if isinstance(d, dict)
                         and d.get("identifier") not in seen]
                documents += fresh
                # A provider may cap the page below our limit: its X-Total-Count says when
                # we are done; without one, a short page is the last. A page with nothing
                # new (a provider that ignores offset) ends it too.
                total = response.headers.get("x-total-count", "")
                done = (len(documents) >= int(total) if total.isdigit()
                        else len(page) < _PAGE)
                if done or not fresh:
                    return root, documents
    raise ConfigError(f"no CASE service at {roots[0].rsplit('/ims/', 1)[0]}: neither "
                      f"/ims/case/v1p0 nor /ims/case/v1p1 answered CFDocuments; give the "
                      f"provider's base URL or a CFPackages/{{id}} URL")


async def fetch_package(url: str, document: str | None = None, *,
                        transport: httpx.AsyncBaseTransport | None = None,
                        policy: HttpPolicy | None = None) -> tuple[Any, str]:
    """The CFPackage JSON of ``document`` (or the one ``url`` names, or the provider's only
    document) and the URL it came from."""
    roots, named = _split(url)
    document = document or named
    if document is None:
        root, documents = await _documents(roots, transport, policy)
        if len(documents) != 1:
            listed = "; ".join(f"{d.get('identifier')} ({d.get('title')})"
                               for d in documents[:10])
            more = f" and {len(documents) - 10} more" if len(documents) > 10 else ""
            raise ConfigError(f"{root} offers {len(documents)} frameworks; choose one with "
                              f"--document ID: {listed or 'none'}{more}")
        document = str(documents[0].get("identifier"))
        roots = [root]
    for root in roots:
        async with HttpClient(root, policy=policy, transport=transport,
                              name="CASE provider") as http:
            response = await http.request("GET", f"CFPackages/{quote(document, safe='')}",
                                          allow=(404,))
            if response.status_code != 404:
                where = f"{root}/CFPackages/{document}"
                return _json(response, where), where
    raise ConfigError(f"the CASE provider has no package {document!r} (HTTP 404 from "
                      f"{' and '.join(f'{r}/CFPackages/…' for r in roots)}); check the "
                      f"document identifier (harbor standards import URL lists them)")


async def import_from_provider(conn_or_engine: Transactional, tenant_id: int, url: str,
                               document: str | None = None, *,
                               transport: httpx.AsyncBaseTransport | None = None,
                               policy: HttpPolicy | None = None) -> ImportReport:
    """Fetch a framework's package from a CASE provider and import it (one transaction)."""
    package, where = await fetch_package(url, document, transport=transport, policy=policy)
    return import_package(conn_or_engine, tenant_id, package, where)
