"""Importing from a CASE provider over loopback HTTP (the CASE 1.0 and 1.1 REST bindings),
through the one HTTP policy."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from gateway.errors import ConfigError, RetriableError, SourceDataError
from gateway.net.policy import HttpPolicy
from gateway.standards import frameworks, import_from_provider, list_documents
from gateway.store.store import Store
from tests.gateway.standards.case_provider import case_provider
from tests.gateway.standards.factories import RP_DOC, ladder, rp_package
from tests.helpers import serve_app

ONCE = HttpPolicy(attempts=1)  # no backoff waits in the tests


@pytest.fixture(scope="module")
def provider() -> Iterator[tuple[str, Any]]:
    app = case_provider([rp_package(), ladder()], page_size=1)
    with serve_app(app) as url:
        yield url, app


def test_a_named_document_from_the_providers_base_url(sqlite_store: Store,
                                                      provider: tuple[str, Any]) -> None:
    url, _ = provider
    tenant = sqlite_store.ensure_tenant("district").id
    report = asyncio.run(import_from_provider(sqlite_store.engine, tenant, url, RP_DOC,
                                              policy=ONCE))
    assert report.framework == RP_DOC and report.items["added"] == 16
    assert report.source == f"{url}/ims/case/v1p0/CFPackages/{RP_DOC}"
    with sqlite_store.engine.connect() as conn:
        assert [f.source for f in frameworks(conn, tenant)] == [report.source]


def test_a_cfpackages_url_names_its_document(sqlite_store: Store,
                                             provider: tuple[str, Any]) -> None:
    url, _ = provider
    tenant = sqlite_store.ensure_tenant("district").id
    report = asyncio.run(import_from_provider(
        sqlite_store.engine, tenant, f"{url}/ims/case/v1p0/CFPackages/doc-fractions"))
    assert report.title == "Fractions"


def test_several_documents_and_none_chosen_lists_them(sqlite_store: Store,
                                                      provider: tuple[str, Any]) -> None:
    url, _ = provider
    assert [d["identifier"] for d in asyncio.run(list_documents(url))] == [
        RP_DOC, "doc-fractions"]  # two pages of one
    tenant = sqlite_store.ensure_tenant("district").id
    with pytest.raises(ConfigError, match=rf"offers 2 frameworks; choose one with --document "
                                          rf"ID: {RP_DOC} \(What Standards Could Be\)"):
        asyncio.run(import_from_provider(sqlite_store.engine, tenant, url))


def test_an_unknown_document_is_a_404_that_says_what_to_check(
        sqlite_store: Store, provider: tuple[str, Any]) -> None:
    url, _ = provider
    tenant = sqlite_store.ensure_tenant("district").id
    with pytest.raises(ConfigError, match=r"no package 'nope'.*check the document"):
        asyncio.run(import_from_provider(sqlite_store.engine, tenant, url, "nope"))


def test_a_1_1_provider_is_found_after_1_0_is_not(sqlite_store: Store) -> None:
    app = case_provider([ladder()], version="v1p1")
    tenant = sqlite_store.ensure_tenant("district").id
    with serve_app(app) as url:
        report = asyncio.run(import_from_provider(sqlite_store.engine, tenant, url))
    assert report.source == f"{url}/ims/case/v1p1/CFPackages/doc-fractions"
    assert app.state.requests == ["CFDocuments?offset=0", "CFPackages/doc-fractions"]


def test_not_a_case_provider(sqlite_store: Store) -> None:
    tenant = sqlite_store.ensure_tenant("district").id
    app = case_provider([])
    with serve_app(app) as url, pytest.raises(ConfigError, match="no CASE service at"):
        asyncio.run(import_from_provider(sqlite_store.engine, tenant, f"{url}/elsewhere"))


def test_a_bad_package_from_a_provider_changes_nothing(sqlite_store: Store) -> None:
    package = ladder()
    del package["CFItems"][2]["fullStatement"]
    tenant = sqlite_store.ensure_tenant("district").id
    with serve_app(case_provider([package])) as url, pytest.raises(SourceDataError) as caught:
        asyncio.run(import_from_provider(sqlite_store.engine, tenant, url, "doc-fractions"))
    assert caught.value.problems[0].source.endswith("/CFPackages/doc-fractions")
    assert caught.value.problems[0].column == "CFItems[2].fullStatement"
    with sqlite_store.engine.connect() as conn:
        assert frameworks(conn, tenant) == []


def test_a_provider_that_stays_down_is_retriable(sqlite_store: Store) -> None:
    # Fault injection only: a provider answering 503 to everything.
    transport = httpx.MockTransport(lambda request: httpx.Response(503))
    tenant = sqlite_store.ensure_tenant("district").id
    with pytest.raises(RetriableError):
        asyncio.run(import_from_provider(sqlite_store.engine, tenant,
                                         "https://case.example.org", "doc",
                                         transport=transport, policy=ONCE))
